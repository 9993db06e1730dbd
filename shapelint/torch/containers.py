"""nn.Sequential, nn.ModuleList, nn.ModuleDict and nn.Module's own methods, as torch defines them.

In the manner of pytype's overlays: the interpreter knows Python; what these torch
classes do with their children (construction, indexing, iteration, `append`,
`add_module`, `Sequential.forward`) is written here, against the interpreter (`vm`)
it is given: `vm.iterate`, `vm.call_module`, `vm.module_forward`, `vm.write_log`.
"""

from __future__ import annotations

from typing import Callable, Dict

from ..core.values import UNKNOWN, ModuleValue, Tensor, Unknown

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
NOT_MODELLED = object()  # a method call these rules do not cover (the caller makes it unknown)


def kind_of(m: ModuleValue):
    """"Sequential", "ModuleList" or "ModuleDict" for those containers and the user's subclasses of
    them (`class _DenseBlock(nn.ModuleDict)`: its self.items(), self[0], len(self) are torch's); else None."""
    if m.kind in CONTAINERS:
        return m.kind
    if m.cls is not None and m.spec is None:
        for q in m.cls.torch_bases():
            if q.startswith("torch.nn.") and q[9:] in CONTAINERS:
                return q[9:]
    return None


def _child(v) -> ModuleValue:
    """A value stored in a container: a module, or a module nobody knows."""
    return v if isinstance(v, ModuleValue) else ModuleValue("Unknown", None)


def _list_child(v):
    """A value stored in a ModuleList: torch keeps a None entry as None (HRNet's `fuse_layer.append(None)`
    on the diagonal, `transition[i] is not None`), so indexing and iterating give None back."""
    return None if v is None else _child(v)


def _child_of(m: ModuleValue, v):
    """`_list_child` for a ModuleList (or subclass); a Sequential calls every entry, so a None there is not known."""
    return _list_child(v) if kind_of(m) == "ModuleList" else _child(v)


# ---------------------------------------------------------------------------- construction


def sequential_init(m: ModuleValue, args) -> None:
    """nn.Sequential(a, b, ...) or nn.Sequential(OrderedDict(...))."""
    if len(args) == 1 and isinstance(args[0], dict):
        for k, v in args[0].items():
            if isinstance(v, ModuleValue):
                m.children[str(k)] = v
        return
    for i, a in enumerate(args):
        m.children[str(i)] = _child(a)


def construct(vm, kind: str, args, node) -> ModuleValue:
    """`nn.Sequential(...)`, `nn.ModuleList(...)` or `nn.ModuleDict(...)`."""
    m = ModuleValue(kind, node)
    if kind == "Sequential":
        sequential_init(m, args)
    elif kind == "ModuleList":
        seq = vm.iterate(args[0]) if args else []
        m.exact = seq is not None
        for i, v in enumerate(seq or []):
            m.children[str(i)] = _list_child(v)
    else:
        d = args[0] if args else {}
        if isinstance(d, (list, tuple)):
            d = dict(p for p in d if isinstance(p, (list, tuple)) and len(p) == 2)
        m.exact = isinstance(d, dict) and all(isinstance(v, ModuleValue) for v in d.values())
        if isinstance(d, dict):
            for k, v in d.items():
                if isinstance(v, ModuleValue):
                    m.children[str(k)] = v
    return m


def init_from_base(vm, m: ModuleValue, base: str, args) -> None:
    """`super().__init__(*layers)` in a subclass of nn.Sequential or nn.ModuleList."""
    if base == "torch.nn.Sequential":
        sequential_init(m, args)
    elif base == "torch.nn.ModuleList" and args:
        seq = vm.iterate(args[0])
        if seq is None or not all(isinstance(v, ModuleValue) or v is None for v in seq):
            make_opaque(m)  # torch adds every item: one shapelint does not know hides the rest
            return
        for i, v in enumerate(seq):
            m.children[str(i)] = v
    elif base == "torch.nn.ModuleDict" and args:
        d = construct(vm, "ModuleDict", args, None)
        if not d.exact:
            make_opaque(m)
        else:
            m.children.update(d.children)


# ---------------------------------------------------------------------------- as a Python container


def items(m: ModuleValue):
    """What `for x in m` iterates over; None when it is not a container."""
    if m.opaque:
        return None
    kind = kind_of(m)
    if kind == "ModuleDict":
        return list(m.children.keys())
    if kind in ("Sequential", "ModuleList"):
        return list(m.children.values())
    return None


def index(m: ModuleValue, key):
    """`m[i]`, `m[a:b]` (a container of the same kind) or `m["name"]`."""
    kids = list(m.children.items())
    if m.opaque:
        return Unknown("index of a container shapelint could not follow")
    kind = kind_of(m)
    if kind is None:
        return Unknown("index of a module that is not a container")
    if kind == "ModuleDict":
        return m.children.get(key, Unknown("key")) if isinstance(key, str) else Unknown("key")
    if isinstance(key, int) and not isinstance(key, bool):
        if -len(kids) <= key < len(kids):
            return kids[key][1]
        return Unknown("index")
    if isinstance(key, slice):
        if m.kind not in CONTAINERS:
            return Unknown("a slice of a container subclass (torch builds one of the subclass)")
        sub = ModuleValue(m.kind, m.node)
        for k, v in kids[key]:
            sub.children[k] = v
        return sub
    return Unknown("index")


