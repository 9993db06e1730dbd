"""Window layers whose kernel, padding, dilation or stride is a constructor symbol.

A class built nowhere is checked with its required constructor arguments as symbols
(engine/symbolic_init.py). A conv or pool whose geometry is such a symbol gives the output size
torch computes, as an expression (`H + 2*pad - k + 1`), wherever the algebra holds it exactly: any
kernel, padding and dilation with a known stride (floor division by a known number), and any
geometry of a transposed conv. A symbolic stride, or ceil_mode where the last-window rule is not
proven idle, stays `?`. Each exact case is checked against torch at several values: the table's
rows, evaluated at the symbols' values and the input sizes, are the shapes torch's forward hooks
see. No symbolic geometry turns into a finding: whether the output collapses depends on the values.
"""

import textwrap

import pytest
from shapelint.core.symbolic import Expr, evaluate
from shapelint.engine.check import check_source
from shapelint.torch.window_sizes import conv_size, conv_transpose_size, pool_size


def _case(params: str, init: str, forward: str, head: str = "") -> str:
    return (f"import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Net(nn.Module):{head}\n"
            f"    def __init__(self, {params}):\n        super().__init__()\n{textwrap.indent(init, ' ' * 8)}"
            f"    def forward(self, x):\n{textwrap.indent(forward, ' ' * 8)}")


def _one(layer: str, params: str) -> str:
    return _case(params, f"self.layer = {layer}\n", "return self.layer(x)\n")


def _pool(layer: str, params: str) -> str:
    """A pool after a 1x1 conv, which gives the input its channels."""
    n = layer.split("(")[0][-2]
    return _case(params, f"self.conv = nn.Conv{n}d(2, 2, 1)\nself.layer = {layer}\n", "return self.layer(self.conv(x))\n")


