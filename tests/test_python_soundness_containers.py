"""torch's containers as torch defines them, each against torch: ModuleList/Sequential.pop(key)
return the module and renumber the rest (before, pop was not followed and the container kept
it: a false alarm on the next layer), ModuleDict.pop/update/clear change the dict (before,
update and clear were not followed: the old entries stayed, a wrong width and parameter
count), Sequential.insert counts a negative index from the end and ModuleList.insert raises
for one (torch reads the key '-1'), and a changing method shapelint cannot follow leaves the
container unknown, never as it was. `copy.deepcopy` of a module is a new tree with its own
parameters (the `clones(layer, N)` of transformer code; before, unknown), sharing inside the
copy what the original shares. A container changed on one way of a branch shapelint cannot
decide is unknown after it, unless every way changed it alike (before, append and del stayed
on every way).
"""

import pytest

from python_soundness import compare, module_net, raises_and_unstated

pytestmark = pytest.mark.torch

LAYERS = "self.layers = nn.ModuleList([nn.Linear(4, 5), nn.Linear(5, 6), nn.Linear(6, 7)])"
LOOP = "for layer in self.layers:\n    x = layer(x)\nreturn x"
DICT_LOOP = "for m in self.d.values():\n    x = m(x)\nreturn x"

DECIDED = {
    # was an error: layers[1] still the Linear(5, 6)
    "modulelist_pop": module_net(LAYERS + "\nself.layers.pop(1)", "x = self.layers[0](x)\nreturn self.layers[1](torch.zeros(2, 6))"),
    "modulelist_pop_returns_it": module_net(LAYERS + "\nself.first = self.layers.pop(0)", "x = self.first(x)\n" + LOOP),
    "modulelist_pop_then_len": module_net(LAYERS + "\nself.layers.pop(0)\nself.fc = nn.Linear(4, len(self.layers))", "return self.fc(x)"),
    "sequential_pop": module_net("self.f = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 6))\nself.f.pop(1)", "return self.f(x)"),
    "moduledict_pop": module_net("self.d = nn.ModuleDict({'b': nn.Linear(4, 3), 'a': nn.Linear(3, 2)})\nself.d.pop('b')",
                                 "return self.d['a'](torch.zeros(2, 3))"),  # was 23 parameters
    "moduledict_update": module_net("self.d = nn.ModuleDict({'a': nn.Linear(4, 3)})\n"
                                    "self.d.update({'b': nn.Linear(3, 2), 'a': nn.Linear(4, 3)})", DICT_LOOP),
    "moduledict_update_pairs": module_net("self.d = nn.ModuleDict()\nself.d.update([('b', nn.Linear(4, 3)), ('a', nn.Linear(3, 2))])",
                                          DICT_LOOP),
    "moduledict_clear": module_net("self.d = nn.ModuleDict({'a': nn.Linear(4, 3)})\nself.d.clear()\n"
                                   "self.fc = nn.Linear(4, 2 + len(self.d))", "return self.fc(x)"),
    "sequential_insert": module_net("self.f = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 6))\nself.f.insert(1, nn.ReLU())", "return self.f(x)"),
    # Sequential counts -1 from the end (was a false alarm: Python's list.insert of a ModuleList)
    "sequential_insert_negative": module_net("self.f = nn.Sequential(nn.Linear(4, 5), nn.Linear(6, 7))\n"
                                             "self.f.insert(-1, nn.Linear(5, 6))", "return self.f(x)"),
    # right before too
    "modulelist_insert": module_net(LAYERS + "\nself.layers.insert(0, nn.Linear(3, 4))", LOOP, inp="(2, 3)"),
    "modulelist_extend": module_net(LAYERS + "\nself.layers.extend([nn.Linear(7, 2)])", LOOP),
    "modulelist_slice": module_net(LAYERS, "for layer in self.layers[1:]:\n    x = layer(x)\nreturn x", inp="(2, 5)"),
    "modulelist_del": module_net(LAYERS + "\ndel self.layers[0]", LOOP, inp="(2, 5)"),
    "modulelist_setitem": module_net(LAYERS + "\nself.layers[0] = nn.Linear(4, 5, bias=False)", LOOP),
    "sequential_slice_shares": module_net("self.f = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 6))\n"
                                          "self.head = self.f[:2]", "return self.head(x)"),
    "moduledict_order": module_net("self.d = nn.ModuleDict({'b': nn.Linear(4, 3)})\nself.d['a'] = nn.Linear(3, 2)\n"
                                   "self.d['b'] = nn.Linear(4, 3)", DICT_LOOP),
    "children_order_after_reassign": module_net("self.a = nn.Linear(4, 3)\nself.b = nn.Linear(3, 2)\nself.a = nn.Linear(4, 3)",
                                                "for m in self.children():\n    x = m(x)\nreturn x"),
    "children_after_delete": module_net("self.a = nn.Linear(3, 2)\nself.b = nn.Linear(4, 3)\ndel self.a\nself.a = nn.Linear(3, 2)",
                                        "for m in self.children():\n    x = m(x)\nreturn x"),
    "replaced_by_identity": module_net("self.a = nn.Linear(4, 4)\nself.fc = nn.Linear(4, 3)\nself.fc = nn.Identity()",
                                       "return self.fc(self.a(x))"),
    "shared_module": module_net("base = nn.Linear(4, 4)\nself.a = base\nself.b = base", "return self.b(self.a(x))"),
    "repeated_in_list": module_net("self.l = nn.ModuleList([nn.Linear(4, 4)] * 3)", "for m in self.l:\n    x = m(x)\nreturn x"),
}

