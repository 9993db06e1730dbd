"""SHP402 and SHP404 from the source alone: functional calls whose mode or dim is left to torch.

A call is recognised by what its name is bound to in the file (`F.dropout` with
`import torch.nn.functional as F`, `torch.nn.functional.dropout`, `from torch.nn.functional
import dropout`), never by spelling alone. Only methods of the file's nn.Module classes
other than `__init__` are read for SHP402 (that is where `self.training` exists).
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from ..core import arch_rules as A
from ..core.findings import Edit, Finding
from ..core.values import Ref
from .cstwalk import walk as _walk  # CSTNode.children runs a visitor: 20 s on lowering.py
from .extract import dotted

_FUNCTIONAL = "torch.nn.functional."
# function -> the position of its `training` argument
_DROPOUT = {"dropout": 2, "alpha_dropout": 2, "feature_alpha_dropout": 2, "dropout1d": 2, "dropout2d": 2, "dropout3d": 2}
_NORMS = {"batch_norm": (5, "training"), "instance_norm": (5, "use_input_stats")}
_SOFTMAX = {"softmax": 1, "log_softmax": 1, "softmin": 1}
_SOFTMAX_LAYERS = ("torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.Softmin")


def qualname(func, globals_: dict) -> Optional[str]:
    """`F.dropout` -> `torch.nn.functional.dropout` through the file's imports; None when not an import."""
    name = dotted(func)
    if not name:
        return None
    head, _, rest = name.partition(".")
    bound = globals_.get(head)
    if not isinstance(bound, Ref):
        return None
    return f"{bound.qualname}.{rest}" if rest else bound.qualname


def _arg(call: cst.Call, index: int, keyword: str):
    """The expression given for a parameter, or None when it is left at its default."""
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return ...  # *args/**kwargs: could be anything
    for a in call.args:
        if a.keyword is not None and a.keyword.value == keyword:
            return a.value
    return positional[index].value if len(positional) > index else None


def _constant(node) -> bool:
    return isinstance(node, cst.Name) and node.value in ("True", "False")


def _zero(node) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.value) == 0.0


def check_functional(module: cst.Module, class_nodes, globals_: dict, source: str = "") -> List[Finding]:
    out: List[Finding] = []
    modes = "dropout" in source or "_norm" in source
    for cls in class_nodes if modes else ():
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.FunctionDef) or stmt.name.value == "__init__":
                continue
            params = stmt.params.params
            self_name = params[0].name.value if params else None
            for node in _walk(stmt):
                if isinstance(node, cst.Call):
                    f = _mode_finding(node, qualname(node.func, globals_), self_name)
                    if f is not None:
                        out.append(f)
    for node in _walk(module) if ("oftm" in source) else ():
        if isinstance(node, cst.Call):
            f = _softmax_finding(node, qualname(node.func, globals_))
            if f is not None:
                out.append(f)
    return out


def _mode_finding(call: cst.Call, q: Optional[str], self_name: Optional[str]) -> Optional[Finding]:
    if not q or not q.startswith(_FUNCTIONAL):
        return None
    fn = q[len(_FUNCTIONAL):]
    if fn in _DROPOUT:
        if _arg(call, _DROPOUT[fn], "training") is not None or _zero(_arg(call, 1, "p")):
            return None
        edits, fix = [], None
        if self_name == "self":
            new = call.with_changes(args=list(call.args) + [
                cst.Arg(keyword=cst.Name("training"), value=cst.parse_expression("self.training"),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))])
            new_args = list(new.args)
            if len(new_args) > 1 and new_args[-2].comma is cst.MaybeSentinel.DEFAULT:
                new_args[-2] = new_args[-2].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            edits = [Edit(call, cst.Module([]).code_for_node(new.with_changes(args=new_args)))]
            fix = "pass training=self.training"
        return A.FunctionalTrainingFlag.finding(
            call, fix=fix, edits=edits, op=f"F.{fn}", detail="without training=: it drops in eval() too",
            hint="pass training=self.training")
    if fn in _NORMS:
        index, keyword = _NORMS[fn]
        stats = _arg(call, 1, "running_mean")
        if stats is None or stats is ... or (isinstance(stats, cst.Name) and stats.value == "None"):
            return None  # no running statistics: batch statistics in both modes, as intended
        mode = _arg(call, index, keyword)
        if mode is ... or not (mode is None or _constant(mode)):
            return None
        default = "False" if keyword == "training" else "True"
        shown = f"{default} (the default)" if mode is None else mode.value
        return A.FunctionalTrainingFlag.finding(
            call, op=f"F.{fn}", detail=f"with {keyword}={shown}: train() and eval() normalize alike",
            hint=f"pass {keyword}=self.training")
    return None


def _softmax_finding(call: cst.Call, q: Optional[str]) -> Optional[Finding]:
    if not q:
        return None
    if q in _SOFTMAX_LAYERS:
        if call.args:
            return None
        return A.SoftmaxWithoutDim.finding(call, op=f"nn.{q.rsplit('.', 1)[1]}()")
    if q.startswith(_FUNCTIONAL) and q[len(_FUNCTIONAL):] in _SOFTMAX:
        if not call.args or _arg(call, 1, "dim") is not None:
            return None
        return A.SoftmaxWithoutDim.finding(call, op=f"F.{q[len(_FUNCTIONAL):]}(x)")
    return None
