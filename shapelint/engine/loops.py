"""`while` loops, run exactly on known values (`while size > 4:` stage builders).

The loop runs as Python runs it (`break`, `continue`, `else`) inside a scope of its own,
with module writes journaled, so that when its test cannot be decided or it runs past
MAX_WHILE iterations everything it did is undone and the loop is havocked instead: each
name it may change becomes unknown, as for a loop shapelint cannot unroll.
"""

from __future__ import annotations

from . import branches, mutation
from .exceptions import builtin_kind
from .frame import ABSENT, BreakSignal, ContinueSignal, Overlay, RaiseSignal, ReturnSignal, restore
from .pyvalues import truth

MAX_WHILE = 1_000  # iterations; a longer loop is havocked


class LoopScope(Overlay):
    """An Overlay that remembers which of the base's lists it copied, so that a committed
    loop mutates the original list (another name or attribute may hold it too)."""

    __slots__ = ("copies",)

    def __init__(self, base):
        super().__init__(base)  # lists are changed in place, journalled by `mutation.Journal`
        self.copies = {}

    def __getitem__(self, name):
        had = name in self.own
        v = super().__getitem__(name)
        if not had and name in self.own:
            self.copies[name] = (self.base[name], v)  # (the original list, the loop's copy)
        return v


class _Undecided(Exception):
    pass


def _run(vm, stmt, frame) -> None:
    for _ in range(MAX_WHILE):
        t = truth(vm.eval(stmt.test, frame))
        if t is None:
            raise _Undecided()
        if not t:
            if stmt.orelse is not None:
                vm.exec_block(stmt.orelse.body.body, frame)
            return
        try:
            vm.exec_block(stmt.body.body, frame)
        except BreakSignal:
            return
        except ContinueSignal:
            continue
    raise _Undecided()


def _commit(scope: LoopScope, base) -> None:
    for name, v in scope.own.items():
        orig, copy = scope.copies.get(name, (None, None))
        if copy is not None and v is copy:
            orig[:] = v  # the loop mutated the list it read: the original list, as in Python
        elif v is ABSENT:
            base.pop(name, None)
        else:
            base[name] = v


def exec_while(vm, stmt, frame) -> None:
    base, outer_log = frame.locals, vm.write_log
    rows, uses = vm.explain.mark(), len(vm.explain.module_calls)
    scope = frame.locals = LoopScope(base)
    vm.write_log = log = []
    vm.findings.open_branch()
    journal = mutation.Journal(vm)
    outer_scope, vm.tentative_scope = vm.tentative_scope, scope
    try:
        try:
            _run(vm, stmt, frame)
        finally:
            vm.tentative_scope = outer_scope
    except _Undecided:
        journal.undo()  # the lists and dicts the iterations changed, as they were
        vm.findings.close_branch()
        for o, n, c, a in reversed(log):  # undo what the iterations did to modules
            restore(o, n, c, a)
        vm.explain.take_since(rows)
        del vm.explain.module_calls[uses:]
        frame.locals, vm.write_log = base, outer_log
        branches.havoc(vm, stmt.body, frame)
        return
    except (ReturnSignal, RaiseSignal):
        journal.keep()
        _finish(vm, scope, base, log, outer_log, frame)
        raise
    except BaseException:
        journal.keep()
        vm.findings.close_branch()
        frame.locals, vm.write_log = base, outer_log
        raise
    journal.keep()
    _finish(vm, scope, base, log, outer_log, frame)


def _finish(vm, scope, base, log, outer_log, frame) -> None:
    """The loop ran as Python would: its names, findings and module writes stand."""
    vm.findings.extend(vm.findings.close_branch())
    _commit(scope, base)
    frame.locals, vm.write_log = base, outer_log
    if outer_log is not None:
        outer_log.extend(log)  # an enclosing undecided branch can still undo them


TOO_LONG = object()  # live_items: the list grew past MAX_UNROLL while the loop ran


def live_items(vm, source, snapshot: list):
    """What `for x in source` visits, as Python's iterators read it: a list by index while the index
    is below its length at that moment (a body that appends is seen: `for v in l: l.append(...)`),
    a dict whose size the body changed raises RuntimeError at the next step; anything else, the
    elements as they were."""
    from .frame import MAX_UNROLL

    if type(source) is list:
        i = 0
        while i < len(source):
            if i >= MAX_UNROLL:
                yield TOO_LONG
                return
            yield source[i]
            i += 1
        return
    size = len(source) if type(source) is dict else None
    for item in snapshot:
        yield item
        if size is not None and len(source) != size:
            raise RaiseSignal(builtin_kind("RuntimeError"))  # dictionary changed size during iteration
