"""Checking one file: parse, build every model it defines, propagate shapes, collect findings.

This is the one entry point every front end uses (`check_source`), so the CLI, the
explain table and any editor integration see the same findings.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional

import libcst as cst

from ..core import rules as R
from ..core.findings import Finding
from ..core.results import FileResult
from ..core.source import SourceError, decode_source, too_deep_to_parse
from .locate import Locator, finish_model_report, wanted_nodes
from .models import FileChecker, parse_dims  # noqa: F401  (parse_dims: the front ends' until core/inputs.py)

MODEL_HINTS = ("torch", "nn.")


def check_source(
    path: str,
    data,
    input_shapes: Optional[Dict[str, list]] = None,
    explain: bool = False,
    config_shapes: Optional[Dict[str, list]] = None,
) -> FileResult:
    """Check one file's source (bytes or str). Never raises for bad input.

    Input shapes: `input_shapes` (the command line) beats a `# shapelint: input=(...)`
    comment on the class line, which beats `config_shapes` (pyproject.toml).
    """
    result = FileResult(path)
    try:
        text = decode_source(data)
    except SourceError as e:
        f = R.UnreadableFile.finding(None, detail=str(e))
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return result
    result.source = text
    if not any(h in text for h in MODEL_HINTS):
        return result  # cannot define a torch model: skip the parse
    deep = too_deep_to_parse(text)
    if deep is not None:
        f = R.SyntaxErrorRule.finding(None, detail=deep[1])
        f.path = path
        f.resolve(lambda n: None)
        f.line = f.end_line = max(deep[0], 1)
        result.findings.append(f)
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        line, column, detail = max(e.raw_line, 1), max(e.raw_column, 0) + 1, _syntax_message(e)
        py = _python_syntax_error(text)
        if py is not None:  # CPython's parser points at the real mistake (libcst at the next token)
            line, column, detail = py
        f = R.SyntaxErrorRule.finding(None, detail=detail)
        f.path = path
        f.resolve(lambda n: None)
        f.line, f.column = line, column
        f.end_line, f.end_column = f.line, f.column
        result.findings.append(f)
        return result
    except RecursionError:
        f = R.SyntaxErrorRule.finding(None, detail="the code is nested too deeply to parse")
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return result

    checker = FileChecker(path, module, input_shapes or {}, config_shapes or {}, explain)
    try:
        checker.run()
    except RecursionError:
        checker.note_internal("the code is nested too deeply to analyse")
    result.models = checker.models
    findings = _dedupe(checker.findings)
    need_positions = bool(findings) or explain
    wanted = wanted_nodes(findings, result.models if explain else [])
    locator = Locator([(path, module)] + checker.siblings.modules, checker.units.node_unit, whole=explain, source=text, wanted=wanted)
    position_of = locator.position_of if need_positions else (lambda n: None)
    for f in findings:
        f.resolve(position_of)
        f.path = locator.path_of(f.node) or path
    result.findings = sorted(_dedupe_resolved(findings), key=lambda f: (f.line, f.column, f.code))
    if explain:
        for m in result.models:
            finish_model_report(m, position_of)
    return result


def _python_syntax_error(text: str):
    """(line, column, message) from CPython's parser (it only parses, never runs), or None."""

    try:
        ast.parse(text)
    except SyntaxError as e:
        if e.lineno:
            return e.lineno, max(e.offset or 1, 1), (e.msg or "invalid syntax").rstrip(".")
    except (ValueError, RecursionError, MemoryError):
        pass
    return None


def _syntax_message(e: cst.ParserSyntaxError) -> str:
    msg = e.message.strip().splitlines()[0] if e.message else "invalid syntax"
    return msg.rstrip(".")


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.code, id(f.node), tuple(p if isinstance(p, str) else id(p.node) for p in f.parts))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _dedupe_resolved(findings: List[Finding]) -> List[Finding]:
    seen, out = set(), []
    for f in findings:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out


