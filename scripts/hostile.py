"""A hostile corpus: generated inputs that try to crash, hang or exhaust shapelint.

    python scripts/hostile.py [--workers 2] [--time-limit 6] [--memory-cap 1024]
                              [--only KIND] [--no-lsp] [--no-cli] [--list] [--json OUT]

Generates ~1,200 inputs (deterministic): truncations and byte flips of every fixture;
deep nesting of every bracket, operator and statement kind; huge literals; string,
list, tuple, dict, format, `%`, f-string, join/replace and comprehension bombs; `**`
and `<<` on ints (in lambdas and nested lambdas); endless loops and `range(10**12)`;
recursive functions, classes and forwards; 5,000-layer Sequentials; enormous files;
NUL bytes and broken encodings. Each bomb is placed at module level, in `__init__`,
in `forward`, in a helper called from `__init__`, and as a layer's argument.

Each input goes through
- the CLI (`shapelint --format json FILE`), one forked child per input from a
  process that has shapelint imported (`--spawn`: a fresh `python -m shapelint`
  each), with a time limit, a memory cap, and the child's peak RSS (wait4);
- the LSP server (`shapelint lsp`, a small client here): didOpen, wait for
  publishDiagnostics, then a hover request that must be answered; the server's
  peak RSS per input comes from /proc (clear_refs + VmHWM); a server that dies or
  does not answer within the limit is counted and restarted.

It prints a table (inputs, tracebacks, internal errors, hangs over 5 s, peak memory
over 500 MB, exit codes, LSP crashes and unresponsive) and every failing input with
its time and peak memory. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Dict, Iterable, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANG_SECONDS = 5.0
MEMORY_LIMIT_MB = 500.0
ADDRESS_SPACE_LIMIT = 4 << 30  # a hard stop for a child, far above any sane lint
LSP_RECYCLE_MB = 300.0  # a server holding more after an input is restarted before the next


@dataclass
class Case:
    id: str  # unique, usable as a file name
    kind: str  # the family, e.g. "bomb:str_doubling", "nesting:parens", "truncation"
    data: bytes


# ====================================================================== generation

MODEL = """\
import torch
import torch.nn as nn
{pre}

class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
{init}
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
{forward}
        return self.fc(x)
