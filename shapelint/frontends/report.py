"""Rendering findings and shape tables; no front end recomputes anything.

Formats (ruff's names): concise (default), full (alias text), json, json-lines,
github (workflow commands), sarif (2.1.0).
"""

from __future__ import annotations

import os
from typing import Iterable, List, Optional

from ..core.results import FileResult
from ..core.findings import Finding
from ..core.links import doc_url
from ..core.symbolic import shape_text


def rule_of(code: str):
    from ..core.rules import REGISTRY

    return REGISTRY.get(code)


def rule_url(code: str) -> str:
    r = rule_of(code)
    anchor = f"{code}-{r.name}".lower() if r else code.lower()
    return doc_url("rules.md", anchor)


# ------------------------------------------------------------------ text


def where(f: Finding) -> str:
    """`path:line:column`, or in a notebook `path:cell N:line:column` (as ruff writes it)."""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.column}"


def concise(findings: Iterable[Finding]) -> str:
    return "\n".join(f"{where(f)}: {f.code} {f.message}" for f in findings)


def _source_line(r: FileResult, lines: List[str], f: Finding) -> Optional[str]:
    if f.cell is not None and r.notebook is not None:
        return r.notebook.cell_line_text(f.cell, f.line)
    return lines[f.line - 1] if lines and 1 <= f.line <= len(lines) else None


def text_findings(results: Iterable[FileResult], show_source: bool = True) -> str:
    out: List[str] = []
    for r in results:
        lines = r.source.splitlines() if (show_source and r.source) else []
        for f in r.findings:
            out.append(f"{where(f)}: {f.code} {f.message}")
            src = _source_line(r, lines, f) if show_source else None
            if src is not None:
                src = src.expandtabs(1)
                width = f.end_column - f.column if f.end_line == f.line and f.end_column > f.column else 1
                gutter = f"{f.line:>5} | "
                out.append(gutter + src)
                out.append(" " * (len(gutter) - 2) + "| " + " " * (f.column - 1) + "^" * width)
            if show_source and f.fix:
                out.append(f"      = fix: {f.fix}")
    return "\n".join(out)


def summary(findings: List[Finding], fixed: int = 0) -> str:
    out = []
    if fixed:
        out.append(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.")
    if not findings:
        out.append("All checks passed.")
        return " ".join(out)
    errors = sum(1 for f in findings if f.severity == "error")
    others = len(findings) - errors
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    if others:
        parts.append(f"{others} note{'s' if others != 1 else ''}")
    out.append("Found " + " and ".join(parts) + ".")
    text = " ".join(out)
    fixable = sum(1 for f in findings if f.edits)
    if fixable:
        text += f"\n[*] {fixable} fixable with the `--fix` option."
    return text


def statistics(findings: List[Finding]) -> str:
    from collections import Counter

    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.edits)
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        r = rule_of(code)
        rows.append(f"{n:>5}\t{code}\t{'[*] ' if fixable[code] else '    '}{r.name if r else ''}")
    return "\n".join(rows)


# ------------------------------------------------------------------ json


def finding_json(f: Finding) -> dict:
    out = f.to_json()
    r = rule_of(f.code)
    out["name"] = r.name if r else None
    out["url"] = rule_url(f.code)
    if "fix" not in out:
        out["fix"] = None
    return out


def json_findings(findings: List[Finding]) -> str:
    import json  # only the JSON formats pay for it

    return json.dumps([finding_json(f) for f in findings], indent=2)


def json_lines(findings: List[Finding]) -> str:
    import json  # only the JSON formats pay for it

    return "\n".join(json.dumps(finding_json(f)) for f in findings)


# ------------------------------------------------------------------ github

_GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def gh_escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_escape_property(s: str) -> str:
    return gh_escape_data(s).replace(":", "%3A").replace(",", "%2C")


def file_region(f: Finding) -> tuple:
    """(line, column, end line, end column) in the file as stored: a notebook's finding is
    placed on its line of the notebook's JSON text (where a review shows the file)."""
    return _stored_region(f.cell, (f.line, f.column, f.end_line, f.end_column), f.file_position)


def _stored_region(cell: Optional[int], region: tuple, file_position: Optional[tuple]) -> tuple:
    """A region in cell coordinates (cell not None) as a region of the notebook's JSON text:
    the first line's width at `file_position`, or the file's start when that is unknown."""
    if cell is None:
        return tuple(region)
    if file_position is None:
        return 1, 1, 1, 1
    line, column, end_line, end_column = region
    width = end_column - column if end_line == line and end_column > column else 1
    return file_position[0], file_position[1], file_position[0], file_position[1] + width


