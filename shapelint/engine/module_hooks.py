"""Forward hooks and forward pre-hooks, as nn.Module.__call__ runs them.

`m.register_forward_pre_hook(h)`: before forward, `h(m, args)`; a result that is not None
replaces the arguments (a tuple, or one value that becomes the only argument).
`m.register_forward_hook(h)`: after forward, `h(m, args, output)`; a result that is not None
replaces the output. Before, hooks were ignored, so a hook that cuts or reshapes a layer's
output (`lambda m, i, o: o[:, :3]`) left the engine stating the layer's own shape (a wrong shape).
The returned handle's `remove()` takes the hook off. A hook registered with options the engine
does not follow (`with_kwargs=True`, `always_call=True`), or a list of hooks changed differently on
two undecided paths, makes the module's calls unknown. Backward hooks do not change forward.
"""

from __future__ import annotations

from ..core.values import ModuleValue, Unknown
from ..torch import containers
from . import mutation


class HookHandle:
    """What `register_forward_hook` returns: `remove()` takes the hook off the module."""

    def __init__(self, hooks: list, hook):
        self.hooks = hooks
        self.hook = hook


_LISTS = {"register_forward_pre_hook": "forward_pre_hooks", "register_forward_hook": "forward_hooks"}


def _hooks(m: ModuleValue, which: str) -> list:
    lst = m.__dict__.get(which)
    if lst is None:
        lst = m.__dict__[which] = []
    return lst


def _register(method: str):
    def register(vm, m, args, kwargs, node):
        lst = _hooks(m, _LISTS[method])
        mutation.touch(vm, lst)
        if len(args) != 1 or set(kwargs) - {"prepend"} or not isinstance(kwargs.get("prepend", False), bool):
            m.__dict__["hooks_unknown"] = True  # with_kwargs / always_call: not followed
            return Unknown("a hook handle")
        if kwargs.get("prepend"):
            lst.insert(0, args[0])
        else:
            lst.append(args[0])
        return HookHandle(lst, args[0])

    return register


def _register_backward(vm, m, args, kwargs, node):
    return Unknown("a backward hook's handle (backward hooks do not change forward)")


for _name in _LISTS:
    containers.METHODS[_name] = _register(_name)
for _name in ("register_full_backward_hook", "register_full_backward_pre_hook", "register_backward_hook"):
    containers.METHODS[_name] = _register_backward


def handle_method(vm, handle: HookHandle, name: str, args, kwargs, node):
    if name == "remove" and not args and not kwargs:
        mutation.touch(vm, handle.hooks)
        if any(h is handle.hook for h in handle.hooks):
            del handle.hooks[next(i for i, h in enumerate(handle.hooks) if h is handle.hook)]
        return None
    return vm.unmodelled(f"hook handle method `{name}`", node)


def hooked(m: ModuleValue) -> bool:
    d = m.__dict__
    return bool(d.get("forward_hooks") or d.get("forward_pre_hooks") or d.get("hooks_unknown"))


def call_with_hooks(vm, m: ModuleValue, args, kwargs, node, forward):
    """`m(*args, **kwargs)` with its hooks: pre-hooks, forward (the `forward(args, kwargs)` given), hooks."""
    d = m.__dict__
    pre, post = d.get("forward_pre_hooks") or [], d.get("forward_hooks") or []
    if d.get("hooks_unknown") or any(id(lst) in vm.poisoned for lst in (pre, post)):
        return Unknown("a module whose hooks shapelint does not follow")  # forward's inputs are not known either
    for h in list(pre):
        r = vm.call(h, [m, tuple(args)], {}, node)
        if isinstance(r, Unknown):
            return Unknown("a forward pre-hook's result")
        if r is not None:
            args = list(r) if isinstance(r, tuple) else [r]
    result = forward(args, kwargs)
    for h in list(post):
        r = vm.call(h, [m, tuple(args), result], {}, node)
        if isinstance(r, Unknown):
            return Unknown("a forward hook's result")
        if r is not None:
            result = r
    return result
