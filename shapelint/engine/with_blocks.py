"""`with` statements: the body runs; `with contextlib.suppress(NameError):` (YOLOv5's
`args[j] = eval(a)` loop) also stops the body at an exception it names, and execution goes on
after the block, as Python does. An exception whose class shapelint does not know (a plain
`raise` it reached) is not judged: it goes on up, and what it leaves is unknown there.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..core.values import Ref
from .extract import dotted
from .frame import RaiseSignal

_SUPPRESS = ("contextlib.suppress",)


def _suppressed(vm, stmt: cst.With, frame) -> Optional[set]:
    """The exception class names a `contextlib.suppress(...)` item of the statement names; None without one."""
    names = None
    for item in stmt.items:
        call = item.item
        if not isinstance(call, cst.Call) or not isinstance(call.func, (cst.Name, cst.Attribute)):
            continue
        fn = vm.eval(call.func, frame)
        if isinstance(fn, Ref) and fn.qualname in _SUPPRESS:
            names = (names or set()) | {(dotted(a.value) or "?").rsplit(".", 1)[-1] for a in call.args}
    return names


def exec_with(vm, stmt: cst.With, frame) -> None:
    suppressed = _suppressed(vm, stmt, frame)
    if suppressed is None:
        vm.exec_block(stmt.body.body, frame)
        return
    try:
        vm.exec_block(stmt.body.body, frame)
    except RaiseSignal as e:
        if not (e.kind and e.kind & suppressed):
            raise
