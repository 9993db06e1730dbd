"""Values fixed where Python fixes them, each against torch: a parameter default is evaluated
once, where `def` runs (a module-level function's and a method's too: before, the engine
evaluated them again at each call, from the module's final names, so `N = 1; def f(n=N)` then
`N = 4` gave 4, and a mutable default was a new list at every call), a class body runs where
the class statement is (`k = N` keeps the N of that moment; a later attribute reads the
earlier ones, `d_head = d_model // n_heads`; a comprehension of the body does not see the
class's names), and each model is checked as if its file had just run: what building one model
changed in the file's shared state (a default list it appended to, a module-level list, a
class attribute) is put back before the next, as torch builds only the model it is given.
"""

import pytest

from python_soundness import compare, module_net, width_net

pytestmark = pytest.mark.torch

STACK = '''
class Stack(nn.Module):
    def __init__(self, widths=[4]):
        super().__init__()
        widths.append(widths[-1])
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''

REGISTRY = '''
BUILT = []


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        BUILT.append(1)
        self.fc = nn.Linear(4, 3 + len(BUILT))

    def forward(self, x):
        return self.fc(x)
'''

COUNTER = '''
COUNT = 0


class Blk(nn.Module):
    def __init__(self):
        super().__init__()
        global COUNT
        COUNT += 1
        self.fc = nn.Linear(4, 4) if COUNT == 1 else nn.Identity()

    def forward(self, x):
        return self.fc(x)
'''

DECIDED = {
    # a module-level def: its default is N's value where def ran (was 4: the final N)
    "function_default_then_rebound": width_net("w = get()", "N = 1\ndef get(n=N):\n    return n\nN = 4"),
    "function_default_before_rebound": width_net("w = get()", "N = 4\ndef get(n=N):\n    return n\nN = 1"),
    # one list for every call (was 1: a new list each call)
    "function_mutable_default": width_net("f()\nf()\nw = len(f())", "def f(acc=[]):\n    acc.append(1)\n    return acc"),
    "function_dict_default": width_net("g('a')\ng('b')\nw = len(g('c'))", "def g(k, d={}):\n    d[k] = 1\n    return d"),
    "default_evaluated_once": width_net("w = f() + f()", "C = [0]\ndef tick():\n    C[0] += 1\n    return C[0]\n"
                                        "def f(v=tick()):\n    return v * 2"),  # tick ran once: 2 + 2 (was 6)
    "method_mutable_default": width_net("a = C()\nb = C()\nw = len(b.l) + 3",
                                        "class C:\n    def __init__(self, l=[]):\n        l.append(1)\n        self.l = l"),
    "method_dict_default": width_net("C()\nw = C().d['n'] + 2",
                                     "class C:\n    def __init__(self, d={}):\n        d['n'] = d.get('n', 0) + 1\n        self.d = d"),
    "method_default_class_attribute": width_net("w = C().f()", "class C:\n    N = 4\n    def f(self, n=N):\n        return n"),
    "method_default_shadows_global": width_net("w = C().f()", "N = 2\nclass C:\n    N = 4\n    def f(self, n=N):\n        return n"),
    "method_default_then_rebound": width_net("w = C().f()", "N = 4\nclass C:\n    def f(self, n=N):\n        return n\nN = 2"),
    # the class body ran when the class statement did (was 1)
    "class_attribute_then_rebound": width_net("w = C.k", "N = 4\nclass C:\n    k = N\nN = 1"),
    "class_attribute_on_instance": width_net("w = C().k", "N = 4\nclass C:\n    k = N\nN = 1"),
    "class_attribute_of_attributes": width_net("w = C.d_head", "class C:\n    d_model = 16\n    n_heads = 4\n    d_head = d_model // n_heads"),
    "class_attribute_shadows_global": width_net("w = C.k", "n = 2\nclass C:\n    n = 4\n    k = n"),  # was 2
    "class_comprehension_reads_global": width_net("w = C.sizes[0]", "n = 4\nclass C:\n    n = 3\n    sizes = [n for i in range(2)]"),
    "class_comprehension_first_iterable": width_net("w = len(C.sizes)", "class C:\n    n = 4\n    sizes = [i for i in range(n)]"),
    "dataclass_default_then_rebound": width_net("w = Cfg().n", "from dataclasses import dataclass\nN = 4\n@dataclass\n"
                                                "class Cfg:\n    n: int = N\nN = 1"),
    # Stack is built alone by shapelint too: Net's Stacks see the default as the file left it (was 100 parameters)
    "shared_default_per_model": module_net("self.a = Stack()\nself.b = Stack()", "return self.b(self.a(x))", STACK),
    "module_list_per_model": module_net("self.a = Block()", "return self.a(x)", REGISTRY),  # was [2, 5]
    "global_counter_per_model": module_net("self.a = Blk()\nself.b = Blk()", "return self.b(self.a(x))", COUNTER),  # was 0 parameters
    # right before too
    "immutable_default": width_net("f()\nw = f()", "def f(n=3):\n    n += 1\n    return n"),
    "tuple_default": width_net("w = f()[1]", "def f(t=(1, 4)):\n    return t"),
    "lambda_default": width_net("w = g()", "N = 4\ng = lambda n=N: n\nN = 1"),
    "nested_def_default": width_net("w = outer()", "def outer():\n    def f(acc=[]):\n        acc.append(1)\n        return acc\n"
                                    "    f()\n    return len(f()) + 2"),
    "later_class_attribute": width_net("w = C.k", "n = 4\nclass C:\n    k = n\n    n = 2"),
    "function_reads_final_global": width_net("w = get()", "N = 1\ndef get():\n    return N\nN = 4"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_python_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)
