"""Python's operators and methods on the plain values model code computes with.

Ints, floats, strings, lists, dicts and symbolic sizes (`Expr`) behave as in Python;
anything that would take forever or exhaust memory (10**10**10, 'x' * 10**9) is
refused. Results shapelint cannot be sure of are `Unknown`. No tensors here: tensor
operators are torch's (`torch_calls`).
"""

from __future__ import annotations

import math
import operator
from typing import Optional

from ..core.symbolic import Expr, exact_div, floordiv
from ..core.values import (BoundMethod, Builtin, ClassRef, ExactQuotient, FloatUnknown, FunctionRef, ModuleValue, Ref, Tensor,
                           TruthUnknown, Unknown)
from . import budgets, enums, float_sizes, text_values
from .frame import MAX_SEQ

BINOPS = {
    "Add": operator.add, "Subtract": operator.sub, "Multiply": operator.mul, "Divide": operator.truediv,
    "FloorDivide": operator.floordiv, "Modulo": operator.mod, "Power": operator.pow,
    "LeftShift": operator.lshift, "RightShift": operator.rshift, "BitAnd": operator.and_,
    "BitOr": operator.or_, "BitXor": operator.xor,
}
COMPARISONS = {
    "Equal": operator.eq, "NotEqual": operator.ne, "LessThan": operator.lt, "LessThanEqual": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEqual": operator.ge,
}
NOT_MODELLED = object()  # a method shapelint has no rule for (the caller makes it unknown)
# str methods whose result is no longer than the string (format/join/replace have their own budgets)
_PURE_STR = ("upper", "lower", "startswith", "endswith", "split", "rsplit", "find", "rfind", "index", "rindex", "count",
             "strip", "lstrip", "rstrip", "isdigit", "isalpha", "isalnum", "isupper", "islower", "isspace", "isnumeric",
             "isdecimal", "title", "capitalize", "casefold", "swapcase", "partition", "rpartition", "removeprefix",
             "removesuffix", "splitlines")
STR_METHODS = ("format", "join", "replace", *_PURE_STR)


def truth(v) -> Optional[bool]:
    """bool(v) when it is certain; None when it depends on what shapelint cannot know."""
    if type(v) is TruthUnknown:
        return v.truth
    if isinstance(v, Unknown) or isinstance(v, (Tensor, Expr)):
        return None
    if isinstance(v, ModuleValue):
        return _module_truth(v)
    if isinstance(v, (Ref, ClassRef, FunctionRef, BoundMethod, Builtin)):
        return True
    try:
        return bool(v)
    except Exception:
        return None


_SIZED = ("Sequential", "ModuleList", "ModuleDict")


def _module_truth(m: ModuleValue) -> Optional[bool]:
    """bool(obj): a class's own __bool__ or __len__ decides it (not run here: undecided); torch's
    containers are false when empty (their __len__); any other object is true."""
    if m.cls is not None:
        if any("__bool__" in c.methods or "__len__" in c.methods for c in m.cls.mro()):
            return None
        if any(not isinstance(b, (ClassRef, Ref)) and not (isinstance(b, Builtin) and b.name == "object")
               for c in m.cls.mro() for b in c.bases):
            return None  # `class Stack(list)`, a base shapelint cannot see: its truth may be its length
        bases = m.cls.torch_bases()
        if any(not q.startswith("torch.") for q in bases):
            return None  # a base outside the files shapelint reads may define them
        sized = any(q in (f"torch.nn.{k}" for k in _SIZED) for q in bases)
        if any(q.startswith("torch.nn.Parameter") for q in bases):
            return None
    else:
        sized = m.kind in _SIZED
        if m.kind.startswith("Parameter"):
            return None
    if not sized:
        return True
    return None if m.opaque else bool(m.children)