# (source, the modules whose rows must be exact, the symbols' values and input sizes to run at)
EXACT = {
    "conv1d": (_one("nn.Conv1d(2, 4, k, padding=pad, dilation=dil)", "k, pad, dil"), ["layer"],
               [dict(k=3, pad=1, dil=2, L=11), dict(k=5, pad=0, dil=1, L=7), dict(k=1, pad=2, dil=3, L=2)]),
    "conv2d_stride2": (_one("nn.Conv2d(3, 8, k, stride=2, padding=pad)", "k, pad"), ["layer"],
                       [dict(k=3, pad=1, H=9, W=10), dict(k=4, pad=0, H=4, W=13), dict(k=2, pad=2, H=1, W=6)]),
    "conv2d_dilated": (_one("nn.Conv2d(3, 8, (k, 3), stride=(1, 3), padding=(pad, 1), dilation=(dil, 1))", "k, pad, dil"),
                       ["layer"], [dict(k=3, pad=0, dil=2, H=9, W=10), dict(k=2, pad=1, dil=1, H=5, W=3)]),
    "conv3d": (_one("nn.Conv3d(2, 4, k, stride=3, padding=pad, dilation=dil)", "k, pad, dil"), ["layer"],
               [dict(k=3, pad=1, dil=1, D=5, H=7, W=9), dict(k=2, pad=0, dil=2, D=4, H=3, W=8)]),
    "conv2d_same": (_one("nn.Conv2d(3, 8, k, padding='same', dilation=dil)", "k, dil"), ["layer"],
                    [dict(k=4, dil=1, H=5, W=6), dict(k=3, dil=2, H=9, W=2)]),
    "conv2d_half_kernel_padding": (_one("nn.Conv2d(3, 8, k, padding=k // 2)", "k"), ["layer"],
                                   [dict(k=3, H=5, W=6), dict(k=4, H=9, W=2), dict(k=1, H=3, W=3)]),
    "conv_transpose1d": (_one("nn.ConvTranspose1d(2, 4, k, stride=st, padding=pad, output_padding=op, dilation=dil)",
                              "k, st, pad, op, dil"), ["layer"],
                         [dict(k=3, st=2, pad=1, op=1, dil=1, L=5), dict(k=4, st=3, pad=0, op=2, dil=2, L=1)]),
    "conv_transpose2d": (_one("nn.ConvTranspose2d(3, 4, k, stride=st, padding=pad)", "k, st, pad"), ["layer"],
                         [dict(k=4, st=2, pad=1, H=5, W=6), dict(k=3, st=1, pad=0, H=2, W=7)]),
    "conv_transpose3d": (_one("nn.ConvTranspose3d(2, 3, k, stride=2, padding=pad, output_padding=1, dilation=dil)",
                              "k, pad, dil"), ["layer"],
                         [dict(k=3, pad=1, dil=1, D=2, H=3, W=4), dict(k=2, pad=0, dil=2, D=3, H=1, W=2)]),
    "maxpool1d": (_pool("nn.MaxPool1d(k, stride=2, padding=pad, dilation=dil)", "k, pad, dil"), ["layer"],
                  [dict(k=3, pad=1, dil=2, L=11), dict(k=2, pad=0, dil=1, L=5), dict(k=4, pad=2, dil=1, L=4)]),
    "maxpool2d_ceil_stride1": (_pool("nn.MaxPool2d(k, stride=1, padding=pad, ceil_mode=True)", "k, pad"), ["layer"],
                               [dict(k=3, pad=1, H=5, W=6), dict(k=2, pad=0, H=2, W=7), dict(k=5, pad=2, H=1, W=3)]),
    "maxpool3d": (_pool("nn.MaxPool3d(k, stride=2, padding=pad)", "k, pad"), ["layer"],
                  [dict(k=3, pad=1, D=5, H=6, W=7), dict(k=2, pad=0, D=2, H=9, W=4)]),
    "avgpool1d": (_pool("nn.AvgPool1d(k, stride=3, padding=pad)", "k, pad"), ["layer"],
                  [dict(k=3, pad=1, L=10), dict(k=4, pad=2, L=1), dict(k=2, pad=0, L=8)]),
    "avgpool2d_ceil_stride1": (_pool("nn.AvgPool2d(k, stride=1, padding=pad, ceil_mode=True)", "k, pad"), ["layer"],
                               [dict(k=3, pad=1, H=5, W=6), dict(k=2, pad=1, H=1, W=4)]),
    "avgpool3d": (_pool("nn.AvgPool3d(k, stride=2, padding=pad)", "k, pad"), ["layer"],
                  [dict(k=3, pad=1, D=5, H=6, W=7), dict(k=2, pad=0, D=2, H=9, W=4)]),
    "stack": (_case("k, pad", "self.conv = nn.Conv2d(3, 8, k, padding=pad)\nself.bn = nn.BatchNorm2d(8)\n"
                    "self.pool = nn.MaxPool2d(2)\nself.up = nn.ConvTranspose2d(8, 4, k, stride=2)\n",
                    "return self.up(self.pool(self.bn(self.conv(x))))\n"), ["conv", "bn", "pool", "up"],
              [dict(k=3, pad=1, H=9, W=10), dict(k=2, pad=0, H=5, W=4), dict(k=5, pad=2, H=7, W=3)]),
    "functional_pools": (_case("k, pad", "self.conv = nn.Conv2d(2, 2, 1)\nself.k, self.pad = k, pad\n",
                               "y = F.max_pool2d(self.conv(x), self.k, 2, self.pad)\nreturn F.avg_pool1d(y.flatten(2), self.k, 1, self.pad)\n"),
                         ["max_pool2d", "avg_pool1d"], [dict(k=3, pad=1, H=9, W=10), dict(k=2, pad=0, H=5, W=4)]),
    "functional_conv2d": (_case("k, pad", "self.conv = nn.Conv2d(3, 3, 1)\nself.weight = nn.Parameter(torch.randn(8, 3, k, k))\n"
                                "self.pad = pad\n", "return F.conv2d(self.conv(x), self.weight, stride=2, padding=self.pad)\n"),
                          ["conv2d"], [dict(k=3, pad=1, H=9, W=10), dict(k=2, pad=0, H=5, W=4)]),
    "conv1d_valid": (_one("nn.Conv1d(2, 4, k, padding='valid', dilation=dil)", "k, dil"), ["layer"],
                     [dict(k=3, dil=2, L=11), dict(k=1, dil=1, L=1)]),
}

# layers whose size the algebra cannot hold exactly: their spatial sizes stay unknown
OPAQUE = {
    "conv_symbolic_stride": _one("nn.Conv2d(3, 8, 3, stride=st)", "st"),
    "pool_stride_is_the_kernel": _pool("nn.MaxPool2d(k)", "k"),
    "pool_ceil_mode_stride2": _pool("nn.MaxPool2d(k, stride=2, ceil_mode=True)", "k"),
    "avgpool_symbolic_stride": _pool("nn.AvgPool1d(3, stride=st)", "st"),
}


def _model(source):
    (m,) = check_source("m.py", source, explain=True).models
    return m


