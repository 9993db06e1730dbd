"""Aliasing and mutation as Python has them, each against torch: a `for` over a list reads it by
index as the loop runs (a body that appends is visited too; before, the loop ran over the list
as it was when the loop began), and a body that changes the size of the dict it iterates raises
RuntimeError at the next step. The rest pin what was right already: two names for one list, a
helper that appends to its argument, copies (`list(x)`, `x[:]`, `copy.copy`, `copy.deepcopy`,
`dict(d)`, `d.copy()` shallow), `+=` in place against `x = x + [...]`, class attributes
shared by instances, and the list and dict methods.
"""

import pytest

from python_soundness import compare, raises_and_unstated, width_net

pytestmark = pytest.mark.torch

DECIDED = {
    # was 2: the loop saw only [1]
    "append_while_iterating": width_net("l = [1]\nfor v in l:\n    if len(l) < 4:\n        l.append(v + 1)\nw = len(l)"),
    "append_while_iterating_sum": width_net("l = [1, 1]\ns = 0\nfor v in l:\n    s += v\n    if len(l) < 4:\n        l.append(1)\nw = s"),
    "remove_while_iterating": width_net("l = [1, 2, 3, 4]\nseen = 0\nfor v in l:\n    seen += 1\n    l.remove(v)\nw = seen + 2"),
    "attribute_list_grows": width_net("self.dims = [1]\nfor d in self.dims:\n    if d < 4:\n        self.dims.append(d * 2)\nw = self.dims[-1]"),
    # right before too
    "chained_assignment": width_net("a = b = []\na.append(1)\nb.append(2)\nw = len(a) + 3"),
    "helper_appends": width_net("xs = [1]\nadd(xs)\nadd(xs)\nw = len(xs) + 1", "def add(l):\n    l.append(5)"),
    "helper_rebinds_its_name": width_net("d = {'w': 2}\nset_w(d)\nw = d['w'] + 2", "def set_w(cfg):\n    cfg = {'w': 6}"),
    "helper_writes_dict": width_net("d = {'w': 2}\nset_w(d)\nw = d['w']", "def set_w(cfg):\n    cfg['w'] = 4"),
    "kwargs_are_a_copy": width_net("d = {'w': 4}\nset_w(**d)\nw = d['w']", "def set_w(**cfg):\n    cfg['w'] = 6"),
    "config_copy": width_net("c = CFG.copy()\nc['n'] = 9\nw = CFG['n']", "CFG = {'n': 4}"),
    "config_alias": width_net("c = CFG\nc['n'] = 4\nw = CFG['n']", "CFG = {'n': 3}"),
    "copy_copy_is_shallow": width_net("a = [[1], [2]]\nb = copy.copy(a)\nb[0].append(3)\nw = len(a[0]) + 2"),
    "deepcopy_is_deep": width_net("a = [[1], [2]]\nb = copy.deepcopy(a)\nb[0].append(3)\nw = len(a[0]) + 3"),
    "list_call_copies": width_net("a = [1, 2]\nb = list(a)\nb.append(3)\nw = len(a) + 2"),
    "slice_copies": width_net("a = [1, 2]\nb = a[:]\nb.append(3)\nw = len(a) + 2"),
    "star_copies": width_net("a = [1, 2]\nb = [*a]\nb.append(3)\nw = len(a) + 2"),
    "dict_copy_is_shallow": width_net("d = {'l': [1]}\ne = d.copy()\ne['l'].append(2)\nw = len(d['l']) + 2"),
    "iadd_in_place": width_net("a = [1]\nb = a\nb += [2, 3, 4]\nw = len(a)"),
    "add_rebinds": width_net("a = [1]\nb = a\nb = b + [2, 3]\nw = len(a) + 3"),
    "tuple_iadd_rebinds": width_net("a = (1,)\nb = a\nb += (2, 3)\nw = len(a) + len(b)"),
    "dict_ior_in_place": width_net("d = {'n': 1}\ne = d\ne |= {'n': 4}\nw = d['n']"),
    "dict_or_new": width_net("d = {'n': 1}\ne = d | {'n': 3}\nw = d['n'] + e['n']"),
    "list_times_shares": width_net("g = [[]] * 3\ng[0].append(1)\nw = len(g[2]) + 3"),
    "comprehension_does_not_share": width_net("g = [[] for _ in range(3)]\ng[0].append(1)\nw = len(g[2]) + 4"),
    "class_list_shared": width_net("A().items.append(1)\nA().items.append(2)\nw = len(A.items) + 2", "class A:\n    items = []"),
    "instance_rebinding_shadows": width_net("a = A()\na.items = [1, 2, 3]\nw = len(A.items) + 2", "class A:\n    items = [1, 2]"),
    "held_list_later_append": width_net("cfg = [1, 2]\nself.cfg = cfg\ncfg.append(3)\nw = len(self.cfg) + 1"),
    "list_in_dict_alias": width_net("inner = [1]\nd = {'a': inner}\ninner.append(2)\nw = len(d['a']) + 2"),
    "setdefault": width_net("d = {}\nd.setdefault('a', []).append(3)\nd.setdefault('a', []).append(4)\nw = len(d['a']) + d.setdefault('b', 2)"),
    "update": width_net("d = {'a': 1}\nd.update({'a': 2, 'b': 1})\nd.update(c=1)\nw = d['a'] + d['b'] + d['c']"),
    "pop_default": width_net("d = {'a': 2}\nv = d.pop('b', 1)\nu = d.pop('a')\nw = v + u + len(d) + 1"),
    "list_pop": width_net("l = [1, 2, 3]\nv = l.pop()\nu = l.pop(0)\nw = v + u + len(l) - 1"),
    "del_key": width_net("d = {'a': 2, 'b': 3}\ndel d['a']\nw = len(d) + d['b']"),
    "del_slice": width_net("l = [5, 6, 7, 8]\ndel l[1:3]\nw = l[1] - len(l) - 2"),
    "insert_remove_reverse_sort": width_net("l = [5, 6, 5]\nl.insert(-1, 2)\nl.remove(5)\nl.reverse()\nl.sort()\nw = l[1] + l[0] - 3"),
    "sorted_does_not_change": width_net("l = [4, 6, 1]\nsorted(l)\nw = l[0]"),
    "extend_with_itself": width_net("l = [1, 2]\nl.extend(l)\nw = len(l)"),
    "slice_assignment": width_net("l = [1, 2, 3]\nl[1:] = [7]\nw = len(l) + l[1] - 5"),
    "loop_variable_rebinding": width_net("l = [1, 4]\nfor v in l:\n    v = v * 10\nw = l[1]"),
    "closure_appends": width_net("acc = []\ndef push(v):\n    acc.append(v)\npush(1)\npush(2)\npush(3)\nw = len(acc) + 1"),
}

RAISES = {
    "dict_grows_while_iterating": width_net("d = {'a': 1}\nfor k in d:\n    d[k + 'x'] = 1\nw = 4"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_python_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)


@pytest.mark.parametrize("name", list(RAISES))
def test_where_python_raises_nothing_is_stated(name):
    raises_and_unstated(RAISES[name])
