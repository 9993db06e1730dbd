"""In-place changes to lists, dicts and sets: modelled exactly, or the container is poisoned.

A container the engine saw change in a way it does not model (`widths.frobnicate()`,
`del cfg[key]` with an unknown key, a list handed to a function shapelint cannot follow)
must not keep its old contents: every later read of it is unknown (promise 2). The
containers are plain Python values shared by every name that refers to them, so the
poison is kept by identity on the interpreter (`Interpreter.poisoned`) and checked where
an expression's value is produced (`Interpreter.eval`).
"""

from __future__ import annotations

import libcst as cst

from ..core.symbolic import Expr
from ..core.values import ModuleValue, Tensor, Unknown
from ..torch import containers, tensor_values
from .frame import MAX_SEQ, hashable

MUTABLE = (list, dict, set)

# element types whose ordering and equality are Python's own (sort, remove, index, `in`)
_PLAIN = (int, float, str, bool, type(None))


_MUTATING = {
    list: ("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"),
    dict: ("update", "setdefault", "pop", "popitem", "clear"),
    set: ("add", "discard", "update"),
}


def touch(vm, obj) -> None:
    """Before a change to `obj`: inside an undecided path, keep its state so the path can be undone."""
    log = vm.container_log
    if log is not None and id(obj) not in log and id(obj) not in vm.container_born:
        log[id(obj)] = (obj, _snapshot(obj))


def touch_children(vm, m: ModuleValue) -> None:
    """A torch container's modules about to change (append, pop, del, ...): inside an undecided
    path they are kept so the path can be undone; a change the paths disagree on leaves the
    container unknown (merge_paths)."""
    if vm.container_log is not None:
        touch(vm, m.children)
        vm.__dict__.setdefault("children_owner", {})[id(m.children)] = m


def born(vm, obj) -> None:
    """`obj` was made on the undecided path running now: changing it needs no undo."""
    vm.container_born.add(id(obj))


def _snapshot(obj):
    return dict(obj) if isinstance(obj, dict) else (set(obj) if isinstance(obj, set) else list(obj))


def _put(obj, state) -> None:
    if isinstance(obj, list):
        obj[:] = state
    else:
        obj.clear()
        obj.update(state)


def run_path(vm, run):
    """Run one undecided path with a journal of the containers it changes; undo them after.

    Returns {id: (container, state the path left it in)}."""
    outer, vm.container_log = vm.container_log, {}
    outer_born, vm.container_born = vm.container_born, set()
    try:
        run()
    finally:
        log, vm.container_log = vm.container_log, outer
        outer_born |= vm.container_born  # made on this path: made on the enclosing one too
        vm.container_born = outer_born
    final = {}
    for k, (obj, before) in log.items():
        final[k] = (obj, _snapshot(obj))
        _put(obj, before)
    return final


class Journal:
    """The containers changed since `Journal(vm)`, so that they can be put back (`undo`) or the
    changes kept (`keep`, which hands them to the enclosing journal, if any)."""

    def __init__(self, vm):
        self.vm = vm
        self.outer, vm.container_log = vm.container_log, {}
        self.outer_born, vm.container_born = vm.container_born, set()

    def _close(self) -> dict:
        vm = self.vm
        log, vm.container_log = vm.container_log, self.outer
        self.outer_born |= vm.container_born
        vm.container_born = self.outer_born
        return log

    def undo(self) -> None:
        for obj, before in self._close().values():
            _put(obj, before)

    def keep(self) -> None:
        log = self._close()
        if self.outer is not None:
            for k, entry in log.items():
                self.outer.setdefault(k, entry)  # the state before, for the enclosing path's undo


def merge_paths(vm, finals, same_value) -> None:
    """After the paths: a container left alike by every live path keeps that state; else poisoned."""
    keys = {}
    for f in finals:
        keys.update(dict.fromkeys(f))
    for k in keys:
        states = [f.get(k) for f in finals]
        obj = next(s[0] for s in states if s is not None)
        touch(vm, obj)  # an enclosing undecided path must be able to undo this too
        if all(s is not None for s in states) and all(_same_state(s[1], states[0][1], same_value) for s in states):
            _put(obj, states[0][1])
        elif vm.__dict__.get("children_owner", {}).get(k) is not None:
            containers.make_opaque(vm.children_owner[k])  # a container's modules: which ones is not known
        else:
            poison(vm, obj, "changed differently on two undecided paths")


def _same_state(a, b, same_value) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, set):
        return a == b
    return same_value(a, b)