def _value(d, env):
    """A table size (`H + 2*pad - k + 1`, `(L - 3)//2 + 1`: Python arithmetic) at the values of `env`."""
    return d if isinstance(d, int) else eval(str(d), {"__builtins__": {}}, dict(env))


def _shape(dims, env):
    return [_value(d, env) for d in dims]


def _rows(m, name):
    """The rows of a module (`layer`) or of a functional op (`max_pool2d`)."""
    return [r for r in m.layers if r.module == name or (not r.module and name in str(r.op))]


@pytest.mark.parametrize("name", sorted(EXACT))
def test_symbolic_geometry_gives_an_exact_size(name):
    source, modules, _values = EXACT[name]
    m = _model(source)
    for module in modules:
        (row,) = _rows(m, module)
        out = [str(d) for d in row.out]
        assert not any("?" in d for d in out), (module, out)


@pytest.mark.parametrize("name", sorted(OPAQUE))
def test_what_the_algebra_cannot_hold_stays_unknown(name):
    m = _model(OPAQUE[name])
    (row,) = _rows(m, "layer")
    assert [str(d) for d in row.out][2:] and all(str(d) == "?" for d in row.out[2:]), row.out
    assert not [f for f in check_source("m.py", OPAQUE[name]).findings if f.severity == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(EXACT))
def test_the_symbolic_sizes_are_torch_s(name):
    import torch
    from torch_oracle import load

    source, modules, values = EXACT[name]
    m = _model(source)
    params = [p.strip() for p in source.split("def __init__(self, ")[1].split(")")[0].split(",")]
    for env in values:
        env = {"B": 2, **env}
        net = load(source).Net(**{p: env[p] for p in params})
        x = torch.randn(*_shape(m.input, env))
        seen = _run_with_hooks(torch, net, modules, x)
        for module in modules:
            (row,) = _rows(m, module)
            inp, out = seen[module]
            assert _shape(row.inp, env) == list(inp), (module, env, row.inp)
            assert _shape(row.out, env) == list(out), (module, env, row.out)


def _run_with_hooks(torch, net, modules, x) -> dict:
    """module or functional op name -> (input shape, output shape), as torch ran them."""
    seen = {}
    for name, sub in net.named_modules():
        if name in modules:
            sub.register_forward_hook(lambda mod, args, out, name=name: seen.__setitem__(name, (args[0].shape, out.shape)))
    wrapped = {}
    for fn in modules:
        if hasattr(torch.nn.functional, fn):
            original = getattr(torch.nn.functional, fn)
            wrapped[fn] = original

            def spy(t, *a, _fn=fn, _original=original, **kw):
                out = _original(t, *a, **kw)
                seen[_fn] = (t.shape, out.shape)
                return out

            setattr(torch.nn.functional, fn, spy)
    try:
        net.eval()(x)
    finally:
        for fn, original in wrapped.items():
            setattr(torch.nn.functional, fn, original)
    return seen


# ---------------------------------------------------------------------------- no finding from a value not known

PADDING_MAY_BE_ZERO = _case("c, pad", "self.conv = nn.Conv2d(c, c, 1, padding=pad)\n", "return torch.cat([x, self.conv(x)], 1)\n")
KERNEL_ONE_MORE = _case("c, extra", "self.conv = nn.Conv1d(c, c, extra + 1)\n", "return torch.cat([x, self.conv(x)], 1)\n")
KERNEL_ABOVE_INPUT = _case("k, pad", "self.conv = nn.Conv2d(3, 4, k)\nself.pool = nn.MaxPool2d(k, stride=1, padding=pad)\n"
                           "self.fc = nn.Linear(16, 2)\n", "return self.fc(self.pool(self.conv(x)).flatten(1))\n",
                           head="  # shapelint: input=(1, 3, 4, 4)")
NEVER_FITS = _case("k", "self.conv = nn.Conv2d(3, 4, k)\nself.fc = nn.Linear(4 * 10 * 10 + 1, 2)\n",
                   "return self.fc(self.conv(x).flatten(1))\n", head="  # shapelint: input=(1, 3, 32, 32)")


def _errors(source):
    return [f for f in check_source("m.py", source).findings if f.severity == "error"]


def _runs(source, shape, **kwargs) -> bool:
    import torch
    from torch_oracle import load

    try:
        load(source).Net(**kwargs)(torch.randn(*shape))
    except RuntimeError:
        return False
    return True


