"""Checking one file: the seam every front end calls, and the engine behind it.

`lint_source(path, data, settings)` is the only place that applies configuration:
the file's pyproject.toml, rule selection, per-file-ignores, `# noqa` and where each
model's input is declared. The CLI, `--fix`, the editor server and `--trace` all call
it (trace findings pass the same `apply_policy`), so they report the same findings.

`check_source` is the engine alone: parse, build every model, propagate shapes,
collect findings, resolve positions; no configuration.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import libcst as cst

from ..core import rules as R
from ..core.collector import built_and_frozen, thawing
from ..core.config import Config, ConfigCache, Selection, code_matches, enabled_codes, pyproject_candidates
from ..core.findings import Finding
from ..core.inputs import COMMAND_LINE, PYPROJECT, applied_key, for_file
from ..core.noqa import filter_findings
from ..core.results import FileResult
from ..core.source import SourceError, decode_source, over_file_budget, too_deep_to_parse
from . import config_fields, consequences, same_defect
from .cstwalk import remembered
from .locate import Locator, finish_model_report, wanted_nodes
from .model_free import cannot_hold_findings
from .models import FileChecker
from .repeats import merge_repeats


@dataclass
class Settings:
    """What a run asks for, the same for every file: the command line, or the editor's defaults."""

    input_shapes: Dict[str, list] = field(default_factory=dict)  # --input-shape TARGET -> dims
    selection: Selection = field(default_factory=Selection)  # --select / --extend-select / --ignore
    config_file: Optional[str] = None  # --config
    isolated: bool = False  # --isolated: no configuration file at all
    explain: bool = False  # keep the explain tables (--explain, the editor's hints and hover)
    show_unknown: bool = False  # --show-unknown: SHP201 where shapes become unknown
    trace: bool = False  # --trace (a file's `trace = true` asks for it too)
    init_args: Dict[str, dict] = field(default_factory=dict)  # --init-args, for --trace
    reload_config: bool = False  # re-read a pyproject.toml that changed (a long-running editor)
    config_start: Optional[str] = None  # where to look for pyproject.toml for a file without a path
    graph: bool = False  # `shapelint graph`: record the data flow between the explain rows

    def config_for(self, path: Optional[str]) -> Config:
        """The file's configuration (raises ConfigError for one the user must fix)."""
        return _CONFIGS.lookup(path or self.config_start or ".", self.config_file, self.isolated, self.reload_config)


_CONFIGS = ConfigCache()  # per process: each pyproject.toml is read once
_ENABLED: Dict[tuple, tuple] = {}


def lint_source(path: Optional[str], data, settings: Settings) -> FileResult:
    """Check one file's source (bytes or str) as configured. Never raises for bad input;
    raises ConfigError when the file's configuration cannot be used.

    A notebook (a path ending .ipynb, or a core.notebook.Notebook as data) is checked as
    the Python its code cells make; its findings come back in cell coordinates.
    """
    if (path and path.endswith(NOTEBOOK_SUFFIX)) or _is_notebook_object(data):
        return _lint_notebook(path, data, settings)
    return _lint_python(path, data, settings)


NOTEBOOK_SUFFIX = ".ipynb"  # core.notebook.SUFFIX; that module is imported for notebooks only (cold start)


def _is_notebook_object(data) -> bool:
    loaded = sys.modules.get("shapelint.core.notebook")  # not imported yet: `data` cannot be one
    return loaded is not None and isinstance(data, loaded.Notebook)


def _lint_notebook(path: Optional[str], data, settings: Settings) -> FileResult:
    from ..core.notebook import Notebook, NotebookError, to_cells

    if isinstance(data, Notebook):
        nb = data
    else:
        try:
            nb = Notebook.parse(data)
        except NotebookError as e:
            result = FileResult(path)
            f = R.UnreadableFile.finding(None, detail=str(e))
            f.path = path
            f.resolve(lambda n: None)
            result.findings.append(f)
            return result
    result = _lint_python(path, nb.python, settings, nb.line_name)
    result.notebook = nb
    to_cells(nb, result, path)
    return result