def poison(vm, obj, why: str, depth: int = 0) -> None:
    """Every later read of `obj` (and, for an escape, of the containers inside it) is unknown."""
    if isinstance(obj, Tensor):
        tensor_values.forget(obj)  # `t[i, j] = v`: its shape holds, what was known of its values does not
        return
    if isinstance(obj, ModuleValue):
        if obj.cls is None and obj.spec is None:  # a torch container: Sequential, ModuleList, ModuleDict
            vm.poisoned[id(obj)] = (obj, why)
        return
    if not isinstance(obj, MUTABLE) or depth > 3:
        return
    vm.poisoned[id(obj)] = (obj, why)  # the object is kept alive, so its id is not reused
    if depth < 3 and len(obj) <= 1000:
        for item in (obj.values() if isinstance(obj, dict) else obj):
            if isinstance(item, MUTABLE):
                poison(vm, item, why, depth + 1)


def escape(vm, args, kwargs, why: str) -> None:
    """Containers given to a callable shapelint cannot follow may have been changed by it."""
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, MUTABLE):
            poison(vm, a, why)


def _plain(items) -> bool:
    """Elements whose `==` the engine knows: plain values, and modules (compared by identity)."""
    return all(isinstance(v, _PLAIN) or isinstance(v, ModuleValue) for v in items)


def _sortable(items) -> bool:
    """Elements Python sorts without a key: all numbers, or all strings."""
    items = list(items)
    nums = all(isinstance(v, (int, float)) for v in items)
    strs = all(isinstance(v, str) for v in items)
    return nums or strs


def _elements(vm, v):
    """The elements `list.extend(v)` would take, or None."""
    if isinstance(v, (list, tuple, str, range)):
        return list(v) if not isinstance(v, range) or len(v) <= 10_000 else None
    if isinstance(v, dict):
        return list(v.keys())
    if isinstance(v, set) and _sortable(v):
        return list(v)
    return None


def list_method(vm, obj: list, name: str, args, kwargs):
    """`obj.name(*args, **kwargs)` on a known list, exactly; else the list is poisoned."""
    if name in _MUTATING[list]:
        touch(vm, obj)
    if name in ("append",) and len(args) == 1 and not kwargs:
        obj.append(args[0])
        return None
    if name == "extend" and len(args) == 1 and not kwargs:
        items = _elements(vm, args[0])
        if items is not None and len(obj) + len(items) > MAX_SEQ:
            poison(vm, obj, f"grown past shapelint's size budget ({MAX_SEQ:,} items)")
            return Unknown("a list over shapelint's size budget")
        if items is not None:
            obj.extend(items)
            return None
    if name == "insert" and len(args) == 2 and not kwargs and _int(args[0]):
        obj.insert(args[0], args[1])
        return None
    if name == "pop" and not kwargs and len(args) <= 1:
        if not args and obj:
            return obj.pop()
        if args and _int(args[0]) and -len(obj) <= args[0] < len(obj):
            return obj.pop(args[0])
    if name == "remove" and len(args) == 1 and not kwargs and _plain(obj) and _plain(args):
        if args[0] in obj:
            obj.remove(args[0])
            return None
        return Unknown("list.remove of a missing value raises ValueError")
    if name == "reverse" and not args and not kwargs:
        obj.reverse()
        return None
    if name == "sort" and not args and set(kwargs) <= {"reverse"} and _sortable(obj):
        rev = kwargs.get("reverse", False)
        if isinstance(rev, bool):
            obj.sort(reverse=rev)
            return None
    if name == "clear" and not args and not kwargs:
        obj.clear()
        return None
    if name == "copy" and not args and not kwargs:
        return list(obj)
    if name in ("index", "count") and args and not kwargs and _plain(obj) and _plain(args):
        try:
            return getattr(obj, name)(*args)
        except (ValueError, TypeError):
            return Unknown(f"list.{name} raises")
    if name in ("index", "count"):
        return Unknown(f"list.{name} of values shapelint does not compare")  # no change to the list
    return _unmodelled(vm, obj, f"list.{name}")


def dict_method(vm, obj: dict, name: str, args, kwargs):
    """`obj.name(...)` on a known dict, exactly; else the dict is poisoned."""
    if name in _MUTATING[dict]:
        touch(vm, obj)
    if name in ("keys", "values", "items") and not args and not kwargs:
        return list(getattr(obj, name)())
    if name == "__getitem__" and len(args) == 1 and not kwargs:  # `super().__getitem__(key)` of a dict subclass
        return obj[args[0]] if hashable(args[0]) and args[0] in obj else Unknown("key")
    if name == "get" and 1 <= len(args) <= 2 and not kwargs and hashable(args[0]):
        return obj.get(args[0], args[1] if len(args) > 1 else None)
    if name == "copy" and not args and not kwargs:
        return dict(obj)
    if name == "update" and len(args) <= 1:
        pairs = _pairs(args[0]) if args else []
        if pairs is not None:
            for k, v in pairs:
                obj[k] = v
            obj.update(kwargs)
            return None
    if name == "setdefault" and 1 <= len(args) <= 2 and not kwargs and hashable(args[0]):
        return obj.setdefault(args[0], args[1] if len(args) > 1 else None)
    if name == "pop" and 1 <= len(args) <= 2 and not kwargs and hashable(args[0]):
        if args[0] in obj or len(args) == 2:
            return obj.pop(*args)
        return Unknown("dict.pop of a missing key raises KeyError")
    if name == "popitem" and not args and not kwargs and obj:
        return obj.popitem()
    if name == "clear" and not args and not kwargs:
        obj.clear()
        return None
    return _unmodelled(vm, obj, f"dict.{name}")


