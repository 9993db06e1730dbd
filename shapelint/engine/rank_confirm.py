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

from .context import ExplainRecorder, FindingSink, Sizes
from .frame import RaiseSignal, ReturnSignal, TooComplex

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


def _fails(checker, rank: int, rebuild, run) -> bool:
    sizes = Sizes()
    sink = FindingSink(sizes)
    interp = checker.interpreter(sizes, sink, ExplainRecorder(sizes))
    try:
        root = rebuild(interp)
    except (TooComplex, RaiseSignal, ReturnSignal):  # the main build ended: here it only means "not shown"
        return False
    x = checker.make_input(sizes, _dims(rank))
    run(interp, root, x)
    return any(f.severity == "error" and f.code not in RUNS_ANYWAY for f in sink.findings)


def _dims(rank: int) -> List[str]:
    return ["B"] + [f"D{i}" for i in range(1, rank)]
