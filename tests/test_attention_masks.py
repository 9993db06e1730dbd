"""nn.MultiheadAttention's masks (issue 11): a mask whose shape torch rejects is an SHP006 error at
the call, a mask torch takes is no finding. Each case runs in real torch (both modes raise)."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

HEAD = "import torch\nimport torch.nn as nn\n\n\n"


def model(mask_code, call_kwargs, batch_first=True, shape="(2, 5, 8)"):
    return (HEAD + f"class Attend(nn.Module):  # shapelint: input={shape}\n"
            "    def __init__(self):\n        super().__init__()\n"
            f"        self.attn = nn.MultiheadAttention(8, 2, batch_first={batch_first})\n"
            "        self.memory = nn.Linear(8, 8)\n\n"
            "    def forward(self, x):\n"
            f"        kv = self.memory({'x[:, :4]' if batch_first and shape.count(',') == 2 else 'x[:4]'})  # 4 keys\n"
            f"        {mask_code}\n"
            f"        out, _ = self.attn(x, kv, kv, {call_kwargs})\n"
            "        return out\n")


CASES = {
    # batched, batch_first: L = 5, S = 4, N = 2, heads = 2
    "attn_mask_2d_ok": model("m = torch.zeros(5, 4)", "attn_mask=m"),
    "attn_mask_2d_square_bad": model("m = torch.zeros(5, 5)", "attn_mask=m"),
    "attn_mask_3d_ok": model("m = torch.zeros(4, 5, 4)", "attn_mask=m"),
    "attn_mask_3d_batch_only_bad": model("m = torch.zeros(2, 5, 4)", "attn_mask=m"),
    "causal_mask_of_the_query_bad": model("m = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)", "attn_mask=m"),
    "key_padding_ok": model("m = torch.zeros(2, 4, dtype=torch.bool)", "key_padding_mask=m"),
    "key_padding_length_bad": model("m = torch.zeros(2, 5, dtype=torch.bool)", "key_padding_mask=m"),
    "key_padding_batch_bad": model("m = torch.zeros(3, 4, dtype=torch.bool)", "key_padding_mask=m"),
    "both_ok": model("m = torch.zeros(5, 4)", "attn_mask=m, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool)"),
    # sequence first: (L, N, E)
    "seq_first_2d_ok": model("m = torch.zeros(5, 4)", "attn_mask=m", batch_first=False, shape="(5, 2, 8)"),
    "seq_first_key_padding_bad": model("m = torch.zeros(4, 2, dtype=torch.bool)", "key_padding_mask=m",
                                       batch_first=False, shape="(5, 2, 8)"),
    # unbatched (L, E)
    "unbatched_2d_ok": model("m = torch.zeros(5, 4)", "attn_mask=m", shape="(5, 8)"),
    "unbatched_3d_heads_ok": model("m = torch.zeros(2, 5, 4)", "attn_mask=m", shape="(5, 8)"),
    "unbatched_2d_bad": model("m = torch.zeros(4, 4)", "attn_mask=m", shape="(5, 8)"),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mask_is_an_error_exactly_when_torch_rejects_it(case):
    src = CASES[case]
    dims = [int(d) for d in src.split("input=(", 1)[1].split(")", 1)[0].split(",")]
    outcome = run_model(src, "Attend", dims)
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    assert (outcome.verdict != "ok") == case.endswith("_bad"), (outcome.verdict, outcome.error)
    if case.endswith("_bad"):
        (f,) = errors
        assert f.code == "SHP006" and "mask" in f.message
        assert f.line == next(i for i, ln in enumerate(src.splitlines(), 1) if "self.attn(x" in ln)
    else:
        assert errors == [], [(f.code, f.message) for f in errors]