def set_index(m: ModuleValue, key, value) -> bool:
    """`m[i] = layer` / `m["name"] = layer`; False when shapelint cannot say what it did."""
    kind = kind_of(m)
    if kind is None or m.opaque or not isinstance(value, ModuleValue):
        return False
    if kind == "ModuleDict":
        if not isinstance(key, str):
            return False
        m.children[key] = value
        return True
    n = len(m.children)
    if not (isinstance(key, int) and not isinstance(key, bool) and -n <= key < n):
        return False  # torch raises IndexError, or the key is unknown
    m.children[list(m.children)[key]] = value
    return True


def delete_index(vm, m: ModuleValue, key) -> bool:
    """`del m[i]`, `del m[a:b]`, `del m["name"]`: torch renumbers a Sequential/ModuleList after it."""
    kind = kind_of(m)
    if m.opaque:
        return False
    if kind == "ModuleDict":
        if isinstance(key, str) and key in m.children:
            vm.touch_children(m)
            del m.children[key]
            return True
        return False
    if kind not in ("Sequential", "ModuleList"):
        return False
    values = list(m.children.values())
    n = len(values)
    if isinstance(key, int) and not isinstance(key, bool) and -n <= key < n:
        del values[key]
    elif isinstance(key, slice):
        del values[key]
    else:
        return False
    vm.touch_children(m)
    m.children.clear()
    m.children.update((str(i), v) for i, v in enumerate(values))
    return True


def extend_in_place(vm, m: ModuleValue, values) -> bool:
    """`layers += [...]` on a ModuleList (its __iadd__ is extend); False when not that."""
    seq = vm.iterate(values)
    if kind_of(m) != "ModuleList" or seq is None or m.opaque:
        return False
    vm.touch_children(m)
    for v in seq:
        m.children[str(len(m.children))] = _list_child(v)
    return True


def make_opaque(m: ModuleValue) -> None:
    """Its children could not be followed: it holds none that shapelint knows, and calls of it are unknown."""
    m.children.clear()
    m.opaque = True
    m.exact = False


def takes_one_input(args, kwargs) -> bool:
    """Whether a call binds to nn.Sequential.forward(self, input): one input, by position or as `input`."""
    return (len(args) == 1 and not kwargs) or (not args and set(kwargs) == {"input"})


def sequential_forward(vm, m: ModuleValue, x):
    if m.opaque:
        vm.explain.lost(m.node, f"`{m.kind}` was built from layers shapelint could not follow")
        return Unknown("a container built from layers shapelint could not follow")
    for child in list(m.children.values()):
        if child is None:
            continue
        x = vm.call_module(child, [x], {}, child.node)
    return x


# ---------------------------------------------------------------------------- methods


def _add_module(vm, m, args, kwargs, node):
    if len(args) == 2 and isinstance(args[0], str):
        if isinstance(args[1], ModuleValue) or args[1] is None:
            vm.log_write(m, args[0])
            m.children[args[0]] = args[1]
    return None


def _append(vm, m, args, kwargs, node):
    if not args or kind_of(m) not in ("ModuleList", "Sequential") or m.opaque:
        return NOT_MODELLED
    vm.touch_children(m)
    m.children[str(len(m.children))] = _child_of(m, args[0])
    return m


def _extend(vm, m, args, kwargs, node):
    if not args or kind_of(m) not in ("ModuleList", "Sequential") or m.opaque:
        return NOT_MODELLED
    vm.touch_children(m)
    for v in vm.iterate(args[0]) or [Unknown("extend")]:
        m.children[str(len(m.children))] = _child_of(m, v)
    return m


def _insert(vm, m, args, kwargs, node):
    """ModuleList.insert / Sequential.insert: torch shifts the keys from the end down to `index`
    (ModuleList reads key str(-1) for a negative index: KeyError; Sequential counts it from the end)."""
    kind = kind_of(m)
    if len(args) != 2 or kind not in ("ModuleList", "Sequential") or not isinstance(args[0], int) or m.opaque:
        return NOT_MODELLED
    index, n = args[0], len(m.children)
    if kind == "Sequential" and -n <= index < 0:
        index += n
    if not 0 <= index <= n or not isinstance(args[1], ModuleValue):
        return NOT_MODELLED  # torch raises (KeyError, IndexError, AssertionError), or leaves a gap in the keys
    kids = list(m.children.values())
    kids.insert(index, args[1])
    vm.touch_children(m)
    m.children.clear()
    m.children.update((str(i), v) for i, v in enumerate(kids))
    return m if kind == "Sequential" else None