def arith(op: str, a, b):
    """`a <op> b` for values that are not tensors (op is libcst's operator name)."""
    if float_sizes.applies(a, b):
        return float_sizes.arith(op, a, b)
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return Unknown("arithmetic on unknown")
    if isinstance(a, Expr) or isinstance(b, Expr):
        return _symbolic(op, a, b)
    fn = BINOPS.get(op)
    if fn is None:
        return Unknown("operator")
    if not _safe_operands(op, a, b):
        return Unknown("too large to evaluate")
    if op == "Add":
        big = budgets.concat(a, b)
        if big is not None:
            return big
    if op == "Modulo" and isinstance(a, str):
        big = budgets.percent_ok(a, b)
        if big is not None:
            return big
    try:
        return fn(a, b)
    except Exception:
        return Unknown("arithmetic error")


def _symbolic(op, a, b):
    if op == "Divide" and isinstance(a, Expr) and _whole(b) and exact_div(a, int(b)) is not None:
        return ExactQuotient(exact_div(a, int(b)))  # 4*B / 4.0: the float B, whose int() is B
    if isinstance(a, float) or isinstance(b, float) or isinstance(a, bool) or isinstance(b, bool):
        return Unknown("symbolic float arithmetic")
    if not (isinstance(a, (int, Expr)) and isinstance(b, (int, Expr))):
        return Unknown("symbolic arithmetic")
    if op == "Divide":
        return FloatUnknown("`/` of sizes: a float")
    if op == "Add":
        return a + b
    if op == "Subtract":
        return a - b
    if op == "Multiply":
        return a * b
    if op == "FloorDivide" and isinstance(b, int) and b > 0:
        return floordiv(a, b)
    return Expr.opaque("arith")


