"""`self.training`: a model whose code reads it runs its forward in both modes, train then eval.

torch builds a module in training mode (`nn.Module.__init__` sets `training = True`) and
`model.eval()` flips every submodule at once, so a forward sees one mode throughout. A model
whose classes (or the file's functions) read `.training` is run once per mode, each with the
same input and from the same module state; then:

- a finding of both modes is reported once; one of a single mode is reported too (an error in
  a training-only auxiliary head is an error), its message saying which mode;
- an explain row both modes produced (the same module at the same call) keeps its shape where
  the two agree, and is unknown where they differ; a row of one mode only is conditional;
- the model's output is kept where both modes return the same, else unknown.

A model that never reads `.training` runs once, as before; outside these runs (while a model
is built) `self.training` stays unknown.
"""

from __future__ import annotations

from typing import Callable, Iterable, List

import libcst as cst

from ..core.values import ModuleValue, Unknown
from . import mutation
from .context import shape_of
from .cstwalk import walk
from .frame import restore, same_value

MODES = (True, False)  # train first: the mode torch builds a model in
LABEL = {True: "in training mode only: ", False: "in eval mode only: "}
DIFFERS = "differs between training and eval mode"


def _reads(node) -> bool:
    return any(isinstance(n, cst.Attribute) and n.attr.value == "training" for n in walk(node))


def classes_read_training(tree: Iterable[ModuleValue], file_globals=None, source: str = "") -> bool:
    """Whether a class of the model's modules (its MRO included) reads `.training`; each class
    is read once (`ClassInfo.reads_training`). A class of the checked file (its globals are
    `file_globals`) cannot when the file's text has no "training": no walk then."""
    free = file_globals is not None and bool(source) and "training" not in source
    seen = set()
    for m in tree:
        if m.cls is None:
            continue
        for c in m.cls.mro():
            if id(c) in seen:
                continue
            seen.add(id(c))
            if c.reads_training is None:
                c.reads_training = False if free and c.globals is file_globals else _reads(c.node)
            if c.reads_training:
                return True
    return False


def functions_read_training(module: cst.Module, source: str = "") -> bool:
    """Whether a function of the file reads `.training` (`def aux(model, x): if model.training`);
    an attribute named `training` is spelled in the text, so a text without it has none."""
    if source and "training" not in source:
        return False
    return any(isinstance(s, cst.FunctionDef) and _reads(s) for s in module.body)


def run_both(vm, sizes, run: Callable[[], object]):
    """`run()` (one forward of the model) in training mode, then in eval mode; merged as the
    module docstring says. The training run's writes to modules and containers are undone
    before the eval run, so both start from the state the model was built in, and each mode
    solves its own input-size requirements (`sizes`): what one mode requires cannot make the
    other fail; the model's accepted sizes are those both modes accept."""
    sink, rec = vm.findings, vm.explain
    rows_start, calls_start, steps = rec.mark(), len(rec.module_calls), vm.steps
    flow = rec.flow
    cons = sizes.constraints
    start = (list(cons.equations), list(cons.positive), list(sizes.reasons))
    required = []
    runs = []
    for mode in MODES:
        vm.training, vm.steps = mode, steps  # each mode gets the budget of a single forward
        cons.equations, cons.positive, sizes.reasons = list(start[0]), list(start[1]), list(start[2])
        sink.open_branch()
        box: List[object] = []
        if mode is MODES[-1]:
            box.append(run())  # the last run leaves the model as one forward would
        elif not _training_run(vm, lambda: box.append(run())):
            # the forward never read the flag: eval mode would run the same statements on the
            # same values, so this run is both (and the model is left as it leaves it)
            vm.training = None
            sink.extend(sink.close_branch())
            return box[0] if box else Unknown("the forward did not finish")
        else:
            rec.flow = None  # `shapelint graph` draws the training run
        required.append((cons.equations, cons.positive, sizes.reasons))
        found = sink.close_branch()
        rows = rec.take_since(rows_start)
        calls = rec.module_calls[calls_start:]
        del rec.module_calls[calls_start:]
        runs.append((mode, box[0] if box else Unknown("the forward did not finish"), found, rows, calls))
    vm.training = None
    rec.flow = flow
    (eq_train, pos_train, why_train), (eq_eval, pos_eval, why_eval) = required
    cons.equations = eq_train + [e for e in eq_eval[len(start[0]):] if e not in eq_train]
    cons.positive = pos_train + [p for p in pos_eval[len(start[1]):] if p not in pos_train]
    sizes.reasons = why_train + [r for r in why_eval[len(start[2]):] if r not in why_train]
    (_, out_train, found_train, rows_train, calls_train), (_, out_eval, found_eval, rows_eval, calls_eval) = runs
    sink.extend(merge_findings(found_train, found_eval))
    rec.calls.extend(merge_rows(rows_train, rows_eval))
    rec.module_calls.extend(merge_rows(calls_train, calls_eval))
    return out_train if same_value(out_train, out_eval) else Unknown(f"the model's output {DIFFERS}")


