"""`torch.jit` calls a model's eager forward makes: `torch.jit.is_scripting()` and
`torch.jit.is_tracing()` are False when the model runs as Python (as torch runs it in the checks),
and `torch.jit.annotate(T, value)` is the value (`outs = torch.jit.annotate(List[Tensor], [])`)."""

from __future__ import annotations

from ..core.values import Unknown
from .functions import QUALIFIED


def _not_compiled(ctx, site, args, kwargs):
    return False if not args and not kwargs else Unknown("torch.jit")


def _annotate(ctx, site, args, kwargs):
    return args[1] if len(args) == 2 and not kwargs else Unknown("torch.jit.annotate")


QUALIFIED["torch.jit.is_scripting"] = _not_compiled
QUALIFIED["torch.jit.is_tracing"] = _not_compiled
QUALIFIED["torch.jit.annotate"] = _annotate
