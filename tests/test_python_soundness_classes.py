"""Classes as Python defines them, each against torch: the method resolution order is C3 (a
diamond's shared base comes after both of its subclasses; before, the engine walked the bases
depth first, so `class C(A, B)` over `A(Base)`, `B(Base)` ran Base's method before B's and a
cooperative `super().__init__()` chain skipped B), `super(Cls, obj)` looks past Cls (before, the
calling method's class), and an object's truth is its class's: torch's containers are false
when empty (their __len__), a class with its own __bool__ or __len__ is undecided (before,
every module and object was true). The user's class decorators run on the class (a registry's
`@register("net")` keeps it; `@bump` setting an attribute is seen), a base's `__init_subclass__`
runs with the class keywords, a class with its own `__getattribute__` has unknown attributes,
and a class attribute the body rebinds other than by a plain assignment (`k *= 2`, in a loop or
a branch) is unknown (before, the first `k = ...` was read).
"""

import pytest

from python_soundness import compare, module_net, width_net

pytestmark = pytest.mark.torch

DIAMOND = '''
class Base:
    def width(self):
        return [1]


class A(Base):
    def width(self):
        return super().width() + [2]


class B(Base):
    def width(self):
        return super().width() + [3]


class C(A, B):
    def width(self):
        return super().width() + [4]


class D(C):
    def width(self):
        return super(C, self).width()
'''

COOPERATIVE = '''
class Base:
    def __init__(self):
        self.w = 1


class Plus(Base):
    def __init__(self):
        super().__init__()
        self.w += 2


class Times(Base):
    def __init__(self):
        super().__init__()
        self.w *= 3


class Both(Plus, Times):
    pass
'''

MODULE_DIAMOND = '''
class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.dims = [4]


class Wide(Base):
    def __init__(self):
        super().__init__()
        self.dims.append(8)


class Deep(Base):
    def __init__(self):
        super().__init__()
        self.dims.append(6)


class Both(Wide, Deep):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, self.dims[1])

    def forward(self, x):
        return self.fc(x)
'''

FORWARD_CHAIN = '''
class Crop3(nn.Module):
    def forward(self, x):
        return super().forward(x)[:, :3]


class Core(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        return self.fc(x)


class Crop5(Core):
    def forward(self, x):
        return super().forward(x)[:, :5]
'''

# decided before and after: the order is C3's (fails on the depth-first engine where marked)
DECIDED = {
    "diamond_length": width_net("w = len(C().width()) + C().width()[1]", DIAMOND),  # was 5, Python 7
    "diamond_order": width_net("w = C().width()[2]", DIAMOND),  # was 4, Python 2
    "explicit_super": width_net("w = D().width()[-1]", DIAMOND),  # was 4, Python 2
    "diamond_attribute": width_net("w = D().k", "class Z:\n    k = 1\nclass A(Z):\n    pass\nclass B(Z):\n    k = 3\nclass D(A, B):\n    pass"),
    "cooperative_init": width_net("w = Both().w", COOPERATIVE),  # was 3, Python (1 * 3) + 2
    "module_diamond": module_net("self.m = Both()", "return self.m(x)", MODULE_DIAMOND),  # was 8, Python 6
    "empty_modulelist_is_false": width_net("self.extra = nn.ModuleList()\nw = 2 if self.extra else 4"),  # was 2
    "empty_sequential_is_false": width_net("self.extra = nn.Sequential()\nw = 2 if self.extra else 4"),
    "empty_sequential_or": module_net("self.extra = nn.Sequential()\nself.fc = nn.Linear(4, 3)\nself.head = self.extra or self.fc",
                                      "return self.head(x)"),  # was [2, 4]: the empty Sequential passed x through
    "empty_sequential_subclass": width_net("self.extra = S()\nw = 2 if self.extra else 4", "class S(nn.Sequential):\n    pass"),
    "empty_moduledict_not": width_net("self.d = nn.ModuleDict()\nw = 4 if not self.d else 2"),
    # right before too
    "full_modulelist_is_true": width_net("self.extra = nn.ModuleList([nn.ReLU()])\nw = 4 if self.extra else 2"),
    "layer_is_true": width_net("self.a = nn.ReLU()\nw = 4 if self.a else 2"),
    "object_is_true": width_net("w = 4 if C() else 2", "class C:\n    pass"),
    "object_base_is_true": width_net("w = 4 if C() else 2", "class C(object):\n    pass"),
    "forward_chain": module_net("self.m = Net2()", "return self.m(x)", FORWARD_CHAIN + "\n\nclass Net2(Crop3, Crop5):\n    pass"),
    "mro_first_base_attribute": width_net("w = C().k", "class A:\n    k = 4\nclass B:\n    k = 3\nclass C(A, B):\n    pass"),
    "class_attr_override": width_net("w = Sub().width()", "class Base:\n    W = 1\n    def width(self):\n        return self.W * 2\nclass Sub(Base):\n    W = 2"),
    "classmethod_subclass": width_net("w = Sub.make().k", "class Cfg:\n    k = 2\n    @classmethod\n    def make(cls):\n        return cls()\nclass Sub(Cfg):\n    k = 4"),
    "super_own_class": width_net("w = Sub().get()", "class Base:\n    def get(self):\n        return 2\nclass Sub(Base):\n    def get(self):\n        return super(Sub, self).get() * 2"),
}