def _training_run(vm, run: Callable[[], None]) -> bool:
    """The training-mode run; whether it read the mode flag. If it did, its writes to modules
    and containers are undone, so the eval run starts from the model as built; if it did not,
    they are kept (handed to an enclosing undecided path's logs, which can still undo them)."""
    reads = vm.training_reads
    outer_log, vm.write_log = vm.write_log, []
    journal = mutation.Journal(vm)
    read = True
    try:
        run()
    finally:
        read = vm.training_reads != reads
        writes, vm.write_log = vm.write_log, outer_log
        if read:
            journal.undo()
            for o, n, c, a in reversed(writes):
                restore(o, n, c, a)
        else:
            journal.keep()
            if outer_log is not None:
                outer_log.extend(writes)
    return read


def _finding_key(f) -> tuple:
    parts = tuple(p if isinstance(p, str) else (type(p).__name__, id(getattr(p, "node", p))) for p in f.parts)
    return (f.code, id(f.node), parts)


def merge_findings(train: list, eval_: list) -> list:
    """Those of both modes once; those of one mode with the mode in front of their message."""
    keys_train = {_finding_key(f) for f in train}
    keys_eval = {_finding_key(f) for f in eval_}
    out = []
    for mode, found, other in ((True, train, keys_eval), (False, eval_, keys_train)):
        for f in found:
            if _finding_key(f) in other:
                if mode is MODES[0]:
                    out.append(f)
            else:
                f.parts = (LABEL[mode],) + tuple(f.parts)
                out.append(f)
    return out


def _row_key(r) -> tuple:
    return (r.module, r.op, id(r.call), id(r.value))


def merge_rows(train: list, eval_: list) -> list:
    """LayerCalls of both runs: a call both made once (its shapes unknown where they differ), the
    others marked conditional and `branch` (whether it runs depends on the mode)."""
    waiting = {}
    for r in eval_:
        waiting.setdefault(_row_key(r), []).append(r)
    out = []
    for r in train:
        twins = waiting.get(_row_key(r))
        twin = twins.pop(0) if twins else None
        if twin is None:
            r.conditional = r.branch = True
        else:
            if not same_value(r.inp, twin.inp) or shape_of(r.inp) != shape_of(twin.inp):
                r.inp = Unknown(f"its input {DIFFERS}")
            if not same_value(r.out, twin.out) or shape_of(r.out) != shape_of(twin.out):
                r.out = Unknown(f"its output {DIFFERS}")
            r.conditional = r.conditional or twin.conditional
            r.branch = r.branch or twin.branch
            r.twin = twin  # the receptive field compares the two runs (receptive_fields.py)
        out.append(r)
    for rest in waiting.values():
        for r in rest:
            r.conditional = r.branch = True
            out.append(r)
    return out
