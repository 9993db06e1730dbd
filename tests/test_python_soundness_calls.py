"""Calls, scoping and numbers as Python defines them, each against torch. Fixed here: a
positional-only parameter given by keyword is not bound (TypeError, or the **kwargs' entry;
before, it was bound as if positional), and a keyword given twice (`f(a=1, **{'a': 4})`) makes
the call unknown (TypeError; before, the later one won), and a name a function binds anywhere
in its body is local in all of it: read before it is bound it is unknown (UnboundLocalError;
before, the module's name of that spelling was read), and a functools.lru_cache / cache
function returns the one object its first call made (before, it ran again: a new list). The rest pin what was right already:
keyword-only and *args/**kwargs binding, functools.partial, decorators, recursion, closures'
late binding, shadowed builtins, module names rebound later, and Python's integer and float
arithmetic (floor division and modulo of negatives, banker's rounding, int() truncation).
"""

import pytest

from python_soundness import compare, raises_and_unstated, width_net

pytestmark = pytest.mark.torch

DECIDED = {
    "keyword_only": width_net("w = f(1, k=3)", "def f(a, *, k=2):\n    return a + k"),
    "positional_only": width_net("w = f(1, 3)", "def f(a, b, /):\n    return a + b"),
    "positional_only_and_kwargs": width_net("w = f(1, a=3)", "def f(a, /, **kw):\n    return a + kw['a']"),
    "star_args_and_kwargs": width_net("w = f(1, *[1], c=1, **{'d': 1})", "def f(a, b, c, d):\n    return a + b + c + d"),
    "collected_args": width_net("w = f(1, 2, 3, 4)", "def f(a, *rest):\n    return len(rest) + a"),
    "forwarded_kwargs": width_net("w = g(k=2)", "def f(k=1, m=0):\n    return k + m\ndef g(**kw):\n    return f(m=2, **kw)"),
    "partial_overridden_keyword": width_net("w = g(k=4)", "def f(a, k=1):\n    return a + k\ng = functools.partial(f, 0, k=2)"),
    "partial_of_partial": width_net("w = h()", "def f(a, b, c=0):\n    return a + b + c\ng = functools.partial(f, 1)\n"
                                    "h = functools.partial(g, 1, c=2)"),
    "wraps_decorator": width_net("w = f(2)", "def deco(fn):\n    @functools.wraps(fn)\n    def inner(*a, **k):\n"
                                 "        return fn(*a, **k) * 2\n    return inner\n@deco\ndef f(v):\n    return v"),
    "decorator_factory": width_net("w = f(1)", "def times(n):\n    def deco(fn):\n        def inner(v):\n            return fn(v) * n\n"
                                   "        return inner\n    return deco\n@times(4)\ndef f(v):\n    return v"),
    # the cached list is one object: an append to it is seen by the next call (was 3: a new list)
    "lru_cache_returns_one_object": width_net("f(2).append(1)\nw = len(f(2)) + 2", "@functools.lru_cache\ndef f(v):\n    return [v]"),
    "cache_returns_one_object": width_net("f(2).append(1)\nf(2).append(1)\nw = len(f(2)) + 1",
                                          "from functools import cache\n@cache\ndef f(v):\n    return [v]"),
    "lru_cache_other_arguments": width_net("f(2).append(1)\nw = len(f(3)) + 3", "@functools.lru_cache(maxsize=None)\ndef f(v):\n    return [v]"),
    "lru_cache_value": width_net("w = f(2) + f(2)", "@functools.lru_cache(maxsize=None)\ndef f(v):\n    return v"),
    "recursion": width_net("w = fib(4) + 1", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)"),
    "late_binding_lambdas": width_net("fns = [lambda: i for i in range(5)]\nw = fns[0]()"),
    "default_binds_early": width_net("fns = [lambda i=i: i for i in range(5)]\nw = fns[4]()"),
    "closure_sees_rebinding": width_net("k = 1\nf = lambda: k\nk = 4\nw = f()"),
    "nonlocal": width_net("w = outer()", "def outer():\n    n = 1\n    def inc():\n        nonlocal n\n        n += 3\n    inc()\n    return n"),
    "global_write": width_net("set_n()\nw = N", "N = 1\ndef set_n():\n    global N\n    N = 4"),
    "module_name_rebound_later": width_net("w = get()", "N = 1\ndef get():\n    return N\nN = 4"),
    "shadowed_builtin_local": width_net("max = 3\nw = max + 1"),
    "global_declared_is_not_local": width_net("w = f()", "N = 3\ndef f():\n    global N\n    x = N\n    N = 2\n    return x + 1"),
    "comprehension_variable_is_not_local": width_net("w = f()", "i = 4\ndef f():\n    l = [i for i in range(2)]\n    return i"),
    "nested_def_reads_global": width_net("w = f()", "N = 4\ndef f():\n    def g():\n        return N\n    N2 = g()\n    return N2"),
    "shadowed_builtin_module": width_net("w = len([1, 2])", "def len(x):\n    return 4"),
    "parameter_named_type": width_net("w = f(type=4)", "def f(type=2):\n    return type"),
    "comprehension_variable_does_not_leak": width_net("i = 4\nl = [i for i in range(10)]\nw = i"),
    "loop_variable_leaks": width_net("for i in range(5):\n    pass\nw = i"),
    "conditional_definition": width_net("w = get()", "FLAG = 0\nif FLAG:\n    def get():\n        return 2\nelse:\n    def get():\n        return 4"),
    "bound_method_value": width_net("c = C()\nm = c.get\nc.k = 4\nw = m()", "class C:\n    k = 2\n    def get(self):\n        return self.k"),
    "getattr_default": width_net("w = getattr(C(), 'missing', 4)", "class C:\n    pass"),
    "floor_division_negative": width_net("w = -7 // 2 + 8"),
    "modulo_negative": width_net("w = -7 % 3 + 2"),
    "modulo_negative_divisor": width_net("w = 7 % -3 + 6"),
    "bankers_rounding": width_net("w = round(2.5) + round(0.5) + 2"),
    "round_digits": width_net("w = int(round(2.675, 2) * 100) - 263"),
    "int_truncates": width_net("w = int(-3.7) + 7"),
    "floor_ceil": width_net("w = math.floor(-0.5) + math.ceil(-0.5) + 5"),
    "divmod_negative": width_net("w = divmod(-9, 4)[1] + 1"),
    "bool_is_int": width_net("w = True + 3"),
    "big_ints": width_net("w = (1 << 70) >> 68"),
    "isqrt": width_net("w = math.isqrt(17)"),
    "int_of_string": width_net("w = int(' 4 ')"),
    "format_spec": width_net("w = len(f'{3:04d}')"),
    "float_precision": width_net("w = 4 if 0.1 + 0.2 != 0.3 else 2"),
}

RAISES = {
    # a name the function binds is local in all of its body: read first, UnboundLocalError (was the module's N)
    "unbound_local": width_net("w = f()", "N = 4\ndef f():\n    x = N\n    N = 2\n    return x"),
    "unbound_local_builtin": width_net("w = f()", "def f():\n    n = len([1, 2, 3, 4])\n    len = 2\n    return n"),
    "deleted_local": width_net("w = f()", "N = 4\ndef f():\n    N = 2\n    del N\n    return N"),
    "positional_only_by_keyword": width_net("w = f(1, b=3)", "def f(a, b, /):\n    return 4"),  # was stated
    "keyword_twice": width_net("w = f(a=1, **{'a': 4})", "def f(a):\n    return a"),  # was 4
    "float_width": width_net("w = 8 / 2"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_python_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)


@pytest.mark.parametrize("name", list(RAISES))
def test_where_python_raises_nothing_is_stated(name):
    raises_and_unstated(RAISES[name])
