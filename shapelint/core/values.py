"""The values the static interpreter computes with.

Plain Python values (int, float, str, tuple, list, dict, None) stand for themselves;
sizes may also be symbolic (`symbolic.Expr`). Everything else is one of the classes
below. `Unknown` is the honest answer whenever the interpreter cannot tell.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .findings import At
from .findings import Related as _Related
from .symbolic import Dim


class Unknown:
    """A value shapelint cannot know statically; operations on it stay unknown."""

    __slots__ = ("reason", "node")

    def __init__(self, reason: str = "", node=None):
        self.reason = reason
        self.node = node

    def __repr__(self):
        return f"Unknown({self.reason!r})"

    def __bool__(self):  # guards against accidental truthiness tests
        raise TypeError("truth value of Unknown")


UNKNOWN = Unknown()


class TruthUnknown(Unknown):
    """A value not known whose truth is: `unknown or 4` is true (it is the unknown value, or 4), but
    is not 4; `unknown and 0` is false. A condition can use it; nothing else can."""

    __slots__ = ("truth",)

    def __init__(self, reason: str, truth: bool, node=None):
        super().__init__(reason, node)
        self.truth = truth


class FloatUnknown(Unknown):
    """A float of unknown value: `/` of sizes (Python's true division always gives a float),
    so torch rejects it wherever it needs an int; `node` is the division."""

    __slots__ = ()


class DeviceUnknown(Unknown):
    """`x.device`: which device is not known, but it is a device, never a dtype, so `.to(x.device)`
    keeps the tensor's dtype."""

    __slots__ = ()


class ExactQuotient(FloatUnknown):
    """`a / b` of a size expression by a number that divides it exactly (`windows.shape[0] / 4.0`):
    still a float (torch rejects it as a size), whose value is the integer expression `exact`, so
    `int(...)` of it is `exact`."""

    __slots__ = ("exact",)

    def __init__(self, exact, reason: str = "`/` of sizes: a float", node=None):
        super().__init__(reason, node)
        self.exact = exact


class Quotient(float):
    """A known float made by `/`: it carries the division's node, so a finding that torch
    rejects the float can name the expression (and suggest `//`)."""

    node = None


def division_node(v):
    """The `/` expression a float value came from, or None."""
    return v.node if isinstance(v, (Quotient, FloatUnknown)) else None


def is_float_size(v) -> bool:
    """A value torch refuses where it wants an int size: a float, known or not."""
    return isinstance(v, (float, FloatUnknown))


def is_unknown(v) -> bool:
    return isinstance(v, Unknown)


class Origin:
    """Where a dimension's size came from, for messages: parts may include `At`."""

    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = parts


def written_name(name: str, root: Optional[str] = None) -> str:
    """`features.2.conv` -> `features[2].conv`; a child of the model itself, `3`, -> `model[3]`
    (`root`, the model's name in the code; `self` by default): a Sequential's or a ModuleList's
    children are indexed in the code that builds or calls them."""
    out = ""
    for part in name.split("."):
        if part.isdigit():
            out = f"{out or root or 'self'}[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


class InputDim:
    """Dim `index` of a declared model input of `rank` dims, kept through the ops that move dims
    (not an Origin: messages still say "the model input"). A layer size that would only fit a
    moved input dim (a sequence length transposed into the features) is no certain fix."""

    __slots__ = ("index", "rank")

    def __init__(self, index: int, rank: int):
        self.index, self.rank = index, rank


class LayerOrigin(Origin):
    """A size that is a layer's argument (`qkv out_features=64`): advice can name the layer."""

    __slots__ = ("layer",)

    def __init__(self, layer, *parts):
        super().__init__(*parts)
        self.layer = layer


class InputSlot:
    """The model input before its rank is known: the first layer that reads it decides.

    Tensors derived from the input by shape-preserving ops share the slot, so they all
    learn their shape at once when it is resolved.
    """

    __slots__ = ("shape", "prov", "resolved_by")

    def __init__(self):
        self.shape: Optional[Tuple[Dim, ...]] = None
        self.prov: Tuple = ()
        self.resolved_by = None

    def resolve(self, shape, prov, by) -> None:
        self.shape = tuple(shape)
        self.prov = tuple(prov)
        self.resolved_by = by


class PendingShape:
    """`x.shape` / `x.size()` of the model input before its rank is known: `[0]` is the batch,
    and unpacking it into n names (`B, N, C = x.shape`) decides the rank."""

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


class Tensor:
    __slots__ = ("_shape", "_prov", "slot", "dtype", "values_below")

    def __init__(self, shape=None, prov=None, slot: InputSlot = None, dtype: Optional[str] = None):
        self._shape = tuple(shape) if shape is not None else None
        if self._shape is not None and prov is None:
            prov = (None,) * len(self._shape)
        self._prov = tuple(prov) if prov is not None else None
        self.slot = slot
        # "long", "int", "bool", ...: only where shapelint knows it (declared inputs, integer
        # arange, casts); None is unknown. Indexing by a tensor needs it (integer vs mask).
        self.dtype = dtype
        # (stop, node): every value is a known int below stop (`torch.arange(0, t)` made at node);
        # None when not known. SHP016 compares it with an nn.Embedding's num_embeddings.
        self.values_below = None

    def with_values_of(self, other: "Tensor") -> "Tensor":
        """This tensor, holding `other`'s values (a view, reshape or cast of it)."""
        if other.values_below is not None and self.values_below is None:
            self.values_below = other.values_below
        return self

    def with_dtype(self, dtype: Optional[str]) -> "Tensor":
        """The same shape, another (or an unknown) dtype; self when nothing changes."""
        if dtype == self.dtype:
            return self
        if self._shape is None:
            return Tensor(slot=self.slot, dtype=dtype) if self.slot is not None else Tensor(dtype=dtype)
        return Tensor(self._shape, self._prov, dtype=dtype)

    def fresh(self, dtype: Optional[str]) -> "Tensor":
        """A new tensor of this shape holding new values (a factory's, a comparison's) of `dtype`."""
        if self._shape is None:
            return Tensor(slot=self.slot, dtype=dtype) if self.slot is not None else Tensor(dtype=dtype)
        return Tensor(self._shape, self._prov, dtype=dtype)

    @property
    def shape(self) -> Optional[Tuple[Dim, ...]]:
        if self._shape is not None:
            return self._shape
        if self.slot is not None:
            return self.slot.shape
        return None

    @property
    def prov(self) -> Tuple:
        if self._shape is not None:
            return self._prov
        if self.slot is not None and self.slot.shape is not None:
            return self.slot.prov
        return ()

    @property
    def pending(self) -> bool:
        return self._shape is None and self.slot is not None and self.slot.shape is None

    def origin(self, i: int):
        prov = self.prov
        return prov[i] if prov and -len(prov) <= i < len(prov) else None

    def __repr__(self):
        return f"Tensor({self.shape})"


class ParameterTensor(Tensor):
    """An `nn.Parameter`: one object, however many modules hold it (torch counts a tied weight
    once in `model.parameters()`). `trainable`: its requires_grad (True/False), None unknown.
    `certain` is False where an expression shapelint does not follow as torch does may have
    returned it (`p * 1` is the engine's `p` itself): whether torch's value is this Parameter
    is not known, so a module holding it has no parameter count."""

    __slots__ = ("trainable", "certain")

    def __init__(self, shape=None, prov=None, dtype: Optional[str] = None, trainable: Optional[bool] = True, certain: bool = True):
        super().__init__(shape, prov, dtype=dtype)
        self.trainable = trainable
        self.certain = certain

    @classmethod
    def of(cls, t: Tensor, trainable: Optional[bool]) -> "ParameterTensor":
        """`nn.Parameter(t)`: a new Parameter of `t`'s shape and values."""
        p = cls(t.shape, t._prov if t._shape is not None else None, dtype=t.dtype, trainable=trainable)
        p.values_below = t.values_below
        return p

    def uncertain(self) -> "ParameterTensor":
        p = ParameterTensor(self.shape, self._prov if self._shape is not None else None, dtype=self.dtype,
                            trainable=self.trainable, certain=False)
        p.values_below = self.values_below
        return p


class ModuleValue:
    """An nn.Module instance: a torch layer, a container, or a class of the user's file."""

    def __init__(self, kind: str, node=None, spec=None, cls=None):
        self.kind = kind
        self.node = node  # the constructor call
        self.spec = spec  # layers.LayerSpec for torch layers
        self.cls = cls  # extract.ClassInfo for the user's classes
        self.params: Dict[str, Any] = {}
        self.param_nodes: Dict[str, Any] = {}
        self.children: Dict[str, Optional["ModuleValue"]] = {}
        self.attrs: Dict[str, Any] = {}
        self.name: Optional[str] = None  # as torch's named_modules() spells it
        self.root_label: Optional[str] = None  # how the model's code names the model (`model`, `self`)
        self.invalid = False  # construction would already raise in torch
        self.exact = True  # False: a container whose contents shapelint could not follow
        self.clobbered: Optional[str] = None  # why any attribute may have been overwritten unseen
        self.rewritten: set = set()  # attributes written since, which are known again
        self.opaque = False  # True: its children are not known at all, so calling it is unknown
        self.writes_known = True  # False: code shapelint did not follow may have set or deleted attributes
        self.weight_norm: Optional[str] = None  # "default": weight_norm(m) with name="weight"; "other"
        self.weight_norm_dim: Optional[int] = 0  # the dim weight_norm's g keeps (None: the whole weight)
        self.lazy_sizes: set = set()  # each size a Lazy* layer's calls read from their inputs (torch keeps the first)
        self.param_tensors: Dict[str, "ParameterTensor"] = {}  # a torch layer's own weight/bias, once read
        self.grad_flags_unknown = False  # `requires_grad_()` ran on it or a parent: its trainable count is not followed
        self.built_mode: Optional[bool] = True  # `training` outside a forward run: torch builds in training mode (None: not followed)

    def label(self) -> str:
        """The submodule as users write it: `features[2].conv`, `model[3]` (torch's named_modules()
        spells them `features.2.conv` and `3`, which `name` keeps)."""
        return written_name(self.name, self.root_label) if self.name else self.kind

    def param_node(self, name: str):
        return self.param_nodes.get(name) or self.node

    def __repr__(self):
        return f"ModuleValue({self.kind}, name={self.name!r})"


class Ref:
    """A name bound by an import: `torch.nn.Conv2d`, `torch.nn.functional.relu`, ..."""

    __slots__ = ("qualname",)

    def __init__(self, qualname: str):
        self.qualname = qualname

    def __repr__(self):
        return f"Ref({self.qualname})"

    # two evaluations of `nn.Upsample` are one object to Python: `m in (nn.Conv2d, nn.Upsample)`
    def __eq__(self, other):
        return isinstance(other, Ref) and other.qualname == self.qualname

    def __hash__(self):
        return hash(("Ref", self.qualname))


class ClassRef:
    __slots__ = ("info",)

    def __init__(self, info):
        self.info = info

    # a class of the user's file, however it was reached (`m is C3`, `m in {Conv, C3}`)
    def __eq__(self, other):
        return isinstance(other, ClassRef) and other.info is self.info

    def __hash__(self):
        return id(self.info)


class FunctionRef:
    """A function or method of the user's file, optionally bound to `self`."""

    __slots__ = ("node", "bound", "owner", "globals", "captured", "defaults")

    def __init__(self, node, bound=None, owner=None, globals_=None, captured=None, defaults=None):
        self.node = node
        self.bound = bound
        self.owner = owner
        self.globals = globals_  # the defining module's names
        # a nested function's enclosing locals, by reference (read at each call: late binding, as in Python)
        self.captured = captured
        # a nested function's parameter defaults, evaluated once where `def` ran (as Python does);
        # None: evaluated from the module's names at each call (a method or a module-level function)
        self.defaults = defaults


class BoundMethod:
    """A method of a value the interpreter knows (tensor, module, list, dict)."""

    __slots__ = ("obj", "name")

    def __init__(self, obj, name: str):
        self.obj = obj
        self.name = name


class BaseMethod:
    """`super().__init__` or `super().forward` reaching a torch base class (nn.Sequential, ...)."""

    __slots__ = ("obj", "base", "name")

    def __init__(self, obj, base: str, name: str):
        self.obj = obj
        self.base = base  # the base's qualified name, e.g. "torch.nn.Sequential"
        self.name = name


class Builtin:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    # each builtin is one object to Python: `type(k) in (tuple, list)`, `{int: ...}[type(k)]`
    def __eq__(self, other):
        return isinstance(other, Builtin) and other.name == self.name

    def __hash__(self):
        return hash(("Builtin", self.name))


class Namespace:
    """A sibling module of the user's package, imported as a whole (`from . import blocks`)."""

    __slots__ = ("path", "globals")

    def __init__(self, path: str, globals_: dict):
        self.path = path
        self.globals = globals_

    def scope(self) -> dict:
        """The module's names (a lazily loaded sibling reads its file here)."""
        return self.globals


class SuperProxy:
    """`super()` inside a method: attribute lookups start after `owner` in the MRO."""

    __slots__ = ("obj", "owner")

    def __init__(self, obj, owner):
        self.obj = obj
        self.owner = owner


def dims_related(x) -> list:
    """Related locations for a finding about every size of `x` (a view that cannot fit): where
    each size that the model input did not give came from."""
    out = []
    for o in x.prov or ():
        if isinstance(o, Origin):
            out += [_Related(f"{''.join(p for p in o.parts if isinstance(p, str)).strip(' ,(')} comes from here", p.node)
                    for p in o.parts if isinstance(p, At)]
    return out
