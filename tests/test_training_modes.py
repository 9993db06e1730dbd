"""`self.training` (issue 10.4): a forward that reads it is analysed in training and in eval mode.

torch builds a module in training mode and `model.eval()` switches every submodule at once.
The oracle is torch in each mode (tests/torch_oracle.py runs eval mode too where a fixture reads
`.training`); fixtures/real/training_*.py are also in tests/test_real_models.py's soundness run.
"""

import os

import pytest

from shapelint.engine.check import check_source
from fixture_targets import defect_lines
from torch_oracle import run_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(ROOT, "fixtures", "real")


def _read(name):
    with open(os.path.join(REAL, name), encoding="utf-8") as f:
        return f.read()


def _errors(source, name="m.py", explain=False):
    result = check_source(name, source, explain=explain)
    return [f for f in result.findings if f.severity == "error"], result


def _rows(result, target):
    model = next(m for m in result.models if m.name == target)
    rows = {}
    for row in model.layers:
        if row.module is not None:
            rows.setdefault(row.module, []).append(row.out)
    return model, rows


@pytest.mark.torch
def test_error_in_a_training_only_aux_head_is_an_error_labelled_training():
    source = _read("training_aux_bad.py")
    outcome = run_model(source, "AuxNet", [2, 3, 32, 32])
    assert outcome.verdict == "crash" and outcome.eval.verdict == "ok"
    (f,) = _errors(source)[0]
    assert f.code == "SHP002" and f.message.startswith("in training mode only: aux.fc expects 256")
    assert "receives 64" in f.message and f.line in defect_lines(source)


@pytest.mark.torch
def test_error_in_an_eval_only_head_is_an_error_labelled_eval():
    source = _read("training_eval_bad.py")
    outcome = run_model(source, "EvalHeadNet", [2, 3, 16, 16])
    assert outcome.eval.verdict == "crash" and outcome.verdict == "crash" and outcome.error.startswith("in eval mode")
    (f,) = _errors(source)[0]
    assert f.message.startswith("in eval mode only: eval_fc expects 32 input features") and "receives 16" in f.message


@pytest.mark.torch
def test_an_error_of_both_modes_is_one_finding_without_a_mode():
    source = (
        "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc1 = nn.Linear(8, 16)\n        self.drop = nn.Dropout()\n        self.fc2 = nn.Linear(12, 2)\n\n"
        "    def forward(self, x):\n        x = self.fc1(x)\n        if self.training:\n            x = self.drop(x)\n"
        "        return self.fc2(x)\n"
    )
    outcome = run_model(source, "Net", [2, 8])
    assert outcome.verdict == "crash" and outcome.eval.verdict == "crash"
    (f,) = _errors(source)[0]
    assert f.message.startswith("fc2 expects 12 input features") and "mode" not in f.message


@pytest.mark.torch
def test_a_layer_whose_input_differs_between_modes_has_an_unknown_shape():
    source = _read("training_modes.py")
    outcome = run_model(source, "ModeSwitch", [2, 4, 8, 8])
    assert outcome.shapes["head"] != outcome.eval.shapes["head"]
    errors, result = _errors(source, "training_modes.py", explain=True)
    assert errors == []
    model, rows = _rows(result, "ModeSwitch")
    assert rows["head"] == [None] and rows["out"] == [None] and model.output is None
    assert rows["up"] == outcome.shapes["up"] and rows["down"] == outcome.eval.shapes["down"]


@pytest.mark.torch
def test_shapes_both_modes_agree_on_are_kept():
    source = _read("training_modes.py")
    _errors_, result = _errors(source, "training_modes.py", explain=True)
    for target, dims in (("StochasticDepthNet", [2, 3, 16, 16]), ("AuxPlainIf", [2, 3, 32, 32])):
        outcome = run_model(source, target, dims)
        assert outcome.verdict == "ok" and outcome.eval.verdict == "ok"
        _model, rows = _rows(result, target)
        for module, calls in outcome.shapes.items():
            assert rows[module] == calls, (target, module)
        for module, calls in outcome.eval.shapes.items():
            assert rows[module] == calls, (target, module)


def test_a_model_that_never_reads_training_runs_once():
    source = (
        "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(8, 4)\n        self.drop = nn.Dropout()\n\n"
        "    def forward(self, x):\n        return self.drop(self.fc(x))\n"
    )
    _errors_, result = _errors(source, explain=True)
    _model, rows = _rows(result, "Net")
    assert rows == {"fc": [[2, 4]], "drop": [[2, 4]]}  # one row each: not a second, eval run


@pytest.mark.torch
def test_training_read_while_the_model_is_built_follows_eval():
    """`self.eval()` in __init__ is followed (tests/test_construction_mode.py): fc is Linear(8, 2) as
    in torch, and the Linear(4, 3) after it is the error torch raises."""
    source = (
        "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n"
        "        super().__init__()\n        self.eval()\n        self.fc = nn.Linear(8, 4) if self.training else nn.Linear(8, 2)\n"
        "        self.out = nn.Linear(4, 3)\n\n    def forward(self, x):\n        return self.out(self.fc(x))\n"
    )
    assert run_model(source, "Net", [2, 8]).verdict == "crash"  # fc is Linear(8, 2) after self.eval()
    errors, result = _errors(source, explain=True)
    assert [(f.code, f.line) for f in errors] == [("SHP002", 9)]
    _model, rows = _rows(result, "Net")
    assert rows.get("fc") == [[2, 2]]