def set_method(vm, obj: set, name: str, args, kwargs):
    if name in _MUTATING[set]:
        touch(vm, obj)
    if name == "add" and len(args) == 1 and not kwargs and hashable(args[0]):
        obj.add(args[0])
        return None
    if name == "discard" and len(args) == 1 and not kwargs and hashable(args[0]):
        obj.discard(args[0])
        return None
    if name == "update" and not kwargs and all(_elements(vm, a) is not None for a in args):
        for a in args:
            obj.update(v for v in _elements(vm, a) if hashable(v))
        return None
    if name == "copy" and not args and not kwargs:
        return set(obj)
    return _unmodelled(vm, obj, f"set.{name}")


def _pairs(v):
    if isinstance(v, dict):
        return list(v.items())
    if isinstance(v, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 and hashable(p[0]) for p in v):
        return [tuple(p) for p in v]
    return None


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _unmodelled(vm, obj, what: str):
    poison(vm, obj, f"`{what}(...)`, which shapelint does not model, changed it")
    return vm.unmodelled(f"method `{what}`")


# ---------------------------------------------------------------------------- statements


def set_item(vm, obj, key, value) -> bool:
    """`obj[key] = value` on a list or dict; True when modelled (else the container is poisoned)."""
    if isinstance(obj, MUTABLE):
        touch(vm, obj)
    if isinstance(obj, dict) and hashable(key) and not isinstance(key, (Unknown, Expr, Tensor)):
        obj[key] = value
        return True
    if isinstance(obj, list):
        if _int(key) and -len(obj) <= key < len(obj):
            obj[key] = value
            return True
        if isinstance(key, slice):
            items = _elements(vm, value)
            if items is not None:
                try:
                    obj[key] = items
                    return True
                except (ValueError, TypeError):  # an extended slice of another length raises
                    pass
    if isinstance(obj, MUTABLE):
        poison(vm, obj, "an item assignment shapelint does not model changed it")
        vm.unmodelled("item assignment")
    return False


def del_item(vm, obj, key) -> None:
    """`del obj[key]`."""
    if isinstance(obj, MUTABLE):
        touch(vm, obj)
    try:
        if isinstance(obj, dict) and hashable(key) and key in obj and not isinstance(key, (Unknown, Expr)):
            del obj[key]
            return
        if isinstance(obj, list) and (isinstance(key, slice) or (_int(key) and -len(obj) <= key < len(obj))):
            del obj[key]
            return
    except TypeError:
        pass
    if isinstance(obj, MUTABLE):
        poison(vm, obj, "a `del` shapelint does not model changed it")
        vm.unmodelled("del of an item")


def poisoned_value(vm, value):
    """What a read of `value` gives: unknown when it is a poisoned container."""
    entry = vm.poisoned.get(id(value))
    if entry is not None and entry[0] is value:
        return Unknown(entry[1])
    return value


def clobber(m: ModuleValue, why: str) -> None:
    """Any attribute of module `m` may have been written by code shapelint did not follow
    (`setattr(self, name, v)` with an unknown name, a loop it could not unroll)."""
    m.clobbered = why
    m.rewritten = set()


def exec_del(vm, target, frame) -> None:
    """`del name`, `del a, b`, `del x[k]` and `del obj.attr`, as Python runs them."""
    if isinstance(target, cst.Name):
        frame.locals.pop(target.value, None)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for e in target.elements:
            exec_del(vm, e.value, frame)
    elif isinstance(target, cst.Subscript):
        obj = vm.eval(target.value, frame)
        if len(target.slice) == 1:
            key = vm.eval_key(target.slice[0].slice, frame)
            if isinstance(obj, ModuleValue):
                if not containers.delete_index(vm, obj, key):
                    poison(vm, obj, "a `del` shapelint does not model changed it")
            else:
                del_item(vm, obj, key)
        else:
            poison(vm, obj, "a `del` shapelint does not model changed it")
    elif isinstance(target, cst.Attribute):
        vm.del_attr(vm.eval(target.value, frame), target.attr.value)
