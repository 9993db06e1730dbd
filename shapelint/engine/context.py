"""The typed contexts one model is checked with; the interpreter receives them at construction.

- `Sizes`: what the input's sizes are (symbols, a declared batch), what the model
  requires of them (the constraint solver), and how a size is shown in messages.
- `FindingSink`: where findings go; an undecided branch reports into its own sink.
- `ExplainRecorder`: the explain table (module calls and ops), where shapes become
  unknown, and the shape of each tensor bound to a name; records only when asked.
- `ShapeContext`: all a torch shape rule may touch (report a finding, compare and
  show sizes), a view of the first two.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from ..core.findings import Finding
from ..core.symbolic import BATCH_NAME, Dim, Expr, exact_div, substitute, to_json
from ..core.values import ModuleValue, Tensor, Unknown
from .callsite import relocate
from .constraints import SAT, UNSAT, ConstraintSet, Solution

_BATCH_WORD = re.compile(rf"\b{BATCH_NAME}\b")


class Sizes:
    """The model input's sizes as symbols, and the assumptions made about them."""

    def __init__(self, declared_batch=None):
        self.batch = Expr.symbol(BATCH_NAME)
        # a declared integer batch: messages and tables show it instead of `B`
        self.declared_batch: Optional[int] = declared_batch if isinstance(declared_batch, int) else None
        self.constraints = ConstraintSet()
        self.reasons: List[str] = []  # what made the model accept only some input sizes
        self.rank_assumed = False  # the input's rank was guessed from a first Linear/Embedding
        self._symbols: Dict[str, Expr] = {}

    def input_symbol(self, name: str) -> Expr:
        if name not in self._symbols:
            self._symbols[name] = Expr.symbol(name)
        return self._symbols[name]

    def assume_rank(self) -> None:
        self.rank_assumed = True

    def require_positive(self, d: Dim) -> None:
        self.constraints.require_positive(d)

    def check_equal(self, a: Dim, b: Dim, reason: str) -> str:
        """'ok', 'bad' (no input size makes a == b) or 'maybe' (cannot tell)."""
        if a == b:
            return "ok"
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return "maybe"
        if isinstance(a, int) and isinstance(b, int):
            return "bad"
        qa, qb = exact_div(a, self.batch), exact_div(b, self.batch)
        if qa is not None and qb is not None:
            return self.check_equal(qa, qb, reason)  # B*x == B*y exactly when x == y (B >= 1)
        sol = self.constraints.require_equal(a, b)
        if sol.verdict == UNSAT:
            return "bad"
        if sol.verdict == SAT:
            self.reasons.append(reason)
            return "ok"
        if self.declared_batch is not None:  # a declared batch size decides what B cannot
            env = {BATCH_NAME: self.declared_batch}
            sa, sb = substitute(a, env), substitute(b, env)
            if isinstance(sa, int) and isinstance(sb, int):
                return "ok" if sa == sb else "bad"
        return "maybe"

    def accepted_inputs(self) -> Optional[Solution]:
        """The input sizes the model's requirements allow, when some but not all do."""
        if not self.reasons:
            return None
        sol = self.constraints.solutions()
        return sol if sol.verdict == SAT else None

    def show(self, d) -> str:
        if isinstance(d, Expr) and self.declared_batch is not None:
            d = substitute(d, {BATCH_NAME: self.declared_batch})
        return str(d)

    def display(self, shape) -> Optional[list]:
        """A shape as tables and JSON show it: ints, strings for symbolic sizes, `?` unknown."""
        if shape is None:
            return None
        env = {BATCH_NAME: self.declared_batch} if self.declared_batch is not None else {}
        out = []
        for d in shape:
            if isinstance(d, Expr) and env:
                d = substitute(d, env)
            if isinstance(d, Expr) and d.is_opaque():
                out.append("?")
            else:
                out.append(to_json(d) if isinstance(d, (int, Expr)) else "?")
        return out


