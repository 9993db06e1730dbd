"""A finding made under a guessed input rank, kept when every other rank fails too.

With nothing declared, a model whose first layer is a Linear or an Embedding gets a guessed
input, (B, in_features) or (B, T): those layers accept any number of leading dims, so a finding
that depends on the rank (a view's sizes, a broadcast) is held back (context.FindingSink).
It is reported when torch fails for the other ranks as well: the model is built again and run
on a symbolic input of each rank from 1 to the guess + 2, and each run must have an error of
its own (`B, T, C = x.shape` of a 4-D tensor, a size index out of range, ...). Then the model
runs on no input of those ranks, and the finding is the one for the rank its code is written
for (a GPT's `(B, T)` indices that reach a head split of the wrong width).
"""

from __future__ import annotations

from typing import Callable, List, Optional

import libcst as cst

from ..core.values import ModuleValue, Tensor
from .context import ExplainRecorder, FindingSink, Sizes
from .frame import Frame, RaiseSignal, ReturnSignal, TooComplex

EXTRA_RANKS = 2  # ranks above the guess that must fail too
RUNS_ANYWAY = ("SHP004",)  # errors where torch does not raise (a view that mixes the batch runs)


def other_ranks_fail(checker, name: str, node, guessed: Optional[int], rebuild: Optional[Callable], run: Callable) -> bool:
    """True when a model built again by `rebuild(interp)` fails (an error finding) on a
    symbolic input of every rank 1..guessed+EXTRA_RANKS but `guessed`. `run(interp, root, x)`
    is one checked forward (both training modes where the model reads them)."""
    if rebuild is None or guessed is None:
        return False
    for rank in range(1, guessed + EXTRA_RANKS + 1):
        if rank != guessed and not _fails(checker, rank, rebuild, run):
            return False
    return True


def variable_rebuild(checker, value) -> Optional[Callable]:
    """How to build a module-level model again: a torch layer or container has no state a
    forward changes (the same object); `model = Net(3, 10)`, written with literal arguments at
    module level, by evaluating that call again; None for any other (not confirmed)."""
    if value.cls is None:
        return lambda vm: value
    call = value.node
    if not isinstance(call, cst.Call) or not all(_literal(a.value) for a in call.args):
        return None
    if not any(isinstance(s, cst.SimpleStatementLine) and any(isinstance(b, cst.Assign) and b.value is call for b in s.body)
               for s in checker.module.body):
        return None  # built inside a function: its names are not the module's
    return lambda vm: vm.eval(call, Frame(checker.globals))


def _literal(node) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)) or (isinstance(node, cst.Name) and node.value in ("True", "False", "None"))


def _fails(checker, rank: int, rebuild, run) -> bool:
    sizes = Sizes()
    sink = FindingSink(sizes)
    interp = checker.interpreter(sizes, sink, ExplainRecorder(sizes))
    try:
        root = rebuild(interp)
    except (TooComplex, RaiseSignal, ReturnSignal):  # the main build ended: here it only means "not shown"
        return False
    if not isinstance(root, ModuleValue):
        return False
    # a 1-D input has no batch: its one size is a plain symbol (the batch's takes no part in proofs)
    x = checker.make_input(sizes, _dims(rank)) if rank > 1 else Tensor((sizes.input_symbol("D0"),))
    run(interp, root, x)
    return any(f.severity == "error" and f.code not in RUNS_ANYWAY for f in sink.findings)


def _dims(rank: int) -> List[str]:
    return ["B"] + [f"D{i}" for i in range(1, rank)]
