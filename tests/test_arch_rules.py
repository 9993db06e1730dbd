"""The architecture rules SHP400-SHP405: each example against the torch behaviour it names.

None of these models crashes, so the oracle of tests/test_rules.py (torch raises) does
not apply; each rule has its own: parameters missing from `model.parameters()`, a
parameter that gets no gradient, eval() outputs that still vary, running statistics
that train() never updates or that one step updates twice, torch's implicit-dim
warning, a bias whose gradient is exactly zero. Then: over every fixture of the repo
the rules find nothing, except true findings torch confirms one by one.
"""

import glob
import os
import warnings

import pytest

from conftest import ROOT, run_cli
from shapelint.core.rules import REGISTRY
from shapelint.engine.check import check_source
from torch_oracle import declared_inputs, load

ARCH = sorted(c for c in REGISTRY if c.startswith("SHP4"))
EXAMPLES = [(code, kind, i, src) for code in ARCH
            for kind, srcs in (("valid", REGISTRY[code].VALID), ("invalid", REGISTRY[code].INVALID))
            for i, src in enumerate(srcs)]


def _codes(src):
    return [f.code for f in check_source("example.py", src).findings if f.code.startswith("SHP4")]


def _model(src):
    import torch

    torch.manual_seed(0)
    (target, shape), = declared_inputs(src).items()
    model = getattr(load(src), target)()
    return model, torch.randn(*shape)


def _held_modules(model):
    """Every nn.Module an attribute holds, directly or in a plain list/tuple/dict, recursively."""
    import torch.nn as nn

    found, stack = {}, [model]
    while stack:
        m = stack.pop()
        if id(m) in found:
            continue
        found[id(m)] = m
        for v in list(vars(m).values()) + list(m._modules.values()):
            items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else [v]
            stack.extend(x for x in items if isinstance(x, nn.Module))
            # a plain object of the example's own class: the modules it holds in its attributes
            plain = [x for x in items if not isinstance(x, nn.Module) and type(x).__module__ == "fixture_under_test"]
            stack.extend(y for x in plain for y in vars(x).values() if isinstance(y, nn.Module))
    return found.values()


def _torch_shows(code, src):
    """True when torch shows the problem the rule names, False when it shows it is absent."""
    import torch

    model, x = _model(src)
    if code == "SHP400":  # parameters held by the model's attributes that parameters() misses
        registered = {id(p) for p in model.parameters()}
        return any(id(p) not in registered for m in _held_modules(model) for p in m.parameters())
    if code == "SHP401":  # some parameter no method of the model reaches
        reached = set()
        for name in [n for n, v in vars(type(model)).items() if callable(v) and not n.startswith("_")]:
            model.zero_grad(set_to_none=True)
            getattr(model, name)(x).sum().backward()
            reached |= {n for n, p in model.named_parameters() if p.grad is not None}
        return reached != {n for n, _p in model.named_parameters()}
    if code == "SHP402":
        model.train()
        before = {n: b.clone() for n, b in model.named_buffers()}
        model(x)
        stats_moved = any(not torch.equal(before[n], b) for n, b in model.named_buffers())
        model.eval()
        varies = not torch.equal(model(x), model(x))
        return varies or (bool(before) and not stats_moved)
    if code == "SHP403":  # one step updates a norm's statistics twice
        model.train()
        model(x)
        return any(int(b) > 1 for n, b in model.named_buffers() if n.endswith("num_batches_tracked"))
    if code == "SHP404":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model(x)
        return any("Implicit dimension choice" in str(w.message) for w in caught)
    if code == "SHP405":
        return _bias_gradient_is_zero(model, x)
    raise AssertionError(code)


def _bias_gradient_is_zero(model, x) -> bool:
    """Some conv bias of the model gets a zero gradient (a BatchNorm right after it cancels it)."""
    import torch
    import torch.nn as nn

    model.train()
    out = model(x)
    # a tuple, a dict of heads, (out, trans), a long tensor of predictions beside the scores
    sum((o * torch.randn_like(o)).sum() for o in _tensors(out) if o.is_floating_point()).backward()
    return any(isinstance(m, nn.modules.conv._ConvNd) and m.bias is not None and m.bias.grad is not None
               and float(m.bias.grad.abs().max()) < 1e-4 for m in model.modules())


@pytest.mark.torch
@pytest.mark.parametrize("code,kind,i,src", EXAMPLES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in EXAMPLES])
def test_arch_rule_example(code, kind, i, src):
    assert _torch_shows(code, src) == (kind == "invalid")
    assert _codes(src) == ([code] if kind == "invalid" else [])
    assert not [f for f in check_source("example.py", src).findings if f.severity == "error"]


def test_every_arch_rule_has_examples_and_a_reserved_code():
    assert ARCH == ["SHP400", "SHP401", "SHP402", "SHP403", "SHP404", "SHP405"]
    for code in ARCH:
        assert REGISTRY[code].VALID and REGISTRY[code].INVALID and REGISTRY[code].severity in ("warning", "info")