class FindingSink:
    """Where findings go while a model is built or run."""

    def __init__(self, sizes: Sizes):
        self._sizes = sizes
        self._stack: List[List[Finding]] = [[]]
        self.site = None  # the layer whose rule runs now: a finding about its argument may move to a call site

    @property
    def findings(self) -> List[Finding]:
        return self._stack[0]

    def report(self, finding: Finding) -> None:
        if self._sizes.rank_assumed:
            # the input's rank was guessed from a Linear/Embedding, and a reduction or a view may
            # depend on it (`.mean(1)` of (B, T, F) keeps the features): no alarm on a guess alone
            finding.rank_guess = True
        if self._sizes.declared_batch is not None:  # messages show the declared batch, not `B`
            shown = str(self._sizes.declared_batch)
            finding.parts = tuple(_BATCH_WORD.sub(shown, p) if isinstance(p, str) else p for p in finding.parts)
        if self.site is not None and getattr(self.site, "call_args", None):
            relocate(finding, self.site)
        self._stack[-1].append(finding)

    def mark(self) -> int:
        return len(self._stack[-1])

    def since(self, mark: int) -> List[Finding]:
        """The findings reported since `mark`."""
        return self._stack[-1][mark:]

    def relate_since(self, mark: int, related) -> None:
        """Findings reported since `mark` get the related locations `related()` names."""
        if len(self._stack[-1]) > mark:
            extra = related()
            for f in self._stack[-1][mark:]:
                f.related += extra

    def open_branch(self) -> None:
        """Findings of one side of an undecided branch, kept apart until the sides merge."""
        self._stack.append([])

    def close_branch(self) -> List[Finding]:
        return self._stack.pop()

    def extend(self, findings) -> None:
        self._stack[-1].extend(findings)

    def settle_rank_guesses(self, confirmed: bool) -> None:
        """Keep the findings made under a guessed rank (rank_confirm.py showed every other rank
        fails too) or drop them."""
        for f in self._stack[0]:
            f.rank_guess = f.rank_guess and not confirmed
        self._stack[0][:] = [f for f in self._stack[0] if not f.rank_guess]


class LayerCall:
    """A module call or functional op while it runs: raw values, shown once the model is done
    (a pending model input learns its shape later)."""

    __slots__ = ("module", "op", "node", "call", "inp", "conditional", "params", "out", "value", "branch", "twin")

    def __init__(self, module, op, node, call, inp, conditional, params, out=None, value=None):
        self.module, self.op, self.node, self.call = module, op, node, call
        self.inp, self.conditional, self.params, self.out = inp, conditional, params, out
        self.value = value  # the ModuleValue called (module calls only)
        self.branch = False  # made inside an undecided branch (either side)
        self.twin = None  # the same call in the eval-mode run, merged into this training-mode one


class Merge:
    """Tensors merged position by position (`a + b`, `torch.cat([a, b], 1)`) while explaining:
    the receptive field follows them (receptive_fields.py); there is no row for an operator."""

    __slots__ = ("kind", "operands", "dim", "out", "conditional", "branch", "in_place")

    def __init__(self, kind, operands, dim, out, conditional, in_place):
        self.kind, self.operands, self.dim, self.out = kind, operands, dim, out
        self.conditional, self.in_place = conditional, in_place
        self.branch = False  # made inside an undecided branch (either side)