def _lint_python(path: Optional[str], data, settings: Settings, line_name=None) -> FileResult:
    config = settings.config_for(path)
    # `trace = true` imports and runs the checked code: a pyproject.toml inside the checked
    # tree (a pull request's, say) must not be able to ask for that by itself. It counts only
    # from a configuration the user named with --config.
    trace = settings.trace or (config.trace and settings.config_file is not None)
    explain = settings.explain or settings.show_unknown or trace or settings.graph  # the trace compares with the table
    result = check_source(path, data, for_file(settings.input_shapes, path), explain=explain,
                          config_shapes=for_file(config.input_shapes, path),
                          line_name=line_name, graph=settings.graph)
    result.declared = _declared(path, result, settings.input_shapes, config.input_shapes)
    result.trace = trace
    result.trace_ignored = config.trace and not trace
    result.init_args = {**config.init_args, **settings.init_args}
    if settings.show_unknown:
        result.findings.extend(_unknown_notes(result))
    result.findings = _apply_policy_per_file(path, result, config, settings)
    return result


def _declared(path: Optional[str], result: FileResult, command_line: dict, pyproject: dict) -> List[tuple]:
    """(model name, origin, key that applied) for each model checked (FileResult.declared)."""
    out = []
    for m in result.models:
        d = result.inputs.get(m.name)
        origin = d.origin if d is not None else None
        table = command_line if origin == COMMAND_LINE else pyproject if origin == PYPROJECT else None
        out.append((m.name, origin, applied_key(table, path, m.name) if table is not None else None))
    return out


def _apply_policy_per_file(path: Optional[str], result: FileResult, config: Config, settings: Settings) -> List[Finding]:
    """Findings published on a sibling module obey that module's comments and ignores, and
    its configuration: the files that choose it are then dependencies of this file's result
    (the content cache's key), as a nested pyproject.toml may apply to the sibling alone."""
    own = [f for f in result.findings if f.path == path or f.path not in result.sibling_modules]
    kept = apply_policy(path, result.source, own, config, settings)
    for sibling, module in result.sibling_modules.items():
        theirs = [f for f in result.findings if f.path == sibling and sibling != path]
        if theirs:
            kept += apply_policy(sibling, module.code, theirs, settings.config_for(sibling), settings)
            if settings.config_file is None and not settings.isolated:
                result.dependencies = sorted(set(result.dependencies) | set(pyproject_candidates(sibling)))
    return sorted(kept, key=lambda f: (f.path != path, f.path or "", f.line, f.column, f.code))


def apply_policy(path: Optional[str], source: Optional[str], findings: List[Finding], config: Config,
                 settings: Settings) -> List[Finding]:
    """The findings this file reports: enabled rules, minus per-file-ignores, minus `# noqa`."""
    enabled = _enabled(config, settings.selection)
    ignored = config.ignored_for(path) if (config.per_file_ignores and path) else []
    kept = [f for f in findings if f.code in enabled and not (ignored and code_matches(f.code, ignored))]
    return filter_findings(source, kept)


def _enabled(config: Config, selection: Selection) -> set:
    key = (id(config), id(selection))
    cached = _ENABLED.get(key)
    if cached is None or cached[0] is not config or cached[1] is not selection:
        cached = _ENABLED[key] = (config, selection, enabled_codes([config.selection, selection]))
    return cached[2]


def _unknown_notes(r: FileResult) -> List[Finding]:
    """SHP201 (--show-unknown): once per model, where its static coverage ends."""
    notes = []
    for m in r.models:
        for line, why in m.lost[:1]:
            f = R.TrackingLost.finding(None, reason=f"{m.name}: {why}")
            f.path = r.path
            f.resolve(lambda n: None)
            f.line = f.end_line = max(line, 1)
            notes.append(f)
    return notes

MODEL_HINTS = ("torch", "nn.")