def _cell_place(cell: Optional[int], line: int, column: int) -> str:
    return f"cell {cell}, line {line}, column {column}: " if cell is not None else ""


def _cell_message(f: Finding) -> str:
    return _cell_place(f.cell, f.line, f.column) + f.message


def github(findings: Iterable[Finding]) -> str:
    out = []
    for f in findings:
        line, col, end_line, end_col = file_region(f)
        props = [
            ("file", f.path), ("line", str(line)), ("col", str(col)),
            ("endLine", str(end_line)), ("endColumn", str(end_col)), ("title", f.code),
        ]
        prop_text = ",".join(f"{k}={gh_escape_property(v)}" for k, v in props)
        out.append(f"::{_GH_LEVEL.get(f.severity, 'error')} {prop_text}::{gh_escape_data(_cell_message(f))}")
    return "\n".join(out)


# ------------------------------------------------------------------ sarif

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _git_root(cwd: str) -> Optional[str]:
    """The work tree's root, found by looking for `.git` (running git would honour the
    checked tree's own `.git/config`, whose fsmonitor can run any command)."""
    from ..core.gitignore import find_work_tree

    return find_work_tree(cwd)


def sarif_uri(path: str, base: str) -> str:
    import urllib.parse

    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, base)
    if rel.startswith(".."):
        return "file://" + urllib.parse.quote(absolute.replace(os.sep, "/"))
    return urllib.parse.quote(rel.replace(os.sep, "/"))


def sarif(findings: List[Finding], version: str = "0") -> str:
    from ..core.rules import all_rules

    cwd = os.getcwd()
    base = _git_root(cwd) or cwd
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "shapelint",
        "version": version,
        "informationUri": doc_url("usage.md"),
        "rules": [
            {
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": f"{r.summary} {r.why}".strip()},
                "help": {"text": r.fix or r.summary},
                "helpUri": rule_url(r.code),
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(r.severity, "error")},
            }
            for r in rules
        ],
    }
    results = []
    for f in findings:
        line, col, end_line, end_col = file_region(f)
        res = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL.get(f.severity, "error"),
            "message": {"text": _cell_message(f)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": sarif_uri(f.path, base)},
                        "region": {
                            "startLine": max(line, 1),
                            "startColumn": max(col, 1),
                            "endLine": max(end_line, line, 1),
                            "endColumn": end_col if end_line > line else max(end_col, col),
                        },
                    }
                }
            ],
        }
        if f.related:
            res["relatedLocations"] = [_sarif_related(i, r, base) for i, r in enumerate(f.related)]
        if f.code in index:
            res["ruleIndex"] = index[f.code]
        if f.cell is not None:
            res["properties"] = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.column}
        results.append(res)
    import json

    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(doc, indent=2)


def _sarif_related(i: int, r, base: str) -> dict:
    line, col, end_line, end_col = _stored_region(r.cell, r.range, r.file_position)
    out = {
        "id": i,
        "message": {"text": _cell_place(r.cell, r.range[0], r.range[1]) + r.message},
        "physicalLocation": {
            "artifactLocation": {"uri": sarif_uri(r.path, base)},
            "region": {"startLine": max(line, 1), "startColumn": max(col, 1), "endLine": max(end_line, line, 1),
                       "endColumn": end_col if end_line > line else max(end_col, col)},
        },
    }
    if r.cell is not None:
        out["properties"] = {"cell": r.cell, "cellLine": r.range[0], "cellColumn": r.range[1]}
    return out


# ------------------------------------------------------------------ the formats


def _with_summary(text: str, findings: List[Finding], fixed: int) -> str:
    return (text + "\n" if text else "") + summary(findings, fixed)


def _concise(results, findings, fixed) -> str:
    return _with_summary(concise(findings), findings, fixed)


def _full(results, findings, fixed) -> str:
    return _with_summary(text_findings(results, show_source=True), findings, fixed)


def _sarif(results, findings, fixed) -> str:
    from .. import __version__

    return sarif(findings, version=__version__)


# --format NAME -> formatter(results, findings, number of fixes applied) -> the report's text
FORMATTERS = {
    "concise": _concise,
    "full": _full,
    "text": _full,
    "json": lambda results, findings, fixed: json_findings(findings),
    "json-lines": lambda results, findings, fixed: json_lines(findings),
    "github": lambda results, findings, fixed: github(findings),
    "sarif": _sarif,
}
FORMATS = list(FORMATTERS)


# ------------------------------------------------------------------ rules


