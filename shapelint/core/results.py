"""What checking one file produces: typed plain data that every front end renders.

A `FileResult` holds the findings, the models with their explain tables, and the
input each target was declared with. It is produced once (`engine.check.lint_source`)
and read by the CLI formats, `--fix`, the editor server and `--trace`; none of them
recomputes a shape or re-reads configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .findings import Finding
from .inputs import DeclaredInput


@dataclass
class ExplainRow:
    """One row of a model's shape table: a module call or a functional op, in execution order."""

    module: Optional[str]  # as torch's named_modules() spells it; None for a functional op
    op: str  # the layer class (Conv2d) or the op as written (F.relu, .view())
    inp: Optional[list] = None  # dims as shown: int, or a string for a symbolic size, "?" unknown
    out: Optional[list] = None
    conditional: bool = False  # on one side of a branch shapelint could not decide
    line: int = 0  # where the module is defined (its constructor call), else where it is called
    call_line: int = 0
    cell: Optional[int] = None  # in a notebook: the cell `line` is in (call_line: the model's cell)
    traced: bool = False  # --trace ran on this model: `traced_out` is part of the row
    traced_out: Optional[list] = None
    # ((size, jump), ...) per spatial dimension: the receptive field in input positions; None unknown
    receptive: Optional[tuple] = None
    # for the editor (never serialized): the constructor arguments and 1-based ranges
    params: Optional[dict] = None
    def_range: Optional[tuple] = None
    call_range: Optional[tuple] = None
    # engine only, dropped before results cross a process boundary
    node: Any = None
    call: Any = None

    def to_json(self) -> dict:
        out = {"module": self.module, "op": self.op, "in": self.inp, "out": self.out}
        if self.conditional:
            out["conditional"] = True
        out["line"] = self.line
        out["call_line"] = self.call_line
        out["receptive_field"] = None if self.receptive is None else {
            "size": [size for size, _ in self.receptive], "jump": [jump for _, jump in self.receptive]}
        if self.cell is not None:
            out["cell"] = self.cell
        if self.traced:
            out["traced_out"] = self.traced_out
        return out


@dataclass
class ModelReport:
    name: str
    kind: str  # "class" | "variable"
    node: Any
    input: Optional[list]
    layers: List[ExplainRow] = field(default_factory=list)
    lost: List[tuple] = field(default_factory=list)  # (line, reason): where static shapes end
    line: int = 0
    output: Optional[list] = None
    # with explain: (line, name, shape) for each tensor bound to a name (or "return") in forward
    assignments: List[tuple] = field(default_factory=list)
    trace: Optional[dict] = None  # --trace: how torch ran it (method, status, input, output, fx_error)
    cell: Optional[int] = None  # in a notebook: the cell the model is defined in (line: in that cell)
    inputs: List[dict] = field(default_factory=list)  # the declared inputs: {"name", "shape", "dtype"}
    summary: Optional[dict] = None  # with explain: parameters, buffers, MACs per named module and in total
    # `shapelint graph` only (engine.dataflow.index): per layer row (parent row, [source rows, -1 the input])
    flow: Optional[List[tuple]] = None
    flow_output: List[int] = field(default_factory=list)  # the rows the model's result comes from

    def to_json(self, path: str) -> dict:
        out = {
            "path": path,
            "class": self.name,
            "kind": self.kind,
            "line": self.line,
            "input": self.input,
            "inputs": self.inputs,
            "output": self.output,
            "layers": [row.to_json() for row in self.layers],
            "unknown": [{"line": ln, "reason": why} for ln, why in self.lost],
            **({"summary": self.summary} if self.summary is not None else {}),
        }
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    models: List[ModelReport] = field(default_factory=list)
    internal_error: Optional[str] = None
    source: Optional[str] = None
    inputs: Dict[str, DeclaredInput] = field(default_factory=dict)  # the input-shape resolver's answer
    trace: bool = False  # --trace, or `trace = true` in a configuration named with --config
    trace_ignored: bool = False  # `trace = true` in a pyproject.toml found in the tree: not honoured
    init_args: Dict[str, dict] = field(default_factory=dict)  # constructor kwargs for --trace
    # sibling modules this file read (path -> libcst module): a finding published on one of
    # them is filtered by that file's own `# noqa` comments and per-file-ignores
    sibling_modules: Dict[str, object] = field(default_factory=dict)
    dependencies: List[str] = field(default_factory=list)  # files sibling imports looked for (the cache's key)
    # per model checked: (name, origin, key) with the declaration's source (core.inputs: COMMAND_LINE,
    # COMMENT, PYPROJECT; None undeclared) and the table key that applied (None for a comment):
    # the CLI's warnings about declared targets read it, and the cache keeps it
    declared: List[tuple] = field(default_factory=list)
    skipped: List[tuple] = field(default_factory=list)  # (class name, why): nn.Module classes not built, so unchecked
    notebook: Optional[Any] = None  # a core.notebook.Notebook: the file is a notebook, positions are in cells

    def detach(self) -> None:
        """Drop libcst node references so the result crosses process boundaries cheaply."""
        self.sibling_modules = {}
        if self.notebook is not None:
            self.notebook.raw = None  # the JSON text (outputs and all) is not needed to report
        for f in self.findings:
            f.node = None
            f.parts = ()
            for e in f.edits:
                e.node = None
        for m in self.models:
            m.node = None
            for row in m.layers:
                row.node = row.call = None