BLOCK = '''
class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.scale = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.fc(x) * self.scale


def clones(module, n):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])
'''

# copy.deepcopy of a module: new parameters per copy, what the original shares shared (before: unknown)
COPIES = {
    "deepcopy_has_its_own_parameters": module_net("base = nn.Linear(4, 4)\nself.a = base\nself.b = copy.deepcopy(base)",
                                                  "return self.b(self.a(x))"),
    "clones_helper": module_net("self.blocks = clones(Block(4), 3)", "for b in self.blocks:\n    x = b(x)\nreturn x", BLOCK),
    "deepcopy_keeps_tying": module_net("enc = nn.Embedding(10, 4)\nhead = nn.Linear(4, 10, bias=False)\nhead.weight = enc.weight\n"
                                       "pair = nn.ModuleList([enc, head])\nself.p = copy.deepcopy(pair)\nself.q = pair",
                                       "return self.p[1](self.q[1](x)[:, :4])"),
    "deepcopy_keeps_sharing": module_net("l = nn.Linear(4, 4)\nself.p = copy.deepcopy([l, l])\nself.a = self.p[0]\nself.b = self.p[1]",
                                         "return self.b(self.a(x))"),
    "deepcopy_then_change_original": module_net("base = nn.Sequential(nn.Linear(4, 4))\nc = copy.deepcopy(base)\n"
                                                "base.append(nn.Linear(4, 2))\nself.a = base\nself.c = c",
                                                "return self.c(self.a(x).repeat(1, 2))"),
}
DECIDED.update(COPIES)

# a change under a branch shapelint cannot decide (FLAG comes from the environment): before, the
# container kept the change on both ways (append, del: a wrong width where torch ran without it)
FLAG = "import os\nFLAG = os.environ.get('SHAPELINT_TEST_UNSET_FLAG') == '1'"
UNDECIDED = {
    "append_on_one_way": module_net(LAYERS + "\nif FLAG:\n    self.layers.append(nn.Linear(7, 2))", LOOP, FLAG),
    "del_on_one_way": module_net(LAYERS + "\nif FLAG:\n    del self.layers[2]", LOOP, FLAG),
    "pop_on_one_way": module_net(LAYERS + "\nif FLAG:\n    self.layers.pop(2)", LOOP, FLAG),
    "setitem_on_one_way": module_net(LAYERS + "\nif FLAG:\n    self.layers[2] = nn.Linear(6, 3)", LOOP, FLAG),
    "update_on_one_way": module_net("self.d = nn.ModuleDict({'a': nn.Linear(4, 3)})\nif FLAG:\n    self.d.update({'b': nn.Linear(3, 2)})",
                                    DICT_LOOP, FLAG),
    "insert_on_one_way": module_net("self.f = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 6))\nif FLAG:\n    self.f.insert(2, nn.Linear(6, 2))",
                                    "return self.f(x)", FLAG),
}

RAISES = {
    "modulelist_insert_negative": module_net(LAYERS + "\nself.layers.insert(-1, nn.Linear(6, 6))", LOOP),  # KeyError: '-1'
    "moduledict_pop_missing": module_net("self.d = nn.ModuleDict({'a': nn.Linear(4, 3)})\nself.d.pop('z')", "return self.d['a'](x)"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_torch_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)


@pytest.mark.parametrize("name", list(UNDECIDED))
def test_a_change_on_one_undecided_way_is_not_stated_as_certain(name):
    compare(UNDECIDED[name])


@pytest.mark.parametrize("name", list(RAISES))
def test_where_torch_raises_nothing_is_stated(name):
    raises_and_unstated(RAISES[name])
