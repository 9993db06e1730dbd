"""Each model is checked as if its file had just been run: what one model's construction or
forward changes in the file's shared state is put back before the next model is checked.

Python shares a mutable parameter default (`def __init__(self, widths=[4])`), a module-level
list, a module-level name a constructor rebinds (`global COUNT; COUNT += 1`), a class attribute
or a module-level object's attributes between every call that reaches them; shapelint builds a model class the file never builds on its own as well as the model
that uses it (and rebuilds some to confirm a finding), so without this one check's appends
would be seen by the next one. torch builds only the model it is asked for.
"""

from __future__ import annotations

from ..core.values import ClassRef, FunctionRef, ModuleValue
from .frame import LambdaRef

_LIMIT = 50_000  # containers and objects walked; past it the state is not put back (as before)


def shared_containers(globals_: dict):
    """The lists, dicts and sets reachable from the file's names (through containers, objects'
    attributes, class attributes and parameter defaults), walked once per run of the checks;
    None when there are too many to keep."""
    found, seen = [globals_], set()  # the names themselves: `global COUNT; COUNT += 1` in a constructor
    stack = list(globals_.values())
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if len(seen) > _LIMIT:
            return None
        if isinstance(v, (list, dict, set)):
            found.append(v)
            stack.extend(v.values() if isinstance(v, dict) else v)
        elif isinstance(v, tuple):
            stack.extend(v)
        elif isinstance(v, ModuleValue):
            found.extend((v.attrs, v.children))
            stack.extend(v.attrs.values())
            stack.extend(v.children.values())
        elif isinstance(v, ClassRef):
            stack.extend(v.info.attr_values.values())
            for defaults in v.info.method_defaults.values():
                stack.extend((defaults or {}).values())
        elif isinstance(v, (FunctionRef, LambdaRef)) and v.defaults is not None:
            stack.extend(v.defaults.values())
    return found


def snapshot(containers):
    """A function that puts each of `containers` back as it is now (None: nothing to keep)."""
    if not containers:
        return None
    kept = [(c, _copy(c)) for c in containers]

    def restore() -> None:
        for obj, state in kept:
            _put(obj, state)

    return restore


def _copy(v):
    return dict(v) if isinstance(v, dict) else set(v) if isinstance(v, set) else list(v)


def _put(obj, state) -> None:
    if isinstance(obj, list):
        obj[:] = state
    else:
        obj.clear()
        obj.update(state)
