"""engine/cstwalk.py: a remembered walk is the plain walk, node for node, in the same order,
whichever node is walked first (a descendant before its ancestor, a list of statements)."""

import glob
import os

import libcst as cst
import pytest

from shapelint.engine import cstwalk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "architectures", "*.py")))[:6]


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_a_remembered_walk_equals_the_plain_walk_from_every_node(path):
    with open(path, encoding="utf-8") as f:
        module = cst.parse_module(f.read())
    nodes = list(cstwalk.walk(module))
    plain = {id(n): [id(x) for x in cstwalk.walk(n)] for n in nodes}
    with cstwalk.remembered():
        # descendants first (the deepest last in walk order), then their ancestors, twice
        for n in reversed(nodes):
            assert [id(x) for x in cstwalk.walk(n)] == plain[id(n)]
        for n in nodes:
            assert [id(x) for x in cstwalk.walk(n)] == plain[id(n)]
        body = list(module.body)
        assert [id(x) for x in cstwalk.walk(body)] == [i for s in body for i in plain[id(s)]]
    assert [id(x) for x in cstwalk.walk(module)] == plain[id(module)]  # outside the block: plain again


def test_a_walk_is_remembered_only_inside_the_block():
    module = cst.parse_module("class A:\n    def f(self):\n        return self.x + 1\n")
    seen = []
    real = cstwalk.children

    def counting(node):
        seen.append(node)
        return real(node)

    cstwalk.children = counting
    try:
        with cstwalk.remembered():
            list(cstwalk.walk(module))
            first = len(seen)
            list(cstwalk.walk(module.body[0]))  # a class under a walked module: no new visit
            assert len(seen) == first
        list(cstwalk.walk(module))
        assert len(seen) == 2 * first
    finally:
        cstwalk.children = real