"""


def indent(code: str, n: int) -> str:
    return "\n".join((" " * n + line) if line else line for line in code.split("\n"))


def model(pre: str = "", init: str = "", forward: str = "") -> str:
    return MODEL.format(pre=pre, init=indent(init, 8) or "        pass", forward=indent(forward, 8) or "        pass")


# name -> (snippet assigning S (a sequence), N (an int) or nothing, the variable)
BOMBS: Dict[str, tuple] = {
    # string formatting widths
    "fmt_width": ('S = "{:1000000000}".format(0)', "S"),
    "fmt_width_nested": ('S = "{:{}}".format(0, 10**9)', "S"),
    "fmt_width_fill": ('S = "{:>1000000000}".format("a")', "S"),
    "format_builtin": ('S = format(0, "1000000000")', "S"),
    "fstring_width": ('S = f"{0:1000000000}"', "S"),
    "fstring_width_var": ('W = 10**9\nS = f"{0:{W}}"', "S"),
    "percent_width": ('S = "%1000000000d" % 0', "S"),
    "percent_star": ('S = "%*d" % (10**9, 0)', "S"),
    "percent_precision": ('S = "%.1000000000f" % 1.0', "S"),
    # growing strings
    "str_mul_huge": ('S = "a" * 10**10', "S"),
    "str_mul_shift": ('S = "ab" * (1 << 40)', "S"),
    "str_doubling": ('S = "a" * 100000\nfor i in range(40):\n    S = S + S', "S"),
    "str_iadd": ('S = "a" * 100000\nfor i in range(40):\n    S += S', "S"),
    "str_imul": ('S = "a" * 1000\nfor i in range(40):\n    S *= 2', "S"),
    "str_join_doubling": ('S = "a" * 100000\nfor i in range(40):\n    S = "".join([S, S])', "S"),
    "str_join_big": ('S = ",".join(["a" * 1000000] * 100000)', "S"),
    "str_replace_doubling": ('S = "a" * 1000\nfor i in range(40):\n    S = S.replace("a", "aa")', "S"),
    "str_replace_empty": ('S = ("a" * 100000).replace("", "b" * 100000)', "S"),
    "str_center": ('S = "a".center(10**10)', "S"),
    "str_zfill": ('S = "1".zfill(10**10)', "S"),
    "str_expandtabs": ('S = ("\\t" * 100000).expandtabs(100000)', "S"),
    "fstring_doubling": ('S = "a" * 1000\nfor i in range(40):\n    S = f"{S}{S}"', "S"),
    "percent_doubling": ('S = "a" * 1000\nfor i in range(40):\n    S = "%s%s" % (S, S)', "S"),
    "format_doubling": ('S = "a" * 1000\nfor i in range(40):\n    S = "{}{}".format(S, S)', "S"),
    "bytes_mul_huge": ('S = b"a" * 10**10', "S"),
    # growing containers
    "list_mul_huge": ("S = [0] * 10**10", "S"),
    "list_doubling": ("S = [0] * 100000\nfor i in range(40):\n    S = S + S", "S"),
    "list_iadd": ("S = [0] * 100000\nfor i in range(40):\n    S += S", "S"),
    "list_imul": ("S = [0] * 1000\nfor i in range(40):\n    S *= 2", "S"),
    "list_extend": ("S = [0] * 1000\nfor i in range(40):\n    S.extend(S)", "S"),
    "list_append_loop": ("S = []\nfor i in range(10**9):\n    S.append(i)", "S"),
    "list_self_iterating": ("S = [0]\nfor v in S:\n    S.append(v)", "S"),
    "tuple_mul_huge": ("S = (0,) * 10**10", "S"),
    "tuple_doubling": ("S = (0,) * 100000\nfor i in range(40):\n    S = S + S", "S"),
    "dict_comp_huge": ("S = {i: i for i in range(10**9)}", "S"),
    "dict_doubling": ("S = {0: 0}\nfor i in range(40):\n    S = {**S, **{k + len(S): v for k, v in S.items()}}", "S"),
    "dict_fromkeys": ("S = dict.fromkeys(range(10**9))", "S"),
    "set_comp_huge": ("S = {i for i in range(10**9)}", "S"),
    "list_comp_huge": ("S = [i for i in range(10**9)]", "S"),
    "list_comp_product": ("S = [i * j for i in range(10**5) for j in range(10**5)]", "S"),
    "list_comp_doubling": ("S = [0] * 1000\nfor i in range(40):\n    S = [x for x in S for _ in (0, 1)]", "S"),
    "list_of_range": ("S = list(range(10**10))", "S"),
    "sorted_range": ("S = sorted(range(10**9))", "S"),
    "enumerate_range": ("S = list(enumerate(range(10**9)))", "S"),
    # integers
    "pow_tower": ("N = 10**10**10", "N"),
    "pow_in_lambda": ("N = (lambda: 10**10**8)()", "N"),
    "pow_lambda_self": ("f = lambda x: x ** x\nN = f(f(9))", "N"),
    "pow_nested_lambdas": ("N = (lambda a: (lambda b: b ** b)(a ** a))(99)", "N"),
    "pow_lambda_chain": ("f = lambda x: x ** 100\nN = f(f(f(f(f(99)))))", "N"),
    "pow_builtin": ("N = pow(10, 10**9)", "N"),
    "pow_squaring_loop": ("N = 2\nfor i in range(64):\n    N = N * N", "N"),
    "shift_huge": ("N = 1 << 10**10", "N"),
    "shift_in_lambda": ("N = (lambda: 1 << (1 << 40))()", "N"),
    "shift_nested_lambdas": ("N = (lambda a: (lambda b: b << b)(a << a))(60)", "N"),
    "int_to_str_huge": ("N = len(str(10**100000))", "N"),
    "int_parse_huge": ('N = int("9" * 1000000)', "N"),
    "factorial_huge": ("import math\nN = math.factorial(10**7)", "N"),
    "float_overflow": ("N = int(10.0 ** 400)", "N"),
    "float_inf_to_int": ("N = int(1e308 * 10)", "N"),
    "division_by_zero": ("N = 1 // 0 + 10 % 0", "N"),
    "negative_shift": ("N = 1 << -1", "N"),
    # loops
    "while_true": ("while True:\n    pass", None),
    "while_true_counting": ("i = 0\nwhile True:\n    i += 1", None),
    "while_always_true_condition": ("i = 0\nwhile i >= 0:\n    i = i + 1", None),
    "while_never_breaks": ("while 1:\n    if False:\n        break", None),
    "for_range_huge": ("for i in range(10**12):\n    pass", None),
    "for_range_huge_sum": ("N = 0\nfor i in range(10**12):\n    N += i", "N"),
    "for_nested_huge": ("for i in range(10**6):\n    for j in range(10**6):\n        pass", None),
    "itertools_count": ("import itertools\nfor i in itertools.count():\n    pass", None),
    # recursion
    "recursive_function": ("def f(n):\n    return f(n + 1)\nN = f(0)", "N"),
    "mutual_recursion": ("def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nN = f(0)", "N"),
    "recursive_lambda": ("f = lambda n: f(n + 1)\nN = f(0)", "N"),
    "exponential_recursion": ("def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nN = f(60)", "N"),
    "fibonacci_naive": ("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nN = fib(100)", "N"),
    "y_combinator": (
        "Y = lambda f: (lambda x: f(lambda v: x(x)(v)))(lambda x: f(lambda v: x(x)(v)))\n"
        "fact = Y(lambda g: lambda n: 1 if n == 0 else n * g(n - 1))\nN = fact(10**6)", "N"),
    "ackermann": ("def A(m, n):\n    if m == 0:\n        return n + 1\n    if n == 0:\n        return A(m - 1, 1)\n"
                  "    return A(m - 1, A(m, n - 1))\nN = A(4, 2)", "N"),
}


def bomb_cases() -> List[Case]:
    """Every bomb at module level, in __init__, in forward, in a helper, as a layer argument."""
    out = []
    for name, (snippet, var) in BOMBS.items():
        use = {"S": "len(S)", "N": "N", None: "4"}[var]
        helper = "def helper():\n" + indent(snippet, 4) + f"\n    return {var or 4}\n"
        variants = {
            "module": model(pre=snippet),
            "init": model(init=snippet),
            "forward": model(forward=snippet),
            "helper": model(pre=helper, init="value = helper()"),
            "layer": model(init=snippet + f"\nself.extra = nn.Linear({use}, 2)", forward="y = self.extra(x)"),
        }
        for where, src in variants.items():
            out.append(Case(f"bomb-{name}-{where}", f"bomb:{name}", src.encode()))
    return out


def structure_cases() -> List[Case]:
    """Whole files: recursive classes and forwards, inheritance chains, huge Sequentials."""
    chain = "\n".join(
        f"class C{i}({'nn.Module' if i == 0 else f'C{i - 1}'}):\n    def __init__(self):\n        super().__init__()\n"
        + ("        self.fc = nn.Linear(4, 2)\n" if i == 0 else "")
        for i in range(1000)
    )
    chain5k = "\n".join(f"class D{i}({'nn.Module' if i == 0 else f'D{i - 1}'}):\n    pass\n" for i in range(5000))
    seq_literal = "nn.Sequential(" + ", ".join(["nn.Linear(4, 4)"] * 5000) + ")"
    nested_seq = "nn.Linear(4, 4)"
    for _ in range(300):
        nested_seq = f"nn.Sequential({nested_seq})"
    srcs = {
        "recursive_class": model(init="self.child = Net()"),
        "mutually_recursive_classes": (
            "import torch.nn as nn\n\nclass A(nn.Module):  # shapelint: input=(2, 4)\n    def __init__(self):\n"
            "        super().__init__()\n        self.b = B()\n\n    def forward(self, x):\n        return self.b(x)\n\n"
            "class B(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = A()\n\n"
            "    def forward(self, x):\n        return self.a(x)\n"),
        "self_calling_forward": model(forward="x = self.forward(x)"),
        "forward_recursion_via_method": model(pre="", forward="x = self.step(x)").replace(
            "        return self.fc(x)\n", "        return self.fc(x)\n\n    def step(self, x):\n        return self.forward(x)\n"),
        "forward_calls_itself_through_module": model(init="self.me = self", forward="x = self.me(x)"),
        "getattr_recursion": model().replace("    def forward", "    def __getattr__(self, name):\n        return getattr(self, name)\n\n    def forward"),
        "property_recursion": model(forward="x = x + self.width").replace(
            "    def forward", "    @property\n    def width(self):\n        return self.width\n\n    def forward"),
        "cyclic_bases": "import torch.nn as nn\n\nclass A(B):  # shapelint: input=(2, 4)\n    pass\n\nclass B(A):\n    pass\n",
        "self_base": "import torch.nn as nn\n\nclass A(A):  # shapelint: input=(2, 4)\n    pass\n",
        "rebound_base_cycle": "import torch.nn as nn\n\nclass A(nn.Module):\n    pass\n\nB = A\n\nclass A(B):  # shapelint: input=(2, 4)\n    def forward(self, x):\n        return super().forward(x)\n",
        "inheritance_chain_1000": "import torch.nn as nn\n\n" + chain + "\n\nclass Net(C999):  # shapelint: input=(2, 4)\n    def forward(self, x):\n        return self.fc(x)\n",
        "inheritance_chain_5000": "import torch.nn as nn\n\n" + chain5k + "\n\nnet = D4999()\n",
        "sequential_5000_comprehension": "import torch.nn as nn\n\nmodel = nn.Sequential(*[nn.Linear(4, 4) for _ in range(5000)])  # shapelint: input=(2, 4)\n",
        "sequential_5000_repeated": "import torch.nn as nn\n\nmodel = nn.Sequential(*([nn.ReLU()] * 5000))  # shapelint: input=(2, 4)\n",
        "sequential_5000_literal": f"import torch.nn as nn\n\nmodel = {seq_literal}  # shapelint: input=(2, 4)\n",
        "sequential_50000_comprehension": "import torch.nn as nn\n\nmodel = nn.Sequential(*[nn.ReLU() for _ in range(50000)])  # shapelint: input=(2, 4)\n",
        "sequential_add_module_5000": model(init="self.seq = nn.Sequential()\nfor i in range(5000):\n    self.seq.add_module(str(i), nn.Linear(4, 4))", forward="x = self.seq(x)"),
        "modulelist_5000": model(init="self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(5000)])", forward="for layer in self.layers:\n    x = layer(x)"),
        "sequential_nested_500_loop": model(init="m = nn.Linear(4, 4)\nfor i in range(500):\n    m = nn.Sequential(m)\nself.m = m", forward="x = self.m(x)"),
        "sequential_nested_300_literal": f"import torch.nn as nn\n\nmodel = {nested_seq}  # shapelint: input=(2, 4)\n",
        "conv_stack_5000": (
            "import torch.nn as nn\n\nclass Net(nn.Module):  # shapelint: input=(1, 4, 8, 8)\n    def __init__(self):\n"
            "        super().__init__()\n        self.body = nn.Sequential(*[nn.Conv2d(4, 4, 3, padding=1) for _ in range(5000)])\n\n"
            "    def forward(self, x):\n        return self.body(x)\n"),
        "huge_layer_sizes": model(init="self.big = nn.Linear(10**18, 10**18)\nself.conv = nn.Conv2d(3, 10**9, 10**5)"),
        "huge_declared_input": model().replace("input=(2, 4)", "input=(1000000000000, 4)"),
        "huge_input_digits": model().replace("input=(2, 4)", "input=(" + "9" * 10000 + ", 4)"),
        "huge_input_rank": model().replace("input=(2, 4)", "input=(" + "2, " * 100000 + "4)"),
        "many_models_2000": "import torch.nn as nn\n\n" + "\n".join(
            f"class M{i}(nn.Module):  # shapelint: input=(2, 4)\n    def __init__(self):\n        super().__init__()\n"
            f"        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n" for i in range(2000)),
    }
    return [Case(f"structure-{k}", f"structure:{k}", v.encode()) for k, v in srcs.items()]


EXPRESSION_NESTING: Dict[str, Callable[[int], str]] = {
    "parens": lambda d: "(" * d + "1" + ")" * d,
    "lists": lambda d: "[" * d + "]" * d,
    "tuples": lambda d: "(1, " * d + ")" * d,
    "dicts": lambda d: "{1: " * d + "1" + "}" * d,
    "sets": lambda d: "{" * d + "1" + "}" * d,
    "calls": lambda d: "f(" * d + ")" * d,
    "subscripts": lambda d: "a[" * d + "0" + "]" * d,
    "attributes": lambda d: "a." * d + "b",
    "unary_minus": lambda d: "-" * d + "1",
    "not_chain": lambda d: "not " * d + "x",
    "invert_chain": lambda d: "~" * d + "1",
    "sum_chain": lambda d: "+".join(["1"] * d),
    "power_chain": lambda d: "**".join(["1"] * d),
    "comparison_chain": lambda d: " < ".join(["1"] * d),
    "and_chain": lambda d: " and ".join(["x"] * d),
    "ternaries": lambda d: "1 if x else " * d + "0",
    "lambdas": lambda d: "lambda: " * d + "0",
    "implicit_concat": lambda d: " ".join(["'a'"] * d),
    "comprehensions": lambda d: "[" * d + "0" + " for x in y]" * d,
    "walrus": lambda d: "(a := " * d + "1" + ")" * d,
    "starred": lambda d: "[*" * d + "[]" + "]" * d,
    "generators": lambda d: "(" * d + "0" + " for x in y)" * d,
    "fstring_in_call": lambda d: "f'{" + "g(" * d + "1" + ")" * d + "}'",
    "slices": lambda d: "a[" + ":".join(["1"] * 3) + "]" * 1 + "[0]" * d,
}
STATEMENT_NESTING: Dict[str, Callable[[int], str]] = {
    "if": lambda d: "".join(" " * i + "if x:\n" for i in range(d)) + " " * d + "pass\n",
    "for": lambda d: "".join(" " * i + "for i in y:\n" for i in range(d)) + " " * d + "pass\n",
    "while": lambda d: "".join(" " * i + "while x:\n" for i in range(d)) + " " * d + "break\n",
    "with": lambda d: "".join(" " * i + "with a as b:\n" for i in range(d)) + " " * d + "pass\n",
    "try": lambda d: "".join(" " * i + "try:\n" for i in range(d)) + "".join(
        " " * (d - i) + "pass\n" + " " * (d - i - 1) + "except Exception:\n" + " " * (d - i) + "pass\n" for i in range(d)),
    "def": lambda d: "".join(" " * i + f"def f{i}(x):\n" for i in range(d)) + " " * d + "return x\n",
    "class": lambda d: "".join(" " * i + f"class K{i}(nn.Module):\n" for i in range(d)) + " " * d + "pass\n",
    "elif_chain": lambda d: "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, d)),
    "else_if": lambda d: "".join(" " * i + "if x:\n" + " " * i + " pass\n" + " " * i + "else:\n" for i in range(d)) + " " * d + "pass\n",
    "decorators": lambda d: "@d\n" * d + "def f():\n    pass\n",
    "assignment_chain": lambda d: "a = " * d + "1\n",
    "semicolons": lambda d: "x = 1; " * d + "\n",
    "match": lambda d: "".join(" " * (2 * i) + "match x:\n" + " " * (2 * i + 1) + "case 1:\n" for i in range(d)) + " " * (2 * d) + "pass\n",
}


def nesting_cases() -> List[Case]:
    out = []
    for name, make in EXPRESSION_NESTING.items():
        for depth in (100, 1000, 5000, 30000):
            expr = make(depth)
            out.append(Case(f"nesting-{name}-{depth}-module", f"nesting:{name}", f"import torch.nn as nn\nx = {expr}\n".encode()))
            if depth in (1000, 30000):
                out.append(Case(f"nesting-{name}-{depth}-init", f"nesting:{name}", model(init=f"y = {expr}").encode()))
    for name, make in STATEMENT_NESTING.items():
        for depth in (50, 99, 100, 1000) if name not in ("elif_chain", "decorators", "assignment_chain", "semicolons") else (1000, 5000, 30000):
            out.append(Case(f"nesting-{name}-{depth}", f"nesting:{name}", ("import torch.nn as nn\n" + make(depth)).encode()))
    return out


def literal_cases() -> List[Case]:
    lits = {
        "str_10mb": 'S = "' + "a" * 10_000_000 + '"',
        "bytes_10mb": 'S = b"' + "a" * 10_000_000 + '"',
        "int_1m_digits": "N = " + "9" * 1_000_000,
        "int_5k_digits": "N = " + "9" * 5000,
        "hex_1m_digits": "N = 0x" + "f" * 1_000_000,
        "float_1m_digits": "N = " + "1" * 1_000_000 + ".5",
        "float_huge_exponent": "N = 1e999999999",
        "complex_100k_digits": "N = " + "1" * 100_000 + "j",
        "list_1m_items": "S = [" + "1, " * 1_000_000 + "]",
        "dict_100k_items": "S = {" + ", ".join(f"{i}: {i}" for i in range(100_000)) + "}",
        "tuple_1m_items": "S = (" + "1, " * 1_000_000 + ")",
        "long_comment_line": "x = 1  # " + "c" * 10_000_000,
        "long_identifier": "a" * 1_000_000 + " = 1",
        "many_string_parts": "S = (" + " ".join(["'ab'"] * 100_000) + ")",
        "fstring_100k_fields": "S = f'" + "{x}" * 100_000 + "'",
        "call_100k_arguments": "S = max(" + "1, " * 100_000 + ")",
    }
    out = []
    for name, code in lits.items():
        out.append(Case(f"literal-{name}-module", f"literal:{name}", f"import torch.nn as nn\n{code}\n".encode()))
        out.append(Case(f"literal-{name}-init", f"literal:{name}", model(init=code).encode()))
    return out


def enormous_cases() -> List[Case]:
    base = model()
    return [
        Case("enormous-200k_assignments", "enormous:lines", (base + "".join(f"v{i} = {i}\n" for i in range(200_000))).encode()),
        Case("enormous-20mb_comments", "enormous:comments", (base + ("# " + "x" * 98 + "\n") * 200_000).encode()),
        Case("enormous-50k_functions", "enormous:functions", (base + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(50_000))).encode()),
        Case("enormous-5k_classes", "enormous:classes", (base + "".join(
            f"class K{i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear({i % 7 + 1}, 3)\n"
            for i in range(5000))).encode()),
        Case("enormous-one_10mb_line", "enormous:line", (base + "x = [" + "1," * 5_000_000 + "]\n").encode()),
        Case("enormous-deep_and_long", "enormous:mixed", (base + "".join(f"y{i} = ({'(' * 50}{i}{')' * 50})\n" for i in range(20_000))).encode()),
    ]


def encoding_cases() -> List[Case]:
    m = model().encode()
    half = len(m) // 2
    raw = {
        "nul_at_start": b"\x00" + m,
        "nul_in_middle": m[:half] + b"\x00" + m[half:],
        "nul_at_end": m + b"\x00",
        "nul_in_string": m.replace(b"pass", b"s = 'a\x00b'", 1),
        "nul_in_comment": m.replace(b"# shapelint", b"# \x00 shapelint", 1),
        "only_nuls": b"\x00" * 100_000,
        "invalid_utf8_byte": m[:half] + b"\xff" + m[half:],
        "invalid_utf8_sequence": m[:half] + b"\xc3\x28" + m[half:],
        "truncated_multibyte_at_end": m + b"# \xe2\x82",
        "overlong_encoding": m[:half] + b"\xc0\xaf" + m[half:],
        "encoded_surrogate": m.replace(b"pass", b"s = '\xed\xa0\x80'", 1),
        "utf16_le_with_bom": b"\xff\xfe" + m.decode().encode("utf-16-le"),
        "utf16_be_with_bom": b"\xfe\xff" + m.decode().encode("utf-16-be"),
        "utf32_with_bom": b"\xff\xfe\x00\x00" + m.decode().encode("utf-32-le"),
        "bom_and_latin1_cookie": b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + m,
        "latin1_cookie_and_bytes": b"# -*- coding: latin-1 -*-\n" + m.replace(b"pass", b"s = '\xe9\xff'", 1),
        "unknown_cookie": b"# -*- coding: klingon -*-\n" + m,
        "base64_cookie": b"# coding: base64\n" + m,
        "zlib_cookie": b"# coding: zlib\n" + m,
        "hex_cookie": b"# coding: hex\n" + m,
        "rot13_cookie": b"# coding: rot13\n" + m,
        "uu_cookie": b"# coding: uu\n" + m,
        "undefined_cookie": b"# coding: undefined\n" + m,
        "utf7_cookie": b"# coding: utf-7\n" + m.replace(b"pass", b"s = '+ADw-'", 1),
        "utf16_cookie_without_bom": b"# coding: utf-16\n" + m,
        "idna_cookie": b"# coding: idna\n" + m,
        "cookie_on_line_3": b"#!/usr/bin/env python\n\n# coding: latin-1\n" + m,
        "cr_only": m.replace(b"\n", b"\r"),
        "lone_cr_at_end": m + b"\r",
        "form_feeds": m.replace(b"\n\n", b"\n\x0c\n"),
        "vertical_tabs": m.replace(b"    ", b"\x0b   ", 3),
        "ctrl_z": m + b"\x1a",
        "mixed_tabs_spaces": m.replace(b"        super", b"\t super"),
        "bidi_overrides": m.replace(b"pass", "s = '\u202e\u2066abc\u2069\u202c'".encode(), 1),
        "zero_width_identifiers": m.replace(b"pass", "a\u200b = 1".encode(), 1),
        "nfkc_identifier_collision": m.replace(b"pass", "\ufb01eld = 1\nfield = 2".encode(), 1),
        "non_bmp_everywhere": m.replace(b"pass", "s = '\U0001f525' * 3  # \U0001f525".encode(), 1),
        "combining_marks": m.replace(b"pass", ("x" + "\u0301" * 10000 + " = 1").encode(), 1),
    }
    return [Case(f"encoding-{k}", f"encoding:{k}", v) for k, v in raw.items()]


def fixture_files() -> List[str]:
    out = []
    for d in ("fixtures", "examples"):
        for root, dirs, names in os.walk(os.path.join(ROOT, d)):
            dirs.sort()
            out.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".py"))
    return out


def _flip(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(b)) if b else 0
        how = rng.choice(["replace", "delete", "insert", "bitflip"])
        if how == "replace" and b:
            b[i] = rng.randrange(256)
        elif how == "delete" and b:
            del b[i]
        elif how == "insert":
            b.insert(i, rng.choice([0, 10, 13, 32, 34, 39, 40, 41, 58, 91, 93, 123, 125, rng.randrange(256)]))
        elif b:
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def mutation_cases(seed: int = 15, per_file: int = 4) -> List[Case]:
    """Truncations and byte flips of every fixture, each input different from all others."""
    rng = random.Random(seed)
    out, seen = [], set()

    def add(case_id: str, kind: str, make: Callable[[], bytes]) -> None:
        for _ in range(100):
            data = make()
            if data not in seen:
                break
        seen.add(data)
        out.append(Case(case_id, kind, data))

    for path in fixture_files():
        with open(path, "rb") as fh:
            data = fh.read()
        if len(data) < 16:
            continue  # an empty __init__.py has nothing to cut
        rel = os.path.relpath(path, ROOT).replace(os.sep, "_").replace(".py", "")
        for k in range(per_file):
            add(f"truncation-{rel}-{k}", "truncation", lambda: data[: rng.randrange(1, max(len(data), 2))])
        for k in range(per_file):
            add(f"byteflip-{rel}-{k}", "byteflip", lambda: _flip(rng, data))
    return out


def corpus() -> List[Case]:
    cases = mutation_cases() + bomb_cases() + structure_cases() + nesting_cases() + literal_cases() + enormous_cases() + encoding_cases()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


# ====================================================================== results


@dataclass
class Result:
    id: str
    kind: str
    front: str  # "cli" | "lsp"
    exit: Optional[int] = None  # CLI exit status, -N for a signal; None for the LSP
    wall: float = 0.0
    cpu: float = 0.0  # CLI: the child's; LSP: the server's during this input
    peak_mb: float = 0.0
    killed: Optional[str] = None  # "time" | "memory": the runner stopped it
    traceback: bool = False
    internal_error: bool = False
    bad_output: bool = False  # stdout is not the JSON the contract promises
    crashed: bool = False  # LSP: the server died
    unresponsive: bool = False  # LSP: no diagnostics or no answer in time
    detail: str = ""

    @property
    def hang(self) -> bool:
        return self.cpu > HANG_SECONDS or self.killed == "time" or self.unresponsive

    @property
    def blowup(self) -> bool:
        return self.peak_mb > MEMORY_LIMIT_MB or self.killed == "memory"

    @property
    def failed(self) -> bool:
        return (self.traceback or self.internal_error or self.bad_output or self.crashed or self.hang or self.blowup
                or (self.front == "cli" and self.exit not in (0, 1)))

    def why(self) -> str:
        parts = [n for n, v in [("traceback", self.traceback), ("internal error", self.internal_error),
                                ("bad output", self.bad_output), ("crash", self.crashed),
                                ("unresponsive", self.unresponsive), (f"killed: {self.killed}", bool(self.killed)),
                                (f"{self.cpu:.1f} s CPU", self.cpu > HANG_SECONDS),
                                (f"{self.peak_mb:.0f} MB", self.peak_mb > MEMORY_LIMIT_MB)] if v]
        if self.front == "cli" and self.exit not in (0, 1):
            parts.append(f"exit {self.exit}")
        return ", ".join(parts)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (steadier than wall time on a busy machine)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def _watch(pid: int, time_limit: float, cap_mb: float):
    """Wait for a child, killing it past time_limit CPU seconds (or three times that in wall
    time, for a child that sleeps) or the RSS cap; (status, rusage, wall, killed)."""
    start = time.monotonic()
    killed = None
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, time.monotonic() - start, killed
        if killed is None:
            if _cpu_seconds(pid) > time_limit or time.monotonic() - start > 3 * time_limit:
                killed = "time"
            elif _rss_mb(pid) > cap_mb:
                killed = "memory"
            if killed:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _judge_cli(case: Case, status: int, usage, wall: float, killed, out: bytes, err: bytes) -> Result:
    code = os.waitstatus_to_exitcode(status)
    text = err.decode("utf-8", "replace") + out[-4000:].decode("utf-8", "replace")
    r = Result(case.id, case.kind, "cli", exit=code, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
               peak_mb=usage.ru_maxrss / 1024, killed=killed)
    r.traceback = "Traceback (most recent call last)" in text
    r.internal_error = "internal error" in text
    if code in (0, 1):
        try:
            diags = json.loads(out)
            r.bad_output = not isinstance(diags, list)
        except ValueError:
            r.bad_output = True
    if r.traceback or r.internal_error or code not in (0, 1):
        tail = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        r.detail = tail[-1][:300] if tail else ""
    return r


# ---------------------------------------------------------------------- the CLI, forked


def fork_server() -> None:
    """Read {"id", "kind", "path", "limit", "cap"} lines; check each file in a forked child."""
    sys.path.insert(0, ROOT)
    from shapelint.frontends import cli  # everything the CLI needs, imported once

    for line in sys.stdin:
        job = json.loads(line)
        out_path, err_path = job["path"] + ".out", job["path"] + ".err"
        pid = os.fork()
        if pid == 0:
            try:
                _limit_address_space()
                fd_out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                fd_err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd_out, 1)
                os.dup2(fd_err, 2)
                code = 0
                try:
                    cli.main(["--format", "json", job["path"]])
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
                except BaseException:
                    import traceback

                    traceback.print_exc()
                    code = 3
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(locals().get("code", 4))
        status, usage, wall, killed = _watch(pid, job["limit"], job["cap"])
        with open(out_path, "rb") as fh:
            out = fh.read()
        with open(err_path, "rb") as fh:
            err = fh.read()
        os.unlink(out_path)
        os.unlink(err_path)
        case = Case(job["id"], job["kind"], b"")
        print(json.dumps(asdict(_judge_cli(case, status, usage, wall, killed, out, err))), flush=True)


def _spawn_one(case: Case, path: str, time_limit: float, cap_mb: float) -> Result:
    env = dict(os.environ, PYTHONPATH=ROOT)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([sys.executable, "-m", "shapelint", "--format", "json", path], stdout=out, stderr=err,
                             env=env, preexec_fn=_limit_address_space)
        status, usage, wall, killed = _watch(p.pid, time_limit, cap_mb)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return _judge_cli(case, status, usage, wall, killed, out.read(), err.read())


def run_cli(cases: List[Case], directory: str, workers: int = 2, time_limit: float = 6.0, cap_mb: float = 1024.0,
            spawn: bool = False, progress: Optional[Callable[[Result], None]] = None) -> Dict[str, Result]:
    paths = write_cases(cases, directory)
    todo: "queue.Queue[Case]" = queue.Queue()
    for c in cases:
        todo.put(c)
    results: Dict[str, Result] = {}
    lock = threading.Lock()

    def record(r: Result) -> None:
        with lock:
            results[r.id] = r
        if progress:
            progress(r)

    def worker() -> None:
        server = None
        if not spawn:
            env = dict(os.environ, PYTHONPATH=ROOT)
            server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--fork-server"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, env=env, cwd=directory)
        try:
            while True:
                try:
                    c = todo.get_nowait()
                except queue.Empty:
                    return
                if spawn:
                    record(_spawn_one(c, paths[c.id], time_limit, cap_mb))
                    continue
                server.stdin.write(json.dumps({"id": c.id, "kind": c.kind, "path": paths[c.id], "limit": time_limit, "cap": cap_mb}) + "\n")
                server.stdin.flush()
                record(Result(**json.loads(server.stdout.readline())))
        finally:
            if server is not None:
                server.stdin.close()
                server.wait(timeout=30)

    threads = [threading.Thread(target=worker) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def write_cases(cases: Iterable[Case], directory: str) -> Dict[str, str]:
    paths = {}
    for c in cases:
        p = os.path.join(directory, c.id + ".py")
        if not os.path.exists(p):
            with open(p, "wb") as fh:
                fh.write(c.data)
        paths[c.id] = p
    return paths


# ---------------------------------------------------------------------- the LSP server


class LspClient:
    """Just enough JSON-RPC over stdio to open documents and ask for a hover."""

    def __init__(self, cwd: str):
        env = dict(os.environ, PYTHONPATH=ROOT, SHAPELINT_LSP_LOG="CRITICAL")
        self.proc = subprocess.Popen([sys.executable, "-m", "shapelint", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd, preexec_fn=_limit_address_space)
        self.messages: "queue.Queue[Optional[dict]]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}}, timeout=60)
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        self.messages.put(None)
                        return
                    line = line.strip()
                    if not line:
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = stream.read(length or 0)
                self.messages.put(json.loads(body))
        except (OSError, ValueError):
            self.messages.put(None)

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float):
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def wait(self, wanted: Callable[[dict], bool], timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                m = self.messages.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            if m is None:
                raise EOFError
            if "method" in m and "id" in m:  # a request from the server (e.g. a refresh): answer it
                self._send({"jsonrpc": "2.0", "id": m["id"], "result": None})
            if wanted(m):
                return m

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self.proc.wait(timeout=5)
        except (TimeoutError, EOFError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _lsp_peak_reset(pid: int) -> None:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM, the peak resident set, to the current one
    except OSError:
        pass


def _lsp_peak_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _lsp_one(client: LspClient, case: Case, path: str, time_limit: float, cap_mb: float) -> Result:
    from pathlib import Path

    uri = Path(path).as_uri()
    text = case.data.decode("utf-8", "replace")  # what an editor would hold for these bytes
    r = Result(case.id, case.kind, "lsp")
    pid = client.proc.pid
    _lsp_peak_reset(pid)
    start, cpu_before = time.monotonic(), _cpu_seconds(pid)
    stop = threading.Event()

    def guard() -> None:  # the server has no limits of its own: stop it past the cap or the CPU limit
        while not stop.wait(0.01):
            if _rss_mb(pid) > cap_mb:
                r.killed = "memory"
            elif _cpu_seconds(pid) - cpu_before > time_limit:
                r.killed = "time"
            else:
                continue
            r.cpu, r.peak_mb = _cpu_seconds(pid) - cpu_before, max(_lsp_peak_mb(pid), _rss_mb(pid))
            client.proc.kill()
            return

    threading.Thread(target=guard, daemon=True).start()
    try:
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        published = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri and m["params"].get("version") == 1, 3 * time_limit)
        codes = [d.get("code") for d in published["params"]["diagnostics"]]
        r.internal_error = "internal-error" in codes
        left = max(3 * time_limit - (time.monotonic() - start), 1.0)
        client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}, left)
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    except TimeoutError:
        r.unresponsive = True
    except (EOFError, OSError):
        r.crashed = r.killed is None
    finally:
        stop.set()
        r.wall = time.monotonic() - start
        r.cpu = _cpu_seconds(pid) - cpu_before if r.killed is None and client.proc.poll() is None else r.cpu
        if r.killed is None and client.proc.poll() is None:
            r.peak_mb = _lsp_peak_mb(pid)
    return r


def run_lsp(cases: List[Case], directory: str, workers: int = 2, time_limit: float = 6.0, cap_mb: float = 1024.0,
            progress: Optional[Callable[[Result], None]] = None) -> Dict[str, Result]:
    paths = write_cases(cases, directory)
    todo: "queue.Queue[Case]" = queue.Queue()
    for c in cases:
        todo.put(c)
    results: Dict[str, Result] = {}
    lock = threading.Lock()

    def worker() -> None:
        client = None
        try:
            while True:
                try:
                    c = todo.get_nowait()
                except queue.Empty:
                    return
                if client is None:
                    client = LspClient(directory)
                r = _lsp_one(client, c, paths[c.id], time_limit, cap_mb)
                if r.crashed or r.unresponsive or r.killed:
                    client.proc.kill()  # a stuck or dead server: the next input gets a fresh one
                    client.proc.wait()
                    client = None
                elif _rss_mb(client.proc.pid) > LSP_RECYCLE_MB:
                    client.close()  # memory kept from this input would be counted against the next
                    client = None
                with lock:
                    results[r.id] = r
                if progress:
                    progress(r)
        finally:
            if client is not None:
                client.close()

    threads = [threading.Thread(target=worker) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ====================================================================== report


def table(cases: List[Case], cli: Dict[str, Result], lsp: Dict[str, Result]) -> str:
    def col(results: Dict[str, Result]):
        rs = list(results.values())
        if not rs:
            return None
        exits = Counter(r.exit for r in rs)
        return {
            "inputs": len(rs),
            "tracebacks": sum(r.traceback for r in rs),
            "internal errors": sum(r.internal_error for r in rs),
            "bad JSON output": sum(r.bad_output for r in rs),
            f"hangs over {HANG_SECONDS:g} s": sum(r.hang for r in rs),
            f"peak memory over {MEMORY_LIMIT_MB:g} MB": sum(r.blowup for r in rs),
            "exit 0 / 1": f"{exits.get(0, 0)} / {exits.get(1, 0)}" if rs[0].front == "cli" else "-",
            "exit 2 / other / killed": (f"{exits.get(2, 0)} / {sum(v for k, v in exits.items() if k not in (0, 1, 2) and k is not None and k > 0)}"
                                        f" / {sum(v for k, v in exits.items() if k is not None and k < 0)}") if rs[0].front == "cli" else "-",
            "server crashed": sum(r.crashed for r in rs) if rs[0].front == "lsp" else "-",
            "server unresponsive": sum(r.unresponsive for r in rs) if rs[0].front == "lsp" else "-",
            "slowest (CPU s)": f"{max(r.cpu for r in rs):.1f}",
            "highest peak (MB)": f"{max(r.peak_mb for r in rs):.0f}",
        }

    cols = [("CLI", col(cli)), ("LSP", col(lsp))]
    cols = [(n, c) for n, c in cols if c]
    if not cols:
        return "nothing was run"
    rows = list(cols[0][1])
    lines = [f"{'':28}" + "".join(f"{n:>14}" for n, _ in cols)]
    for row in rows:
        lines.append(f"{row:28}" + "".join(f"{str(c[row]):>14}" for _n, c in cols))
    kinds = Counter(c.kind.split(":")[0] for c in cases)
    lines.append("")
    lines.append("inputs by family: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return "\n".join(lines)


def failures(results: Iterable[Result]) -> List[str]:
    out = []
    for r in sorted(results, key=lambda r: (r.front, r.id)):
        if r.failed:
            out.append(f"{r.front}  {r.id:58} {r.cpu:6.1f} s CPU {r.peak_mb:7.0f} MB  {r.why()}" + (f"  [{r.detail}]" if r.detail else ""))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=6.0, help="CPU seconds before an input is stopped (a hang is > 5 s)")
    ap.add_argument("--memory-cap", type=float, default=1024.0, help="MB of RSS before an input is stopped")
    ap.add_argument("--only", help="only cases whose id or kind contains this")
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--no-lsp", action="store_true")
    ap.add_argument("--spawn", action="store_true", help="a fresh `python -m shapelint` per input instead of a fork")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--fork-server", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fork_server:
        fork_server()
        return 0
    cases = corpus()
    if args.only:
        cases = [c for c in cases if args.only in c.id or args.only in c.kind]
    if args.list:
        for c in cases:
            print(f"{c.id:64} {c.kind:40} {len(c.data):>10} bytes")
        print(f"{len(cases)} cases")
        return 0
    done = [0]
    total = len(cases) * ((not args.no_cli) + (not args.no_lsp))

    def progress(r: Result) -> None:
        done[0] += 1
        if r.failed:
            print(f"[{done[0]}/{total}] {r.front} {r.id}: {r.why()} ({r.cpu:.1f} s CPU, {r.peak_mb:.0f} MB)", file=sys.stderr, flush=True)
        elif done[0] % 100 == 0:
            print(f"[{done[0]}/{total}]", file=sys.stderr, flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shapelint-hostile-") as d:
        cli = {} if args.no_cli else run_cli(cases, d, args.workers, args.time_limit, args.memory_cap, args.spawn, progress)
        lsp = {} if args.no_lsp else run_lsp(cases, d, args.workers, args.time_limit, args.memory_cap, progress)
    print(table(cases, cli, lsp))
    bad = failures(list(cli.values()) + list(lsp.values()))
    print(f"\n{len(bad)} failing runs" + (":" if bad else "") + f" (total {time.monotonic() - started:.0f} s)")
    for line in bad:
        print("  " + line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([asdict(r) for r in list(cli.values()) + list(lsp.values())], fh, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