def test_noqa_silences_each_rule():
    for code in ARCH:
        src = REGISTRY[code].INVALID[0]
        f, = [f for f in check_source("example.py", src).findings if f.code == code]
        lines = src.splitlines()
        lines[f.line - 1] += f"  # noqa: {code}"
        from shapelint.core.noqa import filter_findings

        again = check_source("example.py", "\n".join(lines) + "\n")
        assert [g for g in filter_findings(again.source, again.findings) if g.code == code] == []


# ------------------------------------------------------------------ --fix

@pytest.mark.torch
@pytest.mark.parametrize("code", ["SHP400", "SHP402"])
def test_fix_makes_torch_agree(tmp_path, code):
    src = REGISTRY[code].INVALID[0]
    p = tmp_path / "model.py"
    p.write_text(src)
    r = run_cli("--fix", "--select", code, str(p))
    fixed = p.read_text()
    assert fixed != src, r.stdout + r.stderr
    assert _codes(fixed) == []
    assert _torch_shows(code, fixed) is False


def test_no_fix_where_it_is_not_certain():
    # a list built elsewhere and only assigned: wrapping it is not offered (the name may be used as a list)
    src = REGISTRY["SHP400"].INVALID[0].replace(
        "self.blocks = [nn.Linear(8, 8) for _ in range(3)]",
        "blocks = [nn.Linear(8, 8) for _ in range(3)]\n        self.blocks = blocks")
    fs = [f for f in check_source("example.py", src).findings if f.code == "SHP400"]
    assert len(fs) == 1 and fs[0].edits == []


# ------------------------------------------------------------------ silent on correct code

def _fixture_files():
    return sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True))


# True findings on the repository's fixtures, each confirmed by torch below:
# (file, code, line). A wasted conv bias before BatchNorm is common in real code (info);
# float_sizes.py builds an `fc` its forward never calls.
TRUE_FINDINGS = {
    ("fixtures/real/float_sizes.py", "SHP401", 22),
}


def test_rules_find_nothing_else_over_every_fixture():
    unexpected = []
    for path in _fixture_files():
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as fh:
            r = check_source(rel, fh.read())
        for f in r.findings:
            if f.code.startswith("SHP4") and f.code != "SHP405" and (rel, f.code, f.line) not in TRUE_FINDINGS:
                unexpected.append((rel, f.line, f.code, f.message))
    assert unexpected == []


def _tensors(out):
    import torch

    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _tensors(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _tensors(o)]
    return []


@pytest.mark.torch
def test_true_findings_on_fixtures_are_confirmed_by_torch():
    """Each SHP405 on a fixture model: torch gives that model's conv bias a zero gradient;
    each SHP401 listed: a parameter that forward leaves without a gradient."""
    import torch

    checked = 0
    for path in _fixture_files():
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        r = check_source(rel, src)
        codes = {f.code for f in r.findings}
        if not codes & {"SHP401", "SHP405"} or "pkg" in rel:
            continue
        targets = declared_inputs(src)
        errors = [f for f in r.findings if f.severity == "error"]
        if errors or not targets:
            continue
        mod = load(src, path)
        zero_bias, dead = [], []
        for target, shape in targets.items():
            torch.manual_seed(0)
            model = getattr(mod, target)()
            x = torch.randn(*shape)
            zero_bias.append(_bias_gradient_is_zero(model, x))
            model.zero_grad(set_to_none=True)
            sum(t.sum() for t in _tensors(model(x))).backward()  # a VAE returns a list
            dead.append(any(p.grad is None for p in model.parameters()))
        if "SHP405" in codes:
            assert any(zero_bias), rel
            checked += 1
        if "SHP401" in codes:
            assert any(dead), rel
            checked += 1
    assert checked >= 5


SIBLING_BLOCK = (
    "import torch.nn as nn\n\n\ndef conv_bn(cin, cout):\n"
    "    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout))\n"
)
USES_SIBLING = (
    "import torch.nn as nn\n\nfrom .blocks import conv_bn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n        self.stem = conv_bn(3, 8)\n{own}\n"
    "    def forward(self, x):\n        return {body}\n"
)


@pytest.mark.torch
@pytest.mark.parametrize("own", [False, True])
def test_a_bias_before_norm_is_reported_in_the_file_that_builds_it(tmp_path, own):
    """SHP405 is the checked file's only when its conv is: a conv the sibling builds is that file's
    finding (published there when it is checked), never one placed in this file."""
    from shapelint.engine.check import check_source

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "blocks.py").write_text(SIBLING_BLOCK)
    extra = "        self.head = nn.Sequential(nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4))\n" if own else ""
    body = "self.head(self.stem(x))" if own else "self.stem(x)"
    source = USES_SIBLING.format(own=extra, body=body)
    (pkg / "net.py").write_text(source)
    result = check_source(str(pkg / "net.py"), source)
    found = [(f.path, f.line) for f in result.findings if f.code == "SHP405"]
    assert len(found) == (1 if own else 0) and all(os.path.basename(str(p)) == "net.py" for p, _line in found)
    # torch: the wasted bias is real in both (the sibling's conv too), so only the place differs
    assert _bias_gradient_is_zero(*_model(source.replace("from .blocks import conv_bn\n", SIBLING_BLOCK.split("\n", 1)[1])))
