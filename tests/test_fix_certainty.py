"""--fix only where it is certain (issue 15.6): a layer is never resized to fit a dimension of
the model input that the forward moved into the features or channels (a sequence length after
`transpose`, a reduction over the feature dim). Such a defect is still an error (torch raises),
with advice, but no edit. Where the incoming size is the input's own feature dim, or a layer's
output, the fix stays, and torch runs the fixed file."""

import pytest

from conftest import run_cli
from torch_oracle import run_model

HEAD = "import torch\nimport torch.nn as nn\n\n\n"


def model(name, forward, init="        self.proj = nn.Linear(32, 10)\n", shape="(2, 12, 32)"):
    return (HEAD + f"class {name}(nn.Module):  # shapelint: input={shape}\n"
            "    def __init__(self):\n        super().__init__()\n" + init +
            "\n    def forward(self, x):\n" + forward)


# the bug is in forward; the layer is right for the input's 32 features
MOVED = {
    "transposed": model("Tagger", "        x = x.transpose(1, 2)\n        return self.proj(x)\n"),
    "reduced_over_features": model("Pooled", "        x = x.mean(dim=2)\n        return self.proj(x)\n"),
    "permuted": model("Permuted", "        x = x.permute(0, 2, 1)\n        return self.proj(x)\n"),
    "image_permuted_to_channels_last": model(
        "Image", "        return self.conv(x.permute(0, 2, 3, 1))\n", init="        self.conv = nn.Conv2d(3, 8, 3)\n",
        shape="(2, 3, 16, 16)"),
}
# the incoming size is the input's own feature dim or a layer's output: the fix is certain
CERTAIN = {
    "first_token": model("First", "        return self.proj(x[:, 0])\n", init="        self.proj = nn.Linear(16, 10)\n"),
    "after_a_layer": model("Stack", "        return self.proj(self.inner(x))\n",
                           init="        self.inner = nn.Linear(32, 24)\n        self.proj = nn.Linear(32, 10)\n"),
}


def _write(tmp_path, text):
    p = tmp_path / "m.py"
    p.write_text(text)
    return p


def _target(text):
    return text.split("class ", 1)[1].split("(", 1)[0]


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(MOVED))
def test_a_moved_input_dim_is_an_error_with_no_fix(tmp_path, case):
    text = MOVED[case]
    dims = [int(d) for d in text.split("input=(", 1)[1].split(")", 1)[0].split(",")]
    assert run_model(text, _target(text), dims).verdict == "crash"  # torch raises: it is a real error
    p = _write(tmp_path, text)
    r = run_cli("--isolated", "--no-cache", str(p))
    assert r.returncode == 1 and ("SHP002" in r.stdout or "SHP001" in r.stdout), r.stdout
    assert "fixable" not in r.stdout
    fixed = run_cli("--isolated", "--no-cache", "--fix", str(p))
    assert p.read_text() == text, fixed.stdout  # nothing rewritten


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CERTAIN))
def test_a_size_the_model_gives_itself_is_fixed_and_torch_runs_it(tmp_path, case):
    text = CERTAIN[case]
    dims = [int(d) for d in text.split("input=(", 1)[1].split(")", 1)[0].split(",")]
    assert run_model(text, _target(text), dims).verdict == "crash"
    p = _write(tmp_path, text)
    run_cli("--isolated", "--no-cache", "--fix", str(p))
    fixed = p.read_text()
    assert fixed != text
    assert run_model(fixed, _target(fixed), dims).verdict == "ok"
