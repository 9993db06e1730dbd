"""Rendering findings and shape tables; no front end recomputes anything."""

from __future__ import annotations

import json
from typing import Iterable, List

from .analysis import FileResult
from .findings import Finding


def text_findings(results: Iterable[FileResult], show_source: bool = True) -> str:
    out: List[str] = []
    for r in results:
        lines = r.source.splitlines() if (show_source and r.source) else []
        for f in r.findings:
            out.append(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
            if lines and 1 <= f.line <= len(lines):
                src = lines[f.line - 1].expandtabs(1)
                width = f.end_column - f.column if f.end_line == f.line and f.end_column > f.column else 1
                gutter = f"{f.line:>5} | "
                out.append(gutter + src)
                out.append(" " * (len(gutter) - 2) + "| " + " " * (f.column - 1) + "^" * width)
    return "\n".join(out)


def summary(findings: List[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity == "error")
    others = len(findings) - errors
    if not findings:
        return "All checks passed."
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    if others:
        parts.append(f"{others} note{'s' if others != 1 else ''}")
    return "Found " + " and ".join(parts) + "."


def json_findings(findings: List[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)


def explain_text(results: Iterable[FileResult]) -> str:
    out: List[str] = []
    for r in results:
        for m in r.models:
            head = f"{m.name} ({r.path}:{m.line})"
            inp = _shape(m.input)
            out.append(f"{head}  input {inp} -> output {_shape(m.output)}")
            traced = getattr(m, "trace", None)
            if traced:
                how = f" with {traced['method']}" if traced.get("method") else ""
                out.append(f"  traced{how}: input {_shape(traced.get('input'))} -> output {_shape(traced.get('output'))} ({traced.get('status')})")
                if traced.get("fx_error"):
                    fx = traced["fx_error"]
                    at = f" (line {fx['line']})" if fx.get("line") else ""
                    out.append(f"  torch.fx could not trace it{at}: {fx['message']}")
            rows = [("line", "module", "op", "in", "out") + (("traced",) if traced else ())]
            for layer in m.layers:
                rows.append(
                    (
                        str(layer["line"]),
                        layer["module"] if layer["module"] is not None else "-",
                        layer["op"],
                        _shape(layer["in"]),
                        _shape(layer["out"]),
                    )
                    + ((_shape(layer.get("traced_out")),) if traced else ())
                )
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                out.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            for line, why in m.lost:
                out.append(f"  unknown from line {line}: {why}")
            out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "No nn.Module models found.\n"


def explain_json(results: Iterable[FileResult]) -> str:
    models = []
    diagnostics = []
    for r in results:
        for m in r.models:
            d = m.to_json(r.path)
            if getattr(m, "trace", None):
                d["trace"] = m.trace
            models.append(d)
        diagnostics.extend(f.to_json() for f in r.findings)
    return json.dumps({"models": models, "diagnostics": diagnostics}, indent=2)


def _shape(shape) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ")"
