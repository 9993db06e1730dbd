"""The interpreter's own bookkeeping: frames, control-flow signals, limits, value identity."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..core.symbolic import Expr
from ..core.values import Builtin, ClassRef, Tensor, Unknown

# budgets: a model file that needs more is "too complex", never a hang
MAX_DEPTH = 40  # nested calls of the user's functions
MAX_STEPS = 200_000  # statements per model run
CALL_STEPS = 5  # what a call of the user's functions counts against MAX_STEPS
MAX_UNROLL = 10_000  # iterations of a loop or comprehension
MAX_SEQ = 100_000  # elements of a list, string or tuple built by the code

ABSENT = object()  # "no such attribute" in write logs and merges
MAYBE_ABSENT = "set differently on two undecided paths"  # the reason of an attribute that one path may lack


class ReturnSignal(Exception):
    def __init__(self, value):
        self.value = value


class RaiseSignal(Exception):
    """An exception the model code raises; `kind` names its class where shapelint knows it (NameError)."""

    def __init__(self, kind=None):
        super().__init__(kind)
        self.kind = kind


class BreakSignal(Exception):
    pass


class ContinueSignal(Exception):
    pass


class TooComplex(Exception):
    pass


class Frame:
    __slots__ = ("locals", "globals", "cls", "self_obj", "alt_returns", "rebound", "local_names")

    def __init__(self, globals_: dict, cls=None, self_obj=None):
        self.locals: Dict[str, Any] = {}
        self.globals = globals_
        self.cls = cls  # extract.ClassInfo of the method running, for super()
        self.self_obj = self_obj
        self.alt_returns: List[Any] = []  # values returned on undecided paths that did return
        self.rebound: set = set()  # names an assignment has bound since the call began (engine/callsite.py)
        self.local_names = None  # a function's frame: the names its scope binds (local_names.py)


class LiveScope:
    """A closure's view of the function that defined it: that frame's names as they are when the
    closure reads or writes them (late binding, as in Python), through whatever scope the frame
    holds then: an undecided branch's overlay sees the branch's own names, and a `nonlocal` write
    lands in it instead of under both paths."""

    __slots__ = ("frame",)

    def __init__(self, frame):
        self.frame = frame

    def keys(self):
        return self.frame.locals.keys()

    def __getitem__(self, name):
        return self.frame.locals[name]

    def __setitem__(self, name, value) -> None:
        self.frame.locals[name] = value

    def __contains__(self, name) -> bool:
        return name in self.frame.locals

    def get(self, name, default=None):
        return self.frame.locals.get(name, default)

    def items(self):
        return self.frame.locals.items()


class Overlay:
    """A scope that reads through to `base` and keeps its own writes: an undecided branch's
    names, a comprehension's. Creating one costs nothing, whatever the size of `base`
    (a module's globals), so a branch costs what it touches, not what the file holds.

    With `copy_lists`, a list read from `base` is copied first (once), so the branch may
    mutate it (`layers.append(...)`) without the other branch seeing it.
    """

    __slots__ = ("base", "own", "copy_lists")

    def __init__(self, base, copy_lists: bool = False):
        self.base = base
        self.own: Dict[str, Any] = {}
        self.copy_lists = copy_lists

    def __getitem__(self, name):
        own = self.own
        if name in own:
            v = own[name]
            if v is ABSENT:
                raise KeyError(name)
            return v
        v = self.base[name]
        if self.copy_lists and type(v) is list:
            v = own[name] = list(v)
        return v

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        v = self.own.get(name, self)
        if v is self:
            return name in self.base
        return v is not ABSENT

    def __setitem__(self, name, value) -> None:
        self.own[name] = value

    def pop(self, name, default=None):
        try:
            v = self[name]
        except KeyError:
            return default
        self.own[name] = ABSENT
        return v

    def update(self, other) -> None:
        self.own.update(other)

    def keys(self):
        base = set(self.base.keys())
        for k, v in self.own.items():
            if v is ABSENT:
                base.discard(k)
            else:
                base.add(k)
        return base

    def __iter__(self):
        return iter(self.keys())

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        """What every visible name holds, without the copy `self[name]` makes of a base list."""
        return [v for _k, v in self._visible()]

    def _visible(self):
        own = self.own
        base = self.base._visible() if isinstance(self.base, Overlay) else self.base.items()
        return [(k, v) for k, v in own.items() if v is not ABSENT] + [(k, v) for k, v in base if k not in own]

    def written(self) -> Dict[str, Any]:
        """The names this scope set or deleted (ABSENT), not those it only read."""
        return self.own


class LambdaRef:
    """A lambda of the user's file with the names it closes over."""

    __slots__ = ("node", "captured", "cls", "self_obj", "defaults")

    def __init__(self, node, captured: dict, cls=None, self_obj=None, defaults=None):
        self.node = node
        self.captured = captured
        self.cls = cls
        self.self_obj = self_obj
        self.defaults = defaults  # its parameters' defaults, evaluated where the lambda was made


def same_value(a, b) -> bool:
    """Whether two paths certainly computed the same value (a merge keeps it, else unknown)."""
    if a is b:
        return True
    if isinstance(a, (Unknown, Tensor)) or isinstance(b, (Unknown, Tensor)):
        if isinstance(a, Tensor) and isinstance(b, Tensor):  # and the same known values, if any (tensor_values.py)
            return a.shape is not None and a.shape == b.shape and getattr(a, "values", None) == getattr(b, "values", None)
        return False
    if type(a) is not type(b):
        return False
    if isinstance(a, (int, float, str, bool, Expr)) or a is None:
        return a == b
    if isinstance(a, (list, tuple)):
        if getattr(a, "info", None) is not getattr(b, "info", None):
            return False  # namedtuples of two classes: equal as tuples, not by their field names
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return False


def hashable(k) -> bool:
    """A dict key or set item whose hash and equality are Python's: a builtin class or a class of
    the file is one object (`{int: ..., tuple: ...}[type(k)]`)."""
    return isinstance(k, (int, str, float, bool, tuple, Builtin, ClassRef)) or k is None


def restore(o, name: str, child, attr) -> None:
    """Put a module's child/attribute `name` back as a write log recorded it."""
    if child is ABSENT:
        o.children.pop(name, None)
    else:
        o.children[name] = child
    if attr is ABSENT:
        o.attrs.pop(name, None)
    else:
        o.attrs[name] = attr


def log_write(write_log: Optional[list], o, name: str) -> None:
    """Record module `o`'s state of `name` before a write, so an undecided branch can undo it."""
    if write_log is not None:
        write_log.append((o, name, o.children.get(name, ABSENT), o.attrs.get(name, ABSENT)))
