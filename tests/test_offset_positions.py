"""The lazy position resolver agrees with libcst's own PositionProvider on every node."""

import glob
import os

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from shapelint.core.positions import position_resolver
from shapelint.core.rules import REGISTRY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRICKY = (
    "# -*- coding: utf-8 -*-\r\n"
    "import torch.nn as nn\r\n"
    "\r\n"
    "class Né(nn.Module):  # é\r\n"
    "\tdef f(self, x):\r\n"
    "\t\treturn ((x.view(-1,\r\n"
    "\t\t               'ü' + \"\"\"a\nb\"\"\")))  # c\r\n"
    "\r\n"
    "@dec\n"
    "class B: pass\n"
    "x = [1,\r 2]\n"
    "if x: y = 1; z = 2\n"
)


def sources():
    out = [("tricky", TRICKY)]
    for path in sorted(glob.glob(os.path.join(ROOT, "shapelint", "*.py"))) + sorted(glob.glob(os.path.join(ROOT, "examples", "*.py"))):
        with open(path, encoding="utf-8") as fh:
            out.append((os.path.basename(path), fh.read()))
    for code, rule in sorted(REGISTRY.items()):
        out += [(f"{code}-invalid-{i}", s) for i, s in enumerate(rule.INVALID)]
    return out


@pytest.mark.parametrize("name,src", sources(), ids=[n for n, _ in sources()])
def test_positions_match_libcst_position_provider(name, src):
    module = cst.parse_module(src)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    position_of = position_resolver(module)
    assert expected
    for node, r in expected.items():
        want = (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)
        assert position_of(node) == want, (type(node).__name__, want, position_of(node))
