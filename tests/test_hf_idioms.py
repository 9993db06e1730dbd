"""Python and torch semantics behind Hugging Face-style model code (branch s29-hf), each against
real torch: the static output equals torch's, stays unknown where the case says so, and an error
is reported exactly where torch raises.

- `obj[k]` on an instance of the user's class runs the class's own `__getitem__` (output
  dataclasses indexed as `outputs[0]`), as Python looks it up on the type;
- argmax / argmin give int64 positions, and max / min along a dim int64 indices, whatever the
  input's dtype, so they index (CLIP's eos pooling: `hidden[torch.arange(B), ids.argmax(-1)]`);
- torch.tensor(a float of unknown value), `torch.tensor(torch.finfo(x.dtype).min)`, is 0-d;
- None among index tensors (Mixtral's `hidden[None, top_x]`) is a new dim of size 1 taken by a full slice;
- an instance of the user's dict / OrderedDict subclass (ACT2FN's ClassInstantier) is a dict with its class's methods;
- torch.broadcast_to(x, size) is x.expand(size);
- decorators that are the user's own functions (or factories) run on methods and functions, then bind;
- dataclasses.fields(x) gives each field's name (an output's `to_tuple`);
- a declared batch that meets its own number in view / expand sizes is that number.
"""

from typing import NamedTuple

import pytest

from shapelint.engine.check import check_source

pytestmark = pytest.mark.torch

HEAD = ("from dataclasses import dataclass\nfrom typing import Optional\nimport torch\nimport torch.nn as nn\n"
        "import torch.nn.functional as F\n")


class Case(NamedTuple):
    body: str  # module-level code defining `class M(nn.Module):  # shapelint: ...` (DECISIONS.md syntax)
    unknown: bool = False  # torch runs; shapelint must say unknown (and report nothing)


OUTPUT_CLASSES = '''
@dataclass
class Out:
    last: torch.Tensor
    extra: Optional[torch.Tensor] = None

    def __getitem__(self, index):
        return (self.last, self.extra)[index]


class Plain:
    def __init__(self, *items):
        self.items = list(items)

    def __getitem__(self, index):
        return self.items[index]
'''


def _model(decl: str, forward: str, init: str = "") -> str:
    return (OUTPUT_CLASSES + f"\n\nclass M(nn.Module):  # shapelint: {decl}\n"
            f"    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 6)\n{init}"
            f"\n    def forward(self, x, i=0):\n{forward}")


CASES = [
    # the class's own __getitem__ runs: a dataclass output read as outputs[0], a plain holder
    Case(_model("x=(2, 4)", "        return self.fc(Out(last=x)[0])\n")),
    Case(_model("x=(2, 4)", "        return Out(x, self.fc(x))[-1]\n")),
    Case(_model("x=(3, 4)", "        return Plain(x, self.fc(x))[1:][0]\n")),
    Case(_model("x=(3, 4)", "        return self.fc(Plain(x)[0])\n")),
    # a key the engine does not know: the item is unknown, never the first one guessed
    Case(_model("x=(3, 4)", "        return Plain(self.fc(x), x)[len(str(x.dtype)) % 2]\n"), unknown=True),
    # the __getitem__ itself indexes out of range: torch (Python) raises, so no shape is given
    Case(_model("x=(3, 4), i=(1,):long", "        return self.fc(Out(x)[1] + i)\n"), unknown=True),
    # argmax / argmin / max(dim).indices are int64 whatever the input's dtype: they index
    Case(_model("x=(3, 11, 4), ids=(3, 11):long",
                "        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)]\n").replace("x, i=0", "x, ids")),
    Case(_model("x=(3, 11, 4)", "        return x[torch.arange(3), x.sum(-1).argmin(-1)]\n")),
    Case(_model("x=(3, 11, 4)", "        return x[:, x[0, :, 0].argmax()]\n")),
    Case(_model("x=(3, 11, 4)", "        return x[torch.arange(3), x.max(dim=1).indices[:, 0]]\n")),
    Case(_model("x=(3, 11, 4)", "        return x[x[:, :, 0].argmax(dim=0, keepdim=True)]\n")),
    # torch.tensor of a float whose value is unknown (HF's mask value) is a 0-d tensor
    Case(_model("x=(2, 5, 5)", "        return torch.where(x > 0, x, torch.tensor(torch.finfo(x.dtype).min, dtype=x.dtype))\n")),
    Case(_model("x=(2, 5)", "        return x + torch.tensor(torch.finfo(x.dtype).min)\n")),
    Case(_model("x=(2, 5)", "        return torch.tensor([torch.finfo(x.dtype).min, 0.0]) + x[:, :2]\n")),
    # data of unknown kind (a value the engine cannot read): no shape
    Case(_model("x=(2, 5)", "        return torch.tensor(x.tolist()) + x\n"), unknown=True),
]