def _whole(v) -> bool:
    """A positive number with an integer value (4, 4.0): dividing by it can be exact."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and float(v).is_integer() and v < 2 ** 53


def _safe_operands(op, a, b) -> bool:
    """Refuse arithmetic that would take forever or exhaust memory (10**10**10, 'x' * 10**9)."""
    if op == "Power" and isinstance(a, int) and isinstance(b, int):
        if b < 0 or abs(a) <= 1:
            return True
        return b * max(abs(a).bit_length(), 1) <= 100_000
    if op == "Multiply":
        for s, n in ((a, b), (b, a)):
            if isinstance(s, (str, list, tuple)) and isinstance(n, int):
                return len(s) * max(n, 0) <= MAX_SEQ
        if isinstance(a, int) and isinstance(b, int):
            return a.bit_length() + b.bit_length() <= 200_000
    if op == "LeftShift" and isinstance(b, int):
        return b <= 100_000
    return True


def compare(op, a, b) -> Optional[bool]:
    """`a <op> b` (op is libcst's comparison name) when certain, else None."""
    if type(a) in enums.MEMBER_TYPES or type(b) in enums.MEMBER_TYPES:
        decided = enums.compare_members(op, a, b)
        if decided is not None or isinstance(a, enums.EnumMember) or isinstance(b, enums.EnumMember):
            return decided
    if op in ("Is", "IsNot"):
        if a is None or b is None:
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return None
            same = a is b
            return same if op == "Is" else not same
        if isinstance(a, (bool, ModuleValue)) and isinstance(b, (bool, ModuleValue)):
            return (a is b) if op == "Is" else (a is not b)
        same = same_class_object(a, b)
        if same is None:
            return None
        return same if op == "Is" else not same
    if isinstance(a, (Unknown, Tensor)) or isinstance(b, (Unknown, Tensor)):
        return None
    if isinstance(a, Expr) or isinstance(b, Expr):
        if op in ("Equal", "NotEqual"):
            diff = a - b
            if isinstance(diff, int):
                return (diff == 0) if op == "Equal" else (diff != 0)
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and not (_plain(a) and _plain(b)):
        return _sequence_compare(op, a, b)
    if op in ("In", "NotIn"):
        if isinstance(b, (list, tuple, set, frozenset)) and not (_plain(a) and _plain(b)):
            found = _member(a, b)
            return None if found is None else found == (op == "In")
        if isinstance(b, (list, tuple, set, frozenset, dict, str, range)) and not any(
                isinstance(x, Unknown) for x in (b if not isinstance(b, (dict, range, str)) else [])):
            try:
                r = a in b
            except Exception:
                return None
            return r if op == "In" else not r
        return None
    fn = COMPARISONS.get(op)
    if fn is None:
        return None
    if not (_plain(a) and _plain(b)):
        # Python's `==` on shapelint's own objects is identity, not the user's value's equality.
        if op in ("Equal", "NotEqual"):
            same = same_class_object(a, b)
            return None if same is None else (same if op == "Equal" else not same)
        return None
    try:
        return bool(fn(a, b))
    except Exception:
        return None


PLAIN = (bool, int, float, str, bytes, type(None), range)


def _member(a, seq) -> Optional[bool]:
    """`a in seq` as Python decides it, `x is a or x == a` item by item, for items whose equality
    shapelint decides (classes, symbolic sizes): None when an item is undecided before a match."""
    for x in seq:
        try:
            same = True if x is a else compare("Equal", a, x)
        except Exception:  # a symbolic size against an object (`B - nn.ReLU`)
            return None
        if same is None:
            return None
        if same:
            return True
    return False


def _plain(v) -> bool:
    """A value whose Python equality is the user's program's: numbers, strings and containers of them."""
    if isinstance(v, PLAIN):
        return True
    if isinstance(v, (list, tuple, set, frozenset)):
        return all(_plain(x) for x in v)
    if isinstance(v, dict):
        return all(_plain(k) and _plain(x) for k, x in v.items())
    return False


is_plain = _plain  # for the builtins that order values (sorted, min, max)


def _sequence_compare(op, a, b) -> Optional[bool]:
    """`a == b` / `a != b` on sequences holding symbolic sizes (`t.shape == (T, d)`), element by
    element: provably unequal when the lengths or one pair differ, equal when every pair is;
    None when a pair is undecided. Ordering comparisons on them are undecided."""
    if op not in ("Equal", "NotEqual"):
        return None
    if isinstance(a, list) != isinstance(b, list) or len(a) != len(b):
        return op == "NotEqual"
    undecided = False
    for x, y in zip(a, b):
        same = compare("Equal", x, y)
        if same is False:
            return op == "NotEqual"
        undecided = undecided or same is None
    if undecided:
        return None
    return op == "Equal"


_BUILTIN_CLASSES = ("bool", "int", "float", "str", "list", "tuple", "dict", "set", "object", "type", "range", "slice")


def _defines_eq(m: ModuleValue) -> bool:
    return m.cls is not None and any("__eq__" in c.methods for c in m.cls.mro())


def _torch_nn_name(r: Ref) -> bool:
    return r.qualname.startswith("torch.nn.") and "." not in r.qualname[len("torch.nn."):]


def same_class_object(a, b) -> Optional[bool]:
    """`a is b` for classes the config code compares (`m is C3`, `m is nn.BatchNorm2d`), when certain:
    a class of the user's file is itself only; an imported name is the object its dotted path names
    (two distinct `torch.nn.X` names are two classes; other paths may be aliases); a torch name is
    never a class of the user's file."""
    if isinstance(a, ClassRef) and isinstance(b, ClassRef):
        return a.info is b.info
    from .partials import PartialValue  # partials imports torch_calls, which imports this module

    classes = (Ref, ClassRef, Builtin, FunctionRef, PartialValue)
    if isinstance(a, classes) != isinstance(b, classes) and all(isinstance(v, (*classes, *PLAIN)) for v in (a, b)):
        return False  # `"relu" == nn.ReLU`: a number or string is no class or function
    if isinstance(a, PartialValue) or isinstance(b, PartialValue):
        # a partial's `==` is identity: never a class, equal to itself only (a copy holds the same object)
        if isinstance(a, PartialValue) and isinstance(b, PartialValue):
            return a is b
        other = b if isinstance(a, PartialValue) else a
        return False if isinstance(other, (Ref, ClassRef, Builtin, FunctionRef)) or other is None else None
    if isinstance(a, ModuleValue) and isinstance(b, ModuleValue) and not (_defines_eq(a) or _defines_eq(b)):
        return a is b  # nn.Module's `==` is identity (`m in self.skip`)
    if isinstance(a, Builtin) and isinstance(b, Builtin):
        return a.name == b.name  # `type(k) == int`, `type(k) is tuple`
    if {type(a), type(b)} <= {Builtin, Ref, ClassRef} and type(a) is not type(b):
        builtin_class = a if isinstance(a, Builtin) else b
        if isinstance(builtin_class, Builtin) and builtin_class.name in _BUILTIN_CLASSES:
            return False  # int is neither a torch class nor one of the file's
    if isinstance(a, Ref) and isinstance(b, Ref):
        if a.qualname == b.qualname:
            return True
        return False if _torch_nn_name(a) and _torch_nn_name(b) else None
    if isinstance(a, Ref) != isinstance(b, Ref) and {type(a), type(b)} == {Ref, ClassRef}:
        ref = a if isinstance(a, Ref) else b
        return False if ref.qualname.startswith("torch.") else None
    return None


def math_call(name, args):
    """`math.ceil(...)` and friends on plain numbers; `math.pi`."""
    fns = {"ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "prod": math.prod, "log2": math.log2, "log": math.log,
           "gcd": math.gcd, "pow": math.pow, "isqrt": math.isqrt, "exp": math.exp, "log10": math.log10, "log1p": math.log1p,
           "sin": math.sin, "cos": math.cos, "tan": math.tan, "atan": math.atan, "trunc": math.trunc, "fabs": math.fabs,
           "lcm": math.lcm, "comb": math.comb, "isclose": math.isclose, "hypot": math.hypot, "copysign": math.copysign}
    constants = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
    if name == "comb" and not all(isinstance(a, int) and abs(a) <= 10_000 for a in args):
        return Unknown("math.comb of large numbers")  # its cost grows with the result's size
    if name in constants:
        return constants[name]
    exact = float_sizes.rounded(name, args)
    if exact is not None:
        return exact  # math.ceil(num_tokens / num_experts * 1.0): the integer expression
    fn = fns.get(name)
    if fn is None or not all(isinstance(a, (int, float)) and not isinstance(a, bool) or isinstance(a, (list, tuple)) for a in args):
        return Unknown(f"math.{name}")
    try:
        return fn(*args)
    except Exception:
        return Unknown(f"math.{name}")


def has_method(obj, name: str) -> bool:
    """A method of a plain value that get_attr hands out (str's below, float.is_integer)."""
    if isinstance(obj, float):
        return name == "is_integer"  # ALiBi's `math.log2(n_heads).is_integer()`
    if isinstance(obj, str) and name in text_values.SHRINKING_STR_METHODS:
        return True
    return isinstance(obj, (int, str, tuple)) and name in STR_METHODS


def value_method(obj, name, args, kwargs):
    if isinstance(obj, float):
        return obj.is_integer() if name == "is_integer" and not args and not kwargs else NOT_MODELLED
    return str_method(obj, name, args, kwargs)


def str_method(obj: str, name, args, kwargs):
    try:
        if name == "format" and not any(isinstance(a, (Unknown, Tensor, ModuleValue, Expr)) for a in list(args) + list(kwargs.values())):
            return budgets.format_ok(obj, args, kwargs) or obj.format(*args, **kwargs)
        if name == "join" and len(args) == 1:
            big = budgets.join_ok(obj, args[0])
            if big is not None:
                return big
        if name == "replace" and len(args) >= 2:
            big = budgets.replace_ok(obj, args[0], args[1])
            if big is not None:
                return big
        if isinstance(obj, tuple) and name in ("count", "index") and _plain(obj) and all(_plain(a) for a in args) and not kwargs:
            return getattr(obj, name)(*args)  # ValueError (index of a missing item) makes it unknown below
        if isinstance(obj, str) and name in (*_PURE_STR, "replace", "join") and not kwargs \
                and all(isinstance(a, (str, list, tuple, int)) and not isinstance(a, bool) for a in args):
            return getattr(obj, name)(*args)
        if isinstance(obj, str):
            result = text_values.str_method(obj, name, args, kwargs)
            if result is not None:
                return result
    except Exception:
        return Unknown("string method")
    return NOT_MODELLED
