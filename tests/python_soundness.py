"""The harness of tests/test_python_soundness_*.py: a snippet whose Python semantics decide a
model's widths, run by real torch and checked by shapelint.

`width_net(code, pre)` is a model whose `__init__` runs `code`, which sets `w`, and builds
`nn.Linear(4, w)`: the output's last dim is the value Python computed. `compare(src)` checks
shapelint against torch: no error where torch runs it, the output shape and the parameter
total equal torch's wherever shapelint states them. `decided=True` also requires that
shapelint states the output (the case is one it models).
"""

from __future__ import annotations

import textwrap

from shapelint.engine.check import check_source
from torch_oracle import declared_targets, forward_arguments, load

HEAD = ("import copy\nimport functools\nimport math\nfrom collections import OrderedDict\n\n"
        "import torch\nimport torch.nn as nn\n\n\n")


def width_net(code: str, pre: str = "", forward: str = "return self.fc(x)") -> str:
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), " " * 8)
    fwd = textwrap.indent(textwrap.dedent(forward).strip("\n"), " " * 8)
    return HEAD + textwrap.dedent(pre).strip("\n") + f'''


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
{body}
        self.fc = nn.Linear(4, w)

    def forward(self, x):
{fwd}
'''


def module_net(init: str, forward: str, pre: str = "", inp: str = "(2, 4)") -> str:
    body = textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8)
    fwd = textwrap.indent(textwrap.dedent(forward).strip("\n"), " " * 8)
    return HEAD + textwrap.dedent(pre).strip("\n") + f'''


class Net(nn.Module):  # shapelint: input={inp}
    def __init__(self):
        super().__init__()
{body}

    def forward(self, x):
{fwd}
'''


def torch_run(src: str, name: str = "Net"):
    """(output shape, parameter count) as torch computes them, or (exception, None)."""
    import torch

    torch.manual_seed(0)
    specs = declared_targets(src)[name]
    try:
        model = getattr(load(src, "m.py"), name)()
        out = model(**forward_arguments(model, specs))
    except Exception as e:  # noqa: BLE001 - the oracle records what torch raised
        return e, None
    return list(out.shape), sum(p.numel() for p in model.parameters())


def lint(src: str, name: str = "Net"):
    result = check_source("m.py", src, explain=True)
    errors = [f"{f.line}: {f.message}" for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == name]
    params = report.summary["total"]["params"] if report.summary else None
    return errors, report.output, params


def compare(src: str, decided: bool = False, name: str = "Net") -> None:
    shape, params = torch_run(src, name)
    assert not isinstance(shape, Exception), f"torch raises: {shape!r}"
    errors, output, got_params = lint(src, name)
    assert errors == [], errors
    if decided:
        assert output is not None, "shapelint states no output"
    assert output is None or output == shape, (output, shape)
    assert got_params is None or got_params == params, (got_params, params)


def raises_and_unstated(src: str, name: str = "Net") -> None:
    """torch raises building or running it: shapelint states no output."""
    shape, _ = torch_run(src, name)
    assert isinstance(shape, Exception), f"torch runs it: {shape}"
    _errors, output, _ = lint(src, name)
    assert output is None, output