@thawing
def check_source(
    path: str,
    data,
    input_shapes: Optional[Dict[str, list]] = None, explain: bool = False,
    config_shapes: Optional[Dict[str, list]] = None,
    line_name: Optional[Callable[[int], str]] = None, graph: bool = False,
) -> FileResult:
    """Check one file's source (bytes or str). Never raises for bad input.

    Input shapes: `input_shapes` (the command line) beats a `# shapelint: input=(...)`
    comment on the class line, which beats `config_shapes` (pyproject.toml).
    `line_name(line)` names a line of this file in messages (a notebook's cell and line).
    """
    explain = explain or graph  # `graph`: the explain rows and which row produced each row's inputs
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
    module = _parse(path, text, result)
    if module is None:
        return result  # a parse error was reported, or the file cannot hold a finding

    checker = FileChecker(path, module, input_shapes or {}, config_shapes or {}, explain, len(text), graph=graph)
    checker.source = text
    try:
        with remembered():  # a body walked twice is walked once (engine/cstwalk.py)
            checker.run()
    except RecursionError:
        checker.note_internal("the code is nested too deeply to analyse")
    result.models = checker.models
    result.inputs, result.skipped = checker.inputs, checker.skipped
    result.sibling_modules = {_as_named(p, path): m for p, m in checker.siblings.modules}
    result.sibling_modules.pop(path, None)
    result.dependencies = sorted(checker.siblings.probed)
    findings = _dedupe(checker.findings)
    need_positions = bool(findings) or explain
    wanted = wanted_nodes(findings, result.models if explain else [])
    locator = Locator([(path, module)] + checker.siblings.modules, checker.units.node_unit, whole=explain, source=text, wanted=wanted)
    position_of = locator.position_of if need_positions else (lambda n: None)
    named = _line_namer(locator, path, line_name) if line_name is not None else None
    for f in findings:
        f.resolve(position_of, named, lambda n: _as_named(locator.path_of(n), path))
        f.path = _as_named(locator.path_of(f.node), path)
    findings = same_defect.merge(_dedupe_resolved(findings), named)
    config_fields.move(findings)  # a merged finding about a config's number: at the number
    findings = consequences.fold(findings)
    result.findings = sorted(merge_repeats(findings), key=lambda f: (f.line, f.column, f.code))
    for m in result.models:
        if explain:
            finish_model_report(m, position_of)
        else:  # where shapes end and the names bound are explain's, kept as syntax nodes until
            m.lost, m.assignments = [], []  # it places them: a caller gets lines or nothing
    return result


def _parse(path: Optional[str], text: str, result: FileResult) -> Optional[cst.Module]:
    """The file's libcst tree; None after reporting why it cannot be parsed, or when the file
    can hold no finding (engine/model_free.py: CPython's parse showed it)."""
    over = over_file_budget(text)
    if over is not None:  # libcst alone would take gigabytes or overflow its stack: an info note
        f = R.TrackingLost.finding(None, reason=f"not analysed: the file is over shapelint's per-file budget ({over})")
        f.path = path
        f.resolve(lambda n: None)
        f.line = f.end_line = 1
        result.findings.append(f)
        return None
    deep = too_deep_to_parse(text)
    if deep is not None:
        f = R.SyntaxErrorRule.finding(None, detail=deep[1])
        f.path = path
        f.resolve(lambda n: None)
        f.line = f.end_line = max(deep[0], 1)
        result.findings.append(f)
        return None
    if cannot_hold_findings(text, path):
        return None  # no model and no finding can come from it: skip libcst's parse
    try:
        module = built_and_frozen(lambda: cst.parse_module(text))
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
        return None
    except RecursionError:
        f = R.SyntaxErrorRule.finding(None, detail="the code is nested too deeply to parse")
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return None
    return module


def _line_namer(locator: Locator, path: Optional[str], line_name: Callable[[int], str]):
    """Names a line in a message: this file's lines by `line_name`, a sibling's as "line N"."""
    def named(node, line):
        return line_name(line) if locator.path_of(node) in (path, None) else f"line {line}"
    return named


def _as_named(found: Optional[str], path: Optional[str]) -> Optional[str]:
    """A sibling module's path in the form the checked file was named: relative when it
    was given relative, so a finding published on the sibling reads like the file's own."""
    if found is None or found == path:
        return path
    if path and not os.path.isabs(path) and os.path.isabs(found):
        return os.path.relpath(found)
    return found


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


