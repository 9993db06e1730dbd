"""torch.utils.checkpoint, which returns what its function returns (it only changes what backward
recomputes), and the flags that say whether ONNX export or torch.compile is running: shapelint
follows an eager forward, where each is False (torch.jit's: torch/jit_calls.py). itertools,
operator and functools.reduce: engine/itertools_calls.py, engine/functional_tools.py."""

from __future__ import annotations

from ..core.values import Unknown

EAGER_FLAGS = {
    "torch.onnx.is_in_onnx_export": False,
    "torch.compiler.is_compiling": False, "torch.compiler.is_dynamo_compiling": False, "torch._dynamo.is_compiling": False,
    "torch.fx._symbolic_trace.is_fx_tracing": False,
}
# checkpoint's own keywords; the others go to the function
_CHECKPOINT_KEYWORDS = ("use_reentrant", "preserve_rng_state", "context_fn", "determinism_check", "debug")
NAMES = {*EAGER_FLAGS, "torch.utils.checkpoint.checkpoint", "torch.utils.checkpoint.checkpoint_sequential"}


def call(vm, q: str, args, kwargs, node):
    if q in EAGER_FLAGS:
        return EAGER_FLAGS[q] if not args and not kwargs else Unknown(q)
    if q == "torch.utils.checkpoint.checkpoint":
        if not args:
            return Unknown(q)
        own = {k: v for k, v in kwargs.items() if k not in _CHECKPOINT_KEYWORDS}
        return vm.call(args[0], list(args[1:]), own, node)
    if q == "torch.utils.checkpoint.checkpoint_sequential":
        return _checkpoint_sequential(vm, args, kwargs, node)
    return Unknown(q)


def _checkpoint_sequential(vm, args, kwargs, node):
    """checkpoint_sequential(functions, segments, input): the functions applied in turn."""
    if len(args) != 3:
        return Unknown("checkpoint_sequential")
    fns = vm.iterate(args[0])
    if fns is None:
        return Unknown("checkpoint_sequential")
    x = args[2]
    for f in fns:
        x = vm.call(f, [x], {}, node)
    return x