class ExplainRecorder:
    """The explain table of one model run; records nothing unless `recording`."""

    def __init__(self, sizes: Sizes, recording: bool = False):
        self._sizes = sizes
        self.recording = recording
        self.calls: List[LayerCall] = []
        # every module call, explain or not: the architecture rules read which module ran where on what
        self.module_calls: List[LayerCall] = []
        self.lost_sites: List[tuple] = []  # (node, reason): where shapes become unknown
        self.assignments: List[tuple] = []  # (node, name, shape) for each tensor bound to a name
        self.lost_count = 0
        self.matmul_operators = 0  # `a @ b` on tensors run (FlopCounterMode counts them; the table has no row)
        self.conditional = 0  # > 0 while running code that only one undecided path reaches
        self.flow = None  # dataflow.DataFlow while drawing (`shapelint graph`): who made each tensor
        self.merges: List[Merge] = []

    def lost(self, node, reason: str) -> None:
        self.lost_count += 1  # counted even when not recording: a model built this way is not exact
        if self.recording and all(r != reason for _n, r in self.lost_sites):  # each construct once
            self.lost_sites.append((node, reason))

    def record_value(self, node, name: str, value) -> None:
        if self.recording and shape_of(value) is not None:
            self.assignments.append((node, name, self._sizes.display(shape_of(value))))

    def begin_module(self, m: ModuleValue, call_node, x, inputs=()) -> Optional[LayerCall]:
        entry = LayerCall(m.name, m.kind, m.node or call_node, call_node, x, bool(self.conditional), m.params, value=m)
        if len(self.module_calls) < 100_000:
            self.module_calls.append(entry)
        if self.recording:
            self.calls.append(entry)
        if self.flow is not None:
            self.flow.begin(entry, inputs)
        return entry

    def end_module(self, entry: Optional[LayerCall], result) -> None:
        if entry is not None:
            entry.out = result
            if self.flow is not None:
                self.flow.end(entry, result)

    def record_op(self, label: str, node, before, result, params=None, inputs=None) -> None:
        """A functional op's row; `params`: its arguments as the layer it computes as takes them
        (torch.spec.functional_params), for the editor's formula; `inputs`: all its arguments
        (the data flow reads every tensor among them)."""
        if isinstance(result, (int, float, Expr)) or (isinstance(result, tuple) and not (result and isinstance(result[0], Tensor))):
            return  # x.size(0), x.dim(): a number, not a tensor row of the table
        if self.recording and (isinstance(before, Tensor) or isinstance(result, Tensor)):
            entry = LayerCall(None, label, node, node, before, bool(self.conditional), params, result)
            self.calls.append(entry)
            if self.flow is not None:
                self.flow.op(entry, (before,) if inputs is None else inputs, result)

    def record_operator(self, symbol: str, node, a, b, result) -> None:
        """`a + b` on tensors: a row only while drawing (the explain table has none)."""
        if self.flow is not None and isinstance(result, Tensor):
            self.record_op(symbol, node, a if isinstance(a, Tensor) else b, result, inputs=(a, b))

    def record_merge(self, kind: str, operands: tuple, dim, result, in_place: bool = False) -> None:
        """Tensors merged into `result`; `in_place`: `a += b`, which changes `a` itself in torch."""
        if self.recording and isinstance(result, Tensor) and all(isinstance(t, Tensor) for t in operands):
            self.merges.append(Merge(kind, operands, dim, result, bool(self.conditional), in_place))

    # undecided branches ----------------------------------------------------------------
    def mark(self) -> int:
        return len(self.calls)

    def take_since(self, mark: int) -> List[LayerCall]:
        taken = self.calls[mark:]
        del self.calls[mark:]
        return taken

    def merge_branch_rows(self, rows_a: list, rows_b: list) -> None:
        """Explain rows of an undecided branch: shared rows once, the others marked conditional."""
        def key(r):
            return (r.module, r.op, id(r.call), shape_of(r.inp), shape_of(r.out))

        seen = {key(r) for r in rows_a}
        for r in rows_a:
            if key(r) not in {key(x) for x in rows_b}:
                r.conditional = True
        for r in rows_b:
            if key(r) not in seen:
                r.conditional = True
        self.calls.extend(rows_a + [r for r in rows_b if key(r) not in seen])


class ShapeContext:
    """What a torch shape rule may do: report a finding, compare, name and show sizes."""

    def __init__(self, findings: FindingSink, sizes: Sizes):
        self.report = findings.report
        self.batch = sizes.batch
        self.declared_batch = sizes.declared_batch
        self.check_equal = sizes.check_equal
        self.show = sizes.show
        self.input_symbol = sizes.input_symbol
        self.require_positive = sizes.require_positive
        self.allow_zero = sizes.constraints.allow_zero  # a symbol used as a padding may be 0
        self.forced_sizes = sizes.constraints.forced  # the sizes the model's requirements force
        self.assume_rank = sizes.assume_rank
        self.rank_guessed = lambda: sizes.rank_assumed  # a rank-sensitive check then stays silent


def shape_of(v):
    """The shape a value shows in the table: a tensor's, or the first tensor of a tuple."""
    if isinstance(v, Tensor):
        return v.shape
    if isinstance(v, (tuple, list)) and v and isinstance(v[0], Tensor):
        return v[0].shape  # (output, indices) / (output, hidden) / torch.cat([a, b]) reads a
    return None