def _torch_output(source: str):
    from torch_oracle import declared_targets, run_declared

    out = run_declared(source, "M", declared_targets(source)["M"])
    return None if out.verdict == "crash" else out.outputs[0]


def _static(source: str):
    result = check_source("m.py", source, explain=True)
    (model,) = [m for m in result.models if m.name == "M"]
    return model.output, [f for f in result.findings if f.severity == "error"]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_construct_matches_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    assert errors == [], [(f.code, f.message) for f in errors]
    if expected is None:
        assert case.unknown and output is None, f"torch raises; shapelint gives {output}"
        return
    if not case.unknown:
        assert output == expected
    else:
        assert output is None or any(not isinstance(d, int) for d in output), (output, expected)


def _expression(expr: str, decl: str) -> str:
    import re

    names = re.findall(r"(\w+)\s*=\s*\(", decl)
    return f"\n\nclass M(nn.Module):  # shapelint: {decl}\n    def forward(self, {', '.join(names)}):\n        return {expr}\n"


XIJ = "x=(5, 6, 7), i=(3,):long, j=(3,):long"
# None among index tensors is a new dim of size 1 taken by a full slice: x[None, i] is x.unsqueeze(0)[:, i]
NONE_WITH_TENSORS = [
    Case(_expression("x[None, i]", XIJ)),
    Case(_expression("x[None, i].reshape(-1, 7)", XIJ)),
    Case(_expression("x[i, None, j]", XIJ)),  # the None parts the index tensors: their dims go first
    Case(_expression("x[i, j, None]", XIJ)),
    Case(_expression("x[0, None, i]", XIJ)),  # the int is applied first, as a select
    Case(_expression("x[None, 0, i]", XIJ)),
    Case(_expression("x[:, None, i, None]", XIJ)),
    Case(_expression("x[..., None, i]", XIJ)),
    Case(_expression("x[i, ..., None]", XIJ)),
    Case(_expression("x[None, i, None, j]", XIJ)),
    Case(_expression("x[None, x[:, 0, 0] > 0]", XIJ), unknown=True),  # a mask: how many rows depends on the values
    Case(_expression("x[None, i, j, 0, 1]", XIJ)),  # too many indices: torch raises
]


@pytest.mark.parametrize("case", NONE_WITH_TENSORS, ids=[c.body.split("return ")[1].strip() for c in NONE_WITH_TENSORS])
def test_none_among_index_tensors_matches_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    if expected is None:
        assert errors or output is None, f"torch raises; shapelint gives {output}"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    if not case.unknown:
        assert output == expected
    else:
        assert output is None or (len(output) == len(expected) and any(not isinstance(d, int) for d in output))


INSTANTIATOR = '''
from collections import OrderedDict


class ClassInstantier(OrderedDict):
    def __getitem__(self, key):
        content = super().__getitem__(key)
        cls, kwargs = content if isinstance(content, tuple) else (content, {})
        return cls(**kwargs)


class Widths(dict):
    def doubled(self, key):
        return 2 * self[key]


class Counted(dict):
    def __setitem__(self, key, value):
        super().__setitem__(key, value + 1)


ACT2FN = ClassInstantier({"gelu": nn.GELU, "tanh_gelu": (nn.GELU, {"approximate": "tanh"}), "pool": (nn.AdaptiveAvgPool1d, {"output_size": 3})})
'''