@pytest.mark.torch
def test_what_one_mode_requires_of_the_input_size_never_fails_the_other():
    """Nothing declared: training needs 8x8 inputs, eval 16x16; each mode alone runs on some size."""
    source = (
        "import torch\nimport torch.nn as nn\n\n\nclass TwoHeads(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3, padding=1)\n"
        "        self.train_fc = nn.Linear(4 * 8 * 8, 2)\n        self.eval_fc = nn.Linear(4 * 16 * 16, 2)\n\n"
        "    def forward(self, x):\n        x = torch.flatten(self.conv(x), 1)\n        if self.training:\n"
        "            return self.train_fc(x)\n        return self.eval_fc(x)\n"
    )
    small, large = run_model(source, "TwoHeads", [2, 3, 8, 8]), run_model(source, "TwoHeads", [2, 3, 16, 16])
    assert small.verdict == "crash" and small.eval.verdict == "crash" and small.error.startswith("in eval mode")
    assert large.verdict == "crash" and large.eval.verdict == "ok"
    errors, _result = _errors(source)
    assert errors == []  # was "in eval mode only: eval_fc expects 1024 ... receives 4*H*W" after training's H=W=8


def _forward_runs(monkeypatch, source, path="m.py"):
    """How many forward runs modes.run_both made for the file's model."""
    from shapelint.engine import modes

    runs = []
    real = modes.run_both

    def counting(vm, sizes, run):
        def counted():
            runs.append(vm.training)
            return run()
        return real(vm, sizes, counted)

    monkeypatch.setattr(modes, "run_both", counting)
    result = check_source(path, source)
    return runs, result


MODE_READ_ELSEWHERE = (
    "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n"
    "        super().__init__()\n        self.fc = nn.Linear(8, 4)\n        self.out = nn.Linear({out_in}, 3)\n\n"
    "    def forward(self, x):\n        return self.out(self.fc(x))\n\n"
    "    def describe(self):\n        return 'train' if self.training else 'eval'\n"
)


@pytest.mark.torch
@pytest.mark.parametrize("out_in", [4, 5])
def test_a_forward_that_never_reads_the_flag_runs_once_though_a_method_reads_it(monkeypatch, out_in):
    """The eval run would repeat the training run statement for statement: it is skipped, and the
    verdict (torch's, in both modes) is unchanged, with no mode named."""
    source = MODE_READ_ELSEWHERE.format(out_in=out_in)
    runs, result = _forward_runs(monkeypatch, source)
    assert runs == [True]
    errors = [f for f in result.findings if f.severity == "error"]
    torch_verdict = run_model(source, "Net", [2, 8]).verdict
    assert (torch_verdict == "crash") == bool(errors) == (out_in == 5)
    assert all("mode only" not in f.message for f in errors)


@pytest.mark.parametrize("forward", [
    "        if self.training:\n            x = x * 2\n        return self.fc(x)\n",
    "        return self.fc(nn.functional.dropout(x, 0.5, training=self.training))\n",
    "        return self.fc(scale(self, x))\n",
])
def test_a_forward_that_reads_the_flag_runs_in_both_modes(monkeypatch, forward):
    source = (
        "import torch.nn as nn\n\n\ndef scale(model, x):\n    return x * 2 if model.training else x\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(8, 4)\n\n    def forward(self, x):\n" + forward
    )
    runs, _result = _forward_runs(monkeypatch, source)
    assert runs == [True, False]


@pytest.mark.torch
def test_a_sibling_block_that_reads_the_flag_runs_both_modes_though_the_file_never_spells_it(monkeypatch, tmp_path):
    """The checked file's text has no "training" (so its own code is not walked for it), but a
    block imported from a sibling reads it: both modes still run, as torch would in each."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "blocks.py").write_text(
        "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 8)\n        self.aux = nn.Linear(5, 2)\n\n    def forward(self, x):\n"
        "        if self.training:\n            self.aux(x)\n        return self.fc(x)\n"
    )
    source = (
        "import torch.nn as nn\n\nfrom .blocks import Block\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.block = Block()\n\n"
        "    def forward(self, x):\n        return self.block(x)\n"
    )
    (pkg / "net.py").write_text(source)
    runs, result = _forward_runs(monkeypatch, source, str(pkg / "net.py"))
    assert False in runs and runs.count(True) == runs.count(False)  # every training run has its eval run
    errors = [f for f in result.findings if f.severity == "error"]
    # Net's run: aux gets 8 features and wants 5, in training mode only (Block checked on its own fails too)
    assert any(f.message.startswith("in training mode only: block.aux expects 5") for f in errors)
