"""`isinstance(m, nn.Conv2d)` for a module shapelint built (a weight-init loop over
`self.modules()`): decided only where torch's class tree makes it certain.

True for `nn.Module`, and for a torch layer against its own class. False for a torch layer or
a user class against one of the layers below, which no other torch.nn layer subclasses (the
Lazy* layers subclass their eager twins, ReLU6 subclasses Hardtanh: those stay unknown), and a
user class only when every base it has is a class of the file or a torch container.
"""

from __future__ import annotations

from typing import Optional

from ..core.values import ClassRef, ModuleValue, Ref

_LEAF_LAYERS = frozenset(
    [f"{k}{d}d" for k in ("Conv", "ConvTranspose", "BatchNorm", "InstanceNorm") for d in (1, 2, 3)]
    + ["Linear", "LayerNorm", "GroupNorm", "Embedding", "MultiheadAttention", "LSTM", "GRU"])
_CONTAINERS = ("torch.nn.Module", "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict")


def module_isinstance(v: ModuleValue, t: Ref) -> Optional[bool]:
    """None when not certain."""
    q = t.qualname
    if q == "torch.nn.Module":
        return True
    if not q.startswith("torch.nn.") or q.count(".") != 2:
        return None
    name = q.rsplit(".", 1)[1]
    if v.cls is None:
        if v.kind in ("Sequential", "ModuleList", "ModuleDict") and v.spec is None:
            return True if v.kind == name else False if name in _LEAF_LAYERS else None
        if v.spec is None or v.kind.startswith("Lazy"):
            return None
        if v.kind == name:
            return True
        return False if name in _LEAF_LAYERS else None
    if name not in _LEAF_LAYERS:
        return None
    for c in v.cls.mro():
        for b in c.bases:
            if not (isinstance(b, ClassRef) or (isinstance(b, Ref) and b.qualname in _CONTAINERS)):
                return None
    return False


_SEQUENCE_ABCS = ("typing.Sequence", "collections.abc.Sequence")


def abc_or_class_isinstance(v, t) -> Optional[bool]:
    """isinstance against `Sequence` (a list, tuple or str is one; a dict, number or None is not)
    and of an instance of the file's classes against one of them (its class or a base: True;
    otherwise False when every base it has is a class of the file); a torch layer against one of
    the file's classes is False where that class's metaclass is `type`. None when not certain."""
    if isinstance(t, Ref) and t.qualname in _SEQUENCE_ABCS:
        if isinstance(v, (list, tuple, str)):
            return True
        return False if v is None or isinstance(v, (dict, int, float)) else None
    if isinstance(t, ClassRef) and isinstance(v, ModuleValue) and v.cls is None:
        return False if _torch_layer(v) and _plain_metaclass(t.info) else None
    if isinstance(t, ClassRef) and isinstance(v, ModuleValue) and v.cls is not None:
        mro = v.cls.mro()
        if any(c is t.info for c in mro):
            return True
        if all(isinstance(b, ClassRef) or (isinstance(b, Ref) and b.qualname in _CONTAINERS) for c in mro for b in c.bases):
            return False
    return None


def _torch_layer(v: ModuleValue) -> bool:
    """v is an instance of a torch.nn class itself (a layer shapelint models, or a bare container)."""
    return v.spec is not None or v.kind in ("Sequential", "ModuleList", "ModuleDict")


def _plain_metaclass(info) -> bool:
    """The class's metaclass is `type` (no `metaclass=`, every base a class of the file or of
    torch.nn): so only a real subclass is an instance, and no torch class subclasses a user's class
    (an ABCMeta class may `register` nn.Conv2d as a virtual subclass: not decided)."""
    for c in info.mro():
        if any(k.keyword is not None for k in c.node.keywords):
            return False
        if not all(isinstance(b, ClassRef) or (isinstance(b, Ref) and b.qualname.startswith("torch.nn.")) for b in c.bases):
            return False
    return True
