"""Which call produced each tensor a call reads: the data-flow edges `shapelint graph` draws.

Off unless a picture is asked for (`ExplainRecorder.flow` is None otherwise, so the
normal lint pays nothing). While on, every tensor a module call, a functional op or a
tensor operator (`a + b`, which then gets a row of its own) returns is mapped to the
call that made it; each new call notes the producers of ALL its tensor inputs (both
operands of `+`, each element of `torch.cat([a, b])`) and the module call it runs in.
The model's input is the producer INPUT.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ..core.values import Tensor

INPUT = "input"  # the producer of the model's input tensors
_MAX_DEPTH = 2  # tensors inside lists/tuples (torch.cat([a, b]), a tuple of outputs)


def tensors_in(values, depth: int = 0) -> List[Tensor]:
    out: List[Tensor] = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)) and depth < _MAX_DEPTH:
            out.extend(tensors_in(v, depth + 1))
        elif isinstance(v, dict) and depth < _MAX_DEPTH:
            out.extend(tensors_in(list(v.values()), depth + 1))
    return out


class DataFlow:
    """The producer of each tensor seen, and the call each call runs inside."""

    def __init__(self):
        self._producer: Dict[int, tuple] = {}  # id(tensor) -> (tensor kept alive, call or INPUT)
        self._open: List[object] = []  # the module calls running now, innermost last
        self.sources: Dict[int, list] = {}  # id(call) -> its inputs' producers, in argument order
        self.parent: Dict[int, object] = {}  # id(call) -> the module call it runs in
        self.output: list = []  # the producers of the model's result

    def note_input(self, values) -> None:
        for t in tensors_in(values):
            self._producer[id(t)] = (t, INPUT)

    def producers(self, values) -> list:
        found = []
        for t in tensors_in(values):
            hit = self._producer.get(id(t))
            if hit is not None and hit[0] is t and hit[1] not in found:
                found.append(hit[1])
        return found

    def begin(self, call, inputs) -> None:
        self._start(call, inputs)
        self._open.append(call)

    def end(self, call, result) -> None:
        if self._open and self._open[-1] is call:
            self._open.pop()
        for t in tensors_in([result]):
            hit = self._producer.get(id(t))
            # a container's result is its last layer's: keep that producer, drawn inside it
            if hit is not None and hit[0] is t and self._inside(hit[1], call):
                continue
            self._producer[id(t)] = (t, call)

    def op(self, call, inputs, result) -> None:
        self._start(call, inputs)
        for t in tensors_in([result]):
            self._producer[id(t)] = (t, call)

    def finish(self, result) -> None:
        self.output = self.producers([result])

    def _start(self, call, inputs) -> None:
        self.sources[id(call)] = self.producers(inputs)
        if self._open:
            self.parent[id(call)] = self._open[-1]

    def _inside(self, call, group) -> bool:
        seen = 0
        while call is not None and call is not INPUT and seen < 10_000:
            call = self.parent.get(id(call))
            if call is group:
                return True
            seen += 1
        return False


def index(calls: list, flow: Optional[DataFlow]) -> tuple:
    """Per row of `calls`: (parent row or None, [source rows]), -1 for the model input;
    and the rows of the model's result. Producers no longer in the table (an undecided
    loop's discarded rows) are left out."""
    at = {id(c): i for i, c in enumerate(calls)}

    def rows(producers):
        out = []
        for p in producers:
            i = -1 if p is INPUT else at.get(id(p))
            if i is not None and i not in out:
                out.append(i)
        return out

    links = []
    for c in calls:
        parent = flow.parent.get(id(c))
        links.append((at.get(id(parent)) if parent is not None else None, rows(flow.sources.get(id(c), []))))
    return links, rows(flow.output)