@pytest.mark.torch
def test_a_padding_symbol_may_be_zero():
    """cat needs pad == 0: the search takes every symbol to be >= 1, so it must not decide this."""
    assert not _errors(PADDING_MAY_BE_ZERO)
    assert _runs(PADDING_MAY_BE_ZERO, (2, 3, 5, 6), c=3, pad=0)
    assert not _runs(PADDING_MAY_BE_ZERO, (2, 3, 5, 6), c=3, pad=1)


@pytest.mark.torch
def test_a_symbol_in_a_kernel_expression_may_be_zero():
    """cat needs extra == 0, a kernel of 1: torch runs it; the search must not refute it."""
    assert not _errors(KERNEL_ONE_MORE)
    assert _runs(KERNEL_ONE_MORE, (2, 3, 7), c=3, extra=0)
    assert not _runs(KERNEL_ONE_MORE, (2, 3, 7), c=3, extra=1)


@pytest.mark.torch
def test_a_kernel_above_the_input_is_unknown_not_an_error():
    """A 4x4 input: k=5 collapses, k=2 with pad=0 and k=3 with pad=1 run; which k it is, is not known."""
    assert not _errors(KERNEL_ABOVE_INPUT)
    rows = {r.module: r for r in _model(KERNEL_ABOVE_INPUT).layers}
    assert "?" not in str(rows["conv"].out[2]) and "k" in str(rows["conv"].out[2])
    assert not _runs(KERNEL_ABOVE_INPUT, (1, 3, 4, 4), k=5, pad=0)
    assert _runs(KERNEL_ABOVE_INPUT, (1, 3, 4, 4), k=2, pad=0)
    assert _runs(KERNEL_ABOVE_INPUT, (1, 3, 4, 4), k=3, pad=1)


@pytest.mark.torch
def test_an_error_for_every_kernel_is_still_found():
    """4 * (33 - k)**2 is even, never 401: torch fails at every k."""
    assert [f.code for f in _errors(NEVER_FITS)] == ["SHP002"]
    assert not any(_runs(NEVER_FITS, (1, 3, 32, 32), k=k) for k in range(1, 33))


# ---------------------------------------------------------------------------- the formulas over a grid

GRID = [(L, k, s, p, d) for L in range(1, 9) for k in range(1, 5) for s in (1, 2, 3) for p in range(0, 3) for d in (1, 2)]
SYMBOLS = {n: Expr.symbol(n) for n in ("L", "k", "p", "d")}


def _at(formula, env):
    """A formula's value at `env`, or None when it is unknown (`?`)."""
    return None if isinstance(formula.value, Expr) and formula.value.is_opaque() else evaluate(formula.value, env)


def _torch_len(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs).shape[-1]
    except RuntimeError:
        return None


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["conv", "conv_transpose", "max_pool", "max_pool_ceil", "avg_pool_ceil"])
def test_the_symbolic_formula_is_torch_s_over_a_grid(kind):
    """Symbolic L, k, p, d and a known stride: wherever shapelint gives a size and torch runs, they agree."""
    import torch
    import torch.nn.functional as F

    L, k, p, d = (SYMBOLS[n] for n in ("L", "k", "p", "d"))
    exact, bad = 0, []
    for vL, vk, s, vp, vd in GRID:
        env = dict(L=vL, k=vk, p=vp, d=vd)
        x = torch.zeros(1, 1, vL)
        if kind == "conv":
            got = _at(conv_size(L, k, s, p, d), env)
            want = _torch_len(F.conv1d, x, torch.zeros(1, 1, vk), stride=s, padding=vp, dilation=vd)
        elif kind == "conv_transpose":
            op = vp % s if vp % s < max(s, vd) else 0
            got = _at(conv_transpose_size(L, k, s, p, d, op), env)
            want = _torch_len(F.conv_transpose1d, x, torch.zeros(1, 1, vk), stride=s, padding=vp, output_padding=op, dilation=vd)
        elif vp > vk // 2:
            continue  # torch rejects the padding; the layer reports it
        elif kind == "avg_pool_ceil":
            got = _at(pool_size(L, k, s, p, 1, True), env)
            want = _torch_len(F.avg_pool1d, x, vk, s, vp, ceil_mode=True)
        else:
            got = _at(pool_size(L, k, s, p, d, kind == "max_pool_ceil"), env)
            want = _torch_len(F.max_pool1d, x, vk, s, vp, vd, ceil_mode=kind == "max_pool_ceil")
        if got is None or want is None:
            continue  # unknown, or torch rejects the input (a requirement, not a size)
        exact += 1
        if got != want:
            bad.append(((vL, vk, s, vp, vd), got, want))
    assert not bad, bad[:5]
    assert exact > 100
