"""`operator.add` / `operator.mul` / ... and `functools.reduce`, as config code uses them
(`reduce(operator.mul, dims, 1)` for a flattened width, `functools.reduce(lambda a, b: a + b, ...)`).

Each binary function of the operator module is the engine's own operator (vm.binop), so a tensor
operand follows torch's broadcasting as `a * b` does; reduce folds a known finite iterable through
any callable the engine can call. An iterable not known, or one over MAX_UNROLL items, is unknown."""

from __future__ import annotations

from ..core.values import Unknown
from .frame import MAX_UNROLL

# operator's name -> libcst's name of the same binary operator
_BINARY = {
    "add": "Add", "sub": "Subtract", "mul": "Multiply", "truediv": "Divide", "floordiv": "FloorDivide",
    "mod": "Modulo", "pow": "Power", "matmul": "MatrixMultiply", "lshift": "LeftShift", "rshift": "RightShift",
    "and_": "BitAnd", "or_": "BitOr", "xor": "BitXor",
}
QUALNAMES = frozenset({f"operator.{n}" for n in _BINARY} | {"functools.reduce"})


def call(vm, qualname: str, args, kwargs, node):
    if qualname == "functools.reduce":
        return _reduce(vm, args, kwargs, node)
    if len(args) != 2 or kwargs:
        return Unknown(qualname)
    return vm.binop(_BINARY[qualname[len("operator."):]], args[0], args[1], node)


_NO_INITIAL = object()


def _reduce(vm, args, kwargs, node):
    """reduce(function, iterable[, initial]): the fold Python computes; without an initial, an
    empty iterable raises TypeError (unknown here)."""
    if kwargs or not 2 <= len(args) <= 3:
        return Unknown("functools.reduce")
    fn, iterable = args[0], args[1]
    items = vm.iterate(iterable)
    if items is None or len(items) > MAX_UNROLL:
        return Unknown("functools.reduce of an iterable shapelint does not know")
    acc = args[2] if len(args) == 3 else _NO_INITIAL
    for item in items:
        acc = item if acc is _NO_INITIAL else vm.call(fn, [acc, item], {}, node)
    return Unknown("functools.reduce of an empty iterable raises") if acc is _NO_INITIAL else acc