REGISTRY = '''
MODELS = {}


def register(name):
    def add(cls):
        MODELS[name] = cls
        return cls
    return add


@register("net")
class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
'''

DECORATED = {
    # the user's class decorator runs (before, it was skipped: C.n stayed 2, the replaced name stayed the class)
    "class_decorator_sets_attribute": width_net("w = C.n", "def bump(c):\n    c.n = 4\n    return c\n@bump\nclass C:\n    n = 2"),
    "class_decorator_replaces": width_net("w = C", "def four(c):\n    return 4\n@four\nclass C:\n    n = 2"),
    # a base's __init_subclass__ runs with the class keywords (before, not run: k stayed 1)
    "init_subclass": width_net("w = Sub.k", "class Base:\n    k = 1\n    def __init_subclass__(cls, k=2, **kw):\n"
                                          "        super().__init_subclass__(**kw)\n        cls.k = k\nclass Sub(Base, k=4):\n    pass"),
    "init_subclass_default": width_net("w = Sub.k + 2", "class Base:\n    def __init_subclass__(cls, k=2):\n        cls.k = k\n"
                                                  "class Sub(Base):\n    pass"),
    # right before too
    "registry_decorator": module_net("self.m = MODELS['net']()", "return self.m(x)", REGISTRY),
    "passthrough_decorator": width_net("w = C().n", "def register(c):\n    return c\n@register\nclass C:\n    n = 4"),
}
DECIDED.update(DECORATED)

# Python decides them; shapelint need not, but may never state another value
UNDECIDED_OR_RIGHT = {
    "own_bool": width_net("w = 4 if not C() else 2", "class C:\n    def __bool__(self):\n        return False"),  # was 2
    "own_len": width_net("w = 4 if not C() else 2", "class C:\n    def __len__(self):\n        return 0"),  # was 2
    "own_getattribute": width_net("w = C().n", "class C:\n    n = 2\n    def __getattribute__(self, name):\n        return 4"),  # was 2
    # the body rebinds k after `k = ...` (was the first value: 0 and 2)
    "class_body_loop": width_net("w = C.k", "class C:\n    k = 0\n    for i in range(4):\n        k += 1"),
    "class_body_augmented": width_net("w = C.k", "class C:\n    k = 2\n    k *= 2"),
    "class_body_branch": width_net("w = C.k", "FLAG = True\nclass C:\n    k = 2\n    if FLAG:\n        k = 4"),
    "list_subclass": width_net("w = 4 if not Stack() else 2", "class Stack(list):\n    pass"),  # was 2: an empty list is false
    "own_len_in_base": width_net("w = 4 if not D() else 2", "class C:\n    def __len__(self):\n        return 0\nclass D(C):\n    pass"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_python_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)


@pytest.mark.parametrize("name", list(UNDECIDED_OR_RIGHT))
def test_what_shapelint_states_is_what_python_computes(name):
    compare(UNDECIDED_OR_RIGHT[name])