def _mapping_model(decl: str, init: str, forward: str) -> str:
    return (INSTANTIATOR + f"\n\nclass M(nn.Module):  # shapelint: {decl}\n    def __init__(self):\n        super().__init__()\n"
            f"{init}\n    def forward(self, x):\n{forward}")


# a subclass of dict / OrderedDict: dict's constructor and items, the class's own methods and __getitem__
MAPPING_SUBCLASSES = [
    Case(_mapping_model("x=(2, 4, 6)", "        self.act = ACT2FN['pool']\n", "        return self.act(x)\n")),
    Case(_mapping_model("x=(2, 4, 6)", "        self.act = ACT2FN['tanh_gelu']\n        self.fc = nn.Linear(6, 5)\n",
                        "        return self.fc(self.act(x))\n")),
    Case(_mapping_model("x=(2, 4, 6)", "        w = Widths(hidden=6, out=7)\n        self.fc = nn.Linear(w['hidden'], w.doubled('out'))\n",
                        "        return self.fc(x)\n")),
    Case(_mapping_model("x=(2, 4, 6)", "        w = Widths([('hidden', 6)])\n        self.fc = nn.Linear(w.get('hidden'), len(w) + 2)\n",
                        "        return self.fc(x)\n")),
    # what the engine does not follow stays unknown: a __setitem__ of the class's own, a copy (its
    # class depends on the base)
    Case(_mapping_model("x=(2, 4, 6)", "        w = Counted()\n        w['out'] = 3\n        self.fc = nn.Linear(6, w['out'])\n",
                        "        return self.fc(x)\n"), unknown=True),
    Case(_mapping_model("x=(2, 4, 6)", "        w = Widths(out=3).copy()\n        self.fc = nn.Linear(6, w['out'])\n",
                        "        return self.fc(x)\n"), unknown=True),
    Case(_mapping_model("x=(2, 4, 6)", "        self.act = ACT2FN.get('relu', nn.Identity)()\n        self.fc = nn.Linear(6, 4)\n",
                        "        return self.fc(self.act(x))\n")),
]


@pytest.mark.parametrize("case", MAPPING_SUBCLASSES, ids=[str(i) for i in range(len(MAPPING_SUBCLASSES))])
def test_mapping_subclass_matches_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    assert expected is not None
    assert errors == [], [(f.code, f.message) for f in errors]
    if not case.unknown:
        assert output == expected
    else:
        assert output is None or any(not isinstance(d, int) for d in output), (output, expected)


def test_mapping_subclass_with_class_body_aliases_stays_unknown():
    """`get = dict.pop` / `__getattr__ = dict.get` in the class body change lookups: not followed
    (a plain dict's `get` would leave the item, so `len(w)` would be 1, not torch's 0)."""
    body = (INSTANTIATOR + "\n\nclass Aliased(dict):\n    get = dict.pop\n\n\nclass Attr(dict):\n    __getattr__ = dict.get\n"
            "\n\nclass M(nn.Module):  # shapelint: x=(2, 4, 6)\n    def __init__(self):\n        super().__init__()\n"
            "        w = Aliased(out=3)\n        self.fc = nn.Linear(6, w.get('out') + len(w))\n        self.fc2 = nn.Linear(6, Attr(out=3).out)\n"
            "\n    def forward(self, x):\n        return self.fc(x) + self.fc2(x)\n")
    source = HEAD + body
    assert _torch_output(source) == [2, 4, 3]
    output, errors = _static(source)
    assert errors == [] and (output is None or any(not isinstance(d, int) for d in output)), output


