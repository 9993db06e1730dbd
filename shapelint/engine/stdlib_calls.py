"""Standard-library helpers model code computes sizes with, and torch's "am I compiled?" flags.

itertools and functools.reduce over sequences shapelint knows, as Python defines them (the
results are consumed at once, as `list(...)` and loops consume them); torch.utils.checkpoint,
which returns what its function returns (it only changes what backward recomputes); and the
flags that say whether TorchScript, ONNX export or torch.compile is running: shapelint follows
an eager forward, where each is False.
"""

from __future__ import annotations

import itertools

from ..core.values import Unknown
from .frame import MAX_SEQ

EAGER_FLAGS = {
    "torch.jit.is_scripting": False, "torch.jit.is_tracing": False, "torch.onnx.is_in_onnx_export": False,
    "torch.compiler.is_compiling": False, "torch.compiler.is_dynamo_compiling": False, "torch._dynamo.is_compiling": False,
    "torch.fx._symbolic_trace.is_fx_tracing": False,
}
# checkpoint's own keywords; the others go to the function
_CHECKPOINT_KEYWORDS = ("use_reentrant", "preserve_rng_state", "context_fn", "determinism_check", "debug")
_PLAIN_ITERTOOLS = {
    "itertools.chain": itertools.chain, "itertools.product": itertools.product, "itertools.combinations": itertools.combinations,
    "itertools.permutations": itertools.permutations, "itertools.zip_longest": itertools.zip_longest,
    "itertools.islice": itertools.islice, "itertools.pairwise": itertools.pairwise,
}
OPERATOR_FUNCTIONS = {"operator.add": "Add", "operator.sub": "Subtract", "operator.mul": "Multiply",
                      "operator.truediv": "Divide", "operator.floordiv": "FloorDivide", "operator.mod": "Modulo",
                      "operator.pow": "Power", "operator.matmul": "MatrixMultiply"}
NAMES = {*EAGER_FLAGS, *OPERATOR_FUNCTIONS, *_PLAIN_ITERTOOLS, "itertools.chain.from_iterable", "itertools.accumulate", "functools.reduce",
         "torch.utils.checkpoint.checkpoint", "torch.utils.checkpoint.checkpoint_sequential"}


def call(vm, q: str, args, kwargs, node):
    if q in EAGER_FLAGS:
        return EAGER_FLAGS[q] if not args and not kwargs else Unknown(q)
    if q in OPERATOR_FUNCTIONS:  # operator.mul(a, b) is a * b
        return vm.binop(OPERATOR_FUNCTIONS[q], args[0], args[1], node) if len(args) == 2 and not kwargs else Unknown(q)
    if q == "torch.utils.checkpoint.checkpoint":
        if not args:
            return Unknown(q)
        own = {k: v for k, v in kwargs.items() if k not in _CHECKPOINT_KEYWORDS}
        return vm.call(args[0], list(args[1:]), own, node)
    if q == "torch.utils.checkpoint.checkpoint_sequential":
        return _checkpoint_sequential(vm, args, kwargs, node)
    if q == "functools.reduce":
        return _reduce(vm, args, kwargs, node)
    if q == "itertools.accumulate":
        return _accumulate(vm, args, kwargs, node)
    if q == "itertools.chain.from_iterable":
        outer = vm.iterate(args[0]) if len(args) == 1 and not kwargs else None
        seqs = [vm.iterate(a) for a in outer] if outer is not None else [None]
        fn = itertools.chain
    else:
        fn = _PLAIN_ITERTOOLS[q]
        # combinations(seq, r), permutations(seq, r), islice(seq, [start,] stop[, step]): one iterable, then numbers
        first_only = q in ("itertools.combinations", "itertools.permutations", "itertools.islice")
        seqs = [vm.iterate(a) for a in (args[:1] if first_only else args)]
        if first_only:
            if not all(a is None or type(a) is int for a in args[1:]):
                return Unknown(q)
            seqs += list(args[1:])
    if not seqs or seqs[0] is None or any(s is None for s in seqs if not isinstance(s, int)):
        return Unknown(q)
    try:
        out = list(itertools.islice(fn(*seqs, **kwargs), MAX_SEQ + 1))
    except (TypeError, ValueError):
        return Unknown(q)
    return out if len(out) <= MAX_SEQ else Unknown(q)


def _reduce(vm, args, kwargs, node):
    """functools.reduce(fn, seq[, initial])."""
    seq = vm.iterate(args[1]) if len(args) in (2, 3) and not kwargs else None
    if seq is None or (len(args) == 2 and not seq):
        return Unknown("functools.reduce")  # TypeError on an empty sequence with no initial value
    acc, rest = (args[2], seq) if len(args) == 3 else (seq[0], seq[1:])
    for x in rest:
        acc = vm.call(args[0], [acc, x], {}, node)
    return acc


def _accumulate(vm, args, kwargs, node):
    """itertools.accumulate(seq[, fn], initial=None): running sums (or fn's)."""
    seq = vm.iterate(args[0]) if args and len(args) <= 2 and set(kwargs) <= {"initial", "func"} else None
    fn = args[1] if len(args) == 2 else kwargs.get("func")
    if seq is None:
        return Unknown("itertools.accumulate")
    out = [kwargs["initial"]] if kwargs.get("initial") is not None else []
    for x in seq:
        if not out:
            out.append(x)
        else:
            out.append(vm.binop("Add", out[-1], x, node) if fn is None else vm.call(fn, [out[-1], x], {}, node))
    return out


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