def rule_doc(r) -> str:
    out = [f"# {r.code}: {r.name}", "", f"Severity: {r.severity}", "", "## What it does", r.summary, "",
           "## Why is this bad?", r.why, ""]
    if r.INVALID:
        out += ["## Example", "```python", r.INVALID[0].rstrip("\n"), "```", ""]
    if r.VALID:
        out += ["Use instead:", "```python", r.VALID[0].rstrip("\n"), "```", ""]
    out += ["## Fix", r.fix, ""]
    return "\n".join(out)


def rule_list() -> str:
    from ..core.rules import all_rules

    rules = all_rules()
    w = max(len(r.name) for r in rules)
    return "\n".join(f"{r.code}  {r.name.ljust(w)}  {r.severity:<7}  {r.summary}" for r in rules)


# ------------------------------------------------------------------ explain


def explain_text(results: Iterable[FileResult]) -> str:
    out: List[str] = []
    for r in results:
        for m in r.models:
            head = f"{m.name} ({r.path}:{'cell %d:' % m.cell if m.cell is not None else ''}{m.line})"
            inp = shape_text(m.input)
            out.append(f"{head}  input {inp} -> output {shape_text(m.output)}")
            traced = m.trace
            if traced:
                how = f" with {traced['method']}" if traced.get("method") else ""
                out.append(f"  traced{how}: input {shape_text(traced.get('input'))} -> output {shape_text(traced.get('output'))} ({traced.get('status')})")
                if traced.get("fx_error"):
                    fx = traced["fx_error"]
                    at = f" (line {fx['line']})" if fx.get("line") else ""
                    out.append(f"  torch.fx could not trace it{at}: {fx['message']}")
            fields = any(layer.receptive for layer in m.layers)  # a conv stack: its receptive field columns
            rows = [("line", "module", "op", "in", "out") + (("rf", "jump") if fields else ()) + (("traced",) if traced else ())]
            for layer in m.layers:
                rows.append(
                    (
                        str(layer.line),
                        layer.module if layer.module is not None else "-",
                        layer.op,
                        shape_text(layer.inp),
                        shape_text(layer.out),
                    )
                    + (receptive_text(layer.receptive) if fields else ())
                    + ((shape_text(layer.traced_out),) if traced else ())
                )
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                out.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            for line, why in m.lost:
                out.append(f"  unknown from line {line}: {why}")
            if m.summary is not None:
                out.extend(summary_text(m.summary))
            out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "No nn.Module models found.\n"


def receptive_text(receptive) -> tuple:
    """("7x5", "2") : size and jump per spatial dimension, one number when all agree; blank when unknown."""
    if not receptive:
        return ("", "")

    def dims(values):
        return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

    return dims([size for size, _ in receptive]), dims([jump for _, jump in receptive])


def _n(v) -> str:
    return "?" if v is None else f"{v:,}"


def summary_text(summary: dict) -> List[str]:
    """The torchinfo-like table: nested module names, parameters, buffers, output, MACs; a totals line."""
    fields = any(r.get("receptive_field") for r in summary["modules"])  # a conv stack: its receptive field columns
    rows = [("module", "kind", "params", "trainable", "buffers", "output", "MACs", "output bytes") + (("rf", "jump") if fields else ())]
    for r in summary["modules"]:
        depth = r["module"].count(".")
        rf = r.get("receptive_field")
        rows.append(("  " * depth + r["module"].rsplit(".", 1)[-1], r["kind"], _n(r["params"]), _n(r["trainable"]),
                     _n(r["buffers"]), shape_text(r["output"]) if r["calls"] else "(not called)",
                     _n(r["macs"]) if r["calls"] else "-", _n(r["output_bytes"]) if r["calls"] else "-")
                    + (receptive_text(tuple(zip(rf["size"], rf["jump"])) if rf else None) if fields else ()))
    t = summary["total"]
    rows.append(("total", "", _n(t["params"]), _n(t["trainable"]), _n(t["buffers"]), "", _n(t["macs"]), _n(t["output_bytes"]))
                + (("", "") if fields else ()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["  summary (MACs = FlopCounterMode FLOPs / 2; output bytes: float32 outputs of the leaf layers; ? = unknown)"]
    for i, row in enumerate(rows):
        if i == len(rows) - 1:
            out.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
        out.append("  " + "  ".join(c.rjust(w) if 2 <= j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))).rstrip())
    return out


def explain_json(results: Iterable[FileResult]) -> str:
    import json  # only the JSON formats pay for it

    models = []
    diagnostics = []
    for r in results:
        for m in r.models:
            d = m.to_json(r.path)
            if m.trace:
                d["trace"] = m.trace
            models.append(d)
        diagnostics.extend(f.to_json() for f in r.findings)
    return json.dumps({"models": models, "diagnostics": diagnostics}, indent=2)