# torch.broadcast_to(x, size) / x.broadcast_to(size) is x.expand(size) (Falcon's shared key and value)
BROADCAST_TO = [
    Case(_expression("torch.broadcast_to(x, (2, 3, 4))", "x=(3, 1)")),
    Case(_expression("torch.broadcast_to(x, (-1, 4))", "x=(3, 1)")),
    Case(_expression("x.broadcast_to((5, 3, 4))", "x=(3, 1)")),
    Case(_expression("torch.broadcast_to(k, q.shape).flatten(2, 3)", "q=(2, 5, 2, 4, 8), k=(2, 5, 2, 1, 8)")),
    Case(_expression("x[torch.broadcast_to(i, (2, 3))]", "x=(5, 4), i=(3,):long")),  # the dtype stays: it indexes
    Case(_expression("torch.broadcast_to(x, (3, 4))", "x=(3, 2)")),  # torch raises: 2 cannot grow
    Case(_expression("torch.broadcast_to(x, (int(x.abs().sum().item()) + 1, 3, 4))", "x=(3, 1)"), unknown=True),
]


@pytest.mark.parametrize("case", BROADCAST_TO, ids=[c.body.split("return ")[1].strip() for c in BROADCAST_TO])
def test_broadcast_to_matches_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    if expected is None:
        assert errors, f"torch raises; shapelint reports nothing (output {output})"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    if not case.unknown:
        assert output == expected
    else:
        assert output is None or any(not isinstance(d, int) for d in output), (output, expected)


@pytest.mark.parametrize("expr, known", [("out.last", True), ("out[0]", False), ("out['last']", False)])
def test_dataclass_mapping_output_reads_fields_and_leaves_items_unknown(expr, known):
    """@dataclass over an OrderedDict base (HF's ModelOutput): `.field` is the field; `out[0]`, which
    runs the base's own __getitem__ over items the engine does not follow, stays unknown."""
    body = ("\nfrom collections import OrderedDict\n\n\nclass ModelOutput(OrderedDict):\n"
            "    def __post_init__(self):\n        for name in ('last', 'extra'):\n            self[name] = getattr(self, name)\n\n"
            "    def __getitem__(self, k):\n        return dict(self.items())[k] if isinstance(k, str) else tuple(self.values())[k]\n"
            "\n\n@dataclass\nclass Out(ModelOutput):\n    last: torch.Tensor = None\n    extra: Optional[torch.Tensor] = None\n"
            "\n\nclass M(nn.Module):  # shapelint: x=(2, 4)\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc = nn.Linear(4, 6)\n\n    def forward(self, x):\n        out = Out(last=self.fc(x))\n"
            f"        return {expr}\n")
    source = HEAD + body
    assert _torch_output(source) == [2, 6]
    output, errors = _static(source)
    assert errors == []
    assert output == [2, 6] if known else (output is None or any(not isinstance(d, int) for d in output)), output


DECORATORS = '''
import functools


def double_output(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        out = fn(self, *args, **kwargs)
        return torch.cat([out, out], dim=-1)
    return wrapper


def concat_with(n):
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return torch.cat([fn(*args, **kwargs)] * n, dim=-1)
        return wrapper
    return decorator


def registered(fn):
    REGISTRY[fn.__name__] = fn
    return fn


def boxed(fn):
    return [fn]


REGISTRY = {}
'''


def _decorated_model(method_decorators: str, forward_body: str = "        return self.fc(x)\n", extra: str = "") -> str:
    return (DECORATORS + "\n\nclass M(nn.Module):  # shapelint: x=(2, 4)\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc = nn.Linear(4, 3)\n" + extra + f"\n{method_decorators}    def forward(self, x):\n{forward_body}")