def _pop(vm, m, args, kwargs, node):
    """`m.pop(key)`: the module at key, deleted as `del m[key]` deletes it (renumbered after)."""
    if len(args) != 1 or kwargs or kind_of(m) is None or m.opaque:
        return NOT_MODELLED
    value = index(m, args[0])
    if isinstance(value, Unknown) or not delete_index(vm, m, args[0]):
        return NOT_MODELLED
    return value


def _update(vm, m, args, kwargs, node):
    """ModuleDict.update(mapping or pairs): each key set in order, an existing key keeping its place."""
    pairs = args[0] if len(args) == 1 and not kwargs else None
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    elif isinstance(pairs, ModuleValue) and kind_of(pairs) == "ModuleDict" and not pairs.opaque:
        pairs = list(pairs.children.items())
    else:
        pairs = vm.iterate(pairs) if pairs is not None and not isinstance(pairs, str) else None
    if kind_of(m) != "ModuleDict" or m.opaque or pairs is None:
        return NOT_MODELLED
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], ModuleValue)):
            return NOT_MODELLED
    vm.touch_children(m)
    for key, value in pairs:
        m.children[key] = value
    return None


def _clear(vm, m, args, kwargs, node):
    if args or kwargs or kind_of(m) != "ModuleDict" or m.opaque:
        return NOT_MODELLED
    vm.touch_children(m)
    m.children.clear()
    return None


def _dict_view(what: str):
    def method(vm, m, args, kwargs, node):
        if kind_of(m) != "ModuleDict":
            return NOT_MODELLED
        if m.opaque:  # a ModuleDict whose entries are not known (built from an unknown mapping)
            return Unknown(f"ModuleDict.{what}() of entries shapelint does not know")
        return {"keys": list(m.children.keys()), "values": list(m.children.values()), "items": list(m.children.items())}[what]

    return method


def _children(vm, m, args, kwargs, node):
    return [c for c in m.children.values() if c is not None]


def _named_children(vm, m, args, kwargs, node):
    return [(k, c) for k, c in m.children.items() if c is not None]


def _modules(vm, m, args, kwargs, node):
    """`self.modules()`: itself and every submodule once, depth first (torch's named_modules order);
    not modelled when a module below may hold submodules shapelint does not know."""
    out, seen, stack = [], set(), [m]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        if x.opaque or not x.exact or x.clobbered is not None or not x.writes_known or any(isinstance(v, Unknown) for v in x.attrs.values()):
            return NOT_MODELLED
        seen.add(id(x))
        out.append(x)
        stack.extend(reversed([c for c in x.children.values() if c is not None]))
    return out


def _itself(vm, m, args, kwargs, node):
    return m  # .to(device), .eval(), .apply(fn): the same module, shapes unchanged


def _set_mode(mode_of):
    """`.eval()` / `.train(mode=True)`: the module and every submodule take the mode (ModuleValue.built_mode)."""
    def call(vm, m, args, kwargs, node):
        mode = mode_of(args, kwargs)
        stack, seen = [m], set()
        while stack:
            x = stack.pop()
            if isinstance(x, ModuleValue) and id(x) not in seen:
                seen.add(id(x))
                x.built_mode = mode if isinstance(mode, bool) else None
                x.attrs.pop("training", None)
                stack.extend(x.children.values())
        return m

    return call


def _forward(vm, m, args, kwargs, node):
    return vm.module_forward(m, args, kwargs, node, args[0] if args else UNKNOWN)


def _register_tensor(vm, m, args, kwargs, node):
    if args and isinstance(args[0], str):
        value = args[1] if len(args) > 1 else kwargs.get("tensor", kwargs.get("param"))
        # register_buffer(name, None): torch registers no buffer, and the attribute reads None
        m.attrs[args[0]] = value if isinstance(value, Tensor) or value is None else Unknown("buffer")
    return None


METHODS: Dict[str, Callable] = {
    "add_module": _add_module, "register_module": _add_module,
    "append": _append, "extend": _extend, "insert": _insert, "pop": _pop, "update": _update, "clear": _clear,
    "keys": _dict_view("keys"), "values": _dict_view("values"), "items": _dict_view("items"),
    "children": _children, "named_children": _named_children, "modules": _modules,
    "forward": _forward, "register_buffer": _register_tensor, "register_parameter": _register_tensor,
}
for _name in ("to", "cuda", "cpu", "float", "double", "half", "requires_grad_", "apply"):
    METHODS[_name] = _itself
METHODS["eval"] = _set_mode(lambda args, kwargs: False)
METHODS["train"] = _set_mode(lambda args, kwargs: args[0] if args else kwargs.get("mode", True))
# methods a module has whose results shapelint does not model (their calls are unknown)
BOUND_ONLY = ("named_modules", "parameters", "zero_grad")
# the containers' own methods that change them: one shapelint did not follow leaves the container unknown
CHANGING = ("append", "extend", "insert", "pop", "update", "clear")