# a method's (and a function's) decorators that are the user's own run, innermost first, then bind
USER_DECORATORS = [
    Case(_decorated_model("    @double_output\n")),
    Case(_decorated_model("    @concat_with(3)\n")),
    Case(_decorated_model("    @concat_with(2)\n    @double_output\n")),  # innermost first: 3 * 2 * 2 = 12
    Case(_decorated_model("    @registered\n    @torch.no_grad()\n")),  # a registry and a pass-through
    Case(_decorated_model("", "        return self.helper(x)\n",
                          "\n    @concat_with(3)\n    def helper(self, x):\n        return self.fc(x)\n")),
    Case(_decorated_model("", "        return twice(self.fc(x))\n").replace(
        "REGISTRY = {}\n", "REGISTRY = {}\n\n\n@concat_with(2)\ndef twice(x):\n    return x + 1\n")),
    # what is not followed stays unknown: a user decorator with staticmethod, one returning a non-function
    Case(_decorated_model("", "        return self.helper(self.fc(x))\n",
                          "\n    @staticmethod\n    @concat_with(2)\n    def helper(x):\n        return x\n"), unknown=True),
    Case(_decorated_model("", "        return self.helper[0](self, x)\n",
                          "\n    @boxed\n    def helper(self, x):\n        return self.fc(x)\n"), unknown=True),
]


@pytest.mark.parametrize("case", USER_DECORATORS, ids=[str(i) for i in range(len(USER_DECORATORS))])
def test_user_decorators_match_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    assert expected is not None
    assert errors == [], [(f.code, f.message) for f in errors]
    if not case.unknown:
        assert output == expected
    else:
        assert output is None or any(not isinstance(d, int) for d in output), (output, expected)


FIELDS = '''
from dataclasses import fields


@dataclass
class Pair:
    last: torch.Tensor = None
    pooled: Optional[torch.Tensor] = None

    def to_tuple(self):
        return tuple(getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None)


class NotADataclass:
    pass
'''


def _fields_model(expr: str) -> str:
    return FIELDS + _expression(expr, "x=(2, 5, 8)")


# dataclasses.fields(instance or class): each field's name, in order (HF outputs' to_tuple)
DATACLASS_FIELDS = [
    Case(_fields_model("Pair(last=x, pooled=x[:, 0]).to_tuple()[1]")),
    Case(_fields_model("Pair(last=x).to_tuple()[-1]")),  # the None field is left out
    Case(_fields_model("getattr(Pair(pooled=x[:, :2]), fields(Pair)[1].name)")),
    Case(_fields_model("x[:, :len(fields(Pair))]")),
    Case(_fields_model("x[:, :len(fields(NotADataclass()))]"), unknown=True),  # TypeError in Python
]


@pytest.mark.parametrize("case", DATACLASS_FIELDS, ids=[c.body.split("return ")[1].strip() for c in DATACLASS_FIELDS])
def test_dataclass_fields_match_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    assert errors == [], [(f.code, f.message) for f in errors]
    if expected is None:
        assert case.unknown and output is None, output
        return
    assert output == expected


# a declared batch meets a literal in a view's or an expand's sizes: torch sees numbers only
DECLARED_BATCH = [
    Case(_expression("x[:, None, :].repeat(1, 2, 1).view(6, -1)", "x=(6, 4)")),  # GPT-J's duplicate_interleave
    Case(_expression("x.reshape(6, -1, 2)", "x=(6, 4)")),
    Case(_expression("x.view(5, -1)", "x=(6, 4)")),  # 24 values do not fit rows of 5: torch raises
    Case(_expression("x[:, :1].expand(6, 4)", "x=(6, 4)")),
    Case(_expression("x[:, :1].expand(6, 3, 5)", "x=(3, 4)")),
    Case(_expression("x.expand(5, 4)", "x=(6, 4)")),  # 6 cannot become 5: torch raises
]


@pytest.mark.parametrize("case", DECLARED_BATCH, ids=[c.body.split("return ")[1].strip() for c in DECLARED_BATCH])
def test_declared_batch_meets_literal_matches_torch(case):
    source = HEAD + case.body
    expected = _torch_output(source)
    output, errors = _static(source)
    if expected is None:
        assert errors or output is None, f"torch raises; shapelint gives {output}"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    assert output == expected
