"""One finding per defect, where the defect is (issue 16.5): blocks built by one line share its finding.

A norm layer subclass whose forward calls `F.layer_norm(x, self.normalized_shape, ...)` gets its
size from its constructor call. When one line builds it wrongly for every stage
(`norm_layer(cnf.out_channels)` where the input width is meant), torch fails in each such block;
shapelint reports one error at that line, naming the other blocks, with the shared forward's
`F.layer_norm` as a related location and no edit (each block needs its own number). Before, there
was one error per block, all on the shared forward's line, which is correct code.
"""

import json
import os
import textwrap

import pytest
from conftest import ROOT, run_cli
from fixture_targets import every_input_defect_lines, undeclared

CONVNEXT = os.path.join(ROOT, "fixtures", "real", "convnext_bad.py")

STAGES = textwrap.dedent("""\
    import torch.nn as nn
    import torch.nn.functional as F


    class ChannelNorm(nn.LayerNorm):
        def forward(self, x):
            x = x.permute(0, 2, 3, 1)
            x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)


    WIDTHS = [8, 16, 32]


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            layers, cin = [], 3
            for w in WIDTHS:
                layers += [nn.Conv2d(cin, w, 3, padding=1), ChannelNorm(cin)]
                cin = w
            self.body = nn.Sequential(*layers)

        def forward(self, x):
            return self.body(x)
    """)
STAGES_GOOD = STAGES.replace("ChannelNorm(cin)]", "ChannelNorm(w)]")
NORM_CALL_LINE = 20  # `layers += [..., ChannelNorm(cin)]`
LAYER_NORM_LINE = 8  # the shared forward's F.layer_norm


def _line_of(source: str, text: str) -> int:
    (line,) = [i for i, ln in enumerate(source.splitlines(), 1) if text in ln]
    return line


def _errors(tmp_path, name, source, *args):
    path = tmp_path / name
    path.write_text(source)
    proc = run_cli("--isolated", "--format", "json", *args, str(path))
    assert proc.returncode in (0, 1), proc.stderr
    return [d for d in json.loads(proc.stdout) if d["severity"] == "error"]


@pytest.mark.torch
def test_stages_built_by_one_wrong_line_are_one_finding_at_that_line(tmp_path):
    from torch_oracle import run_model

    outcome = run_model(STAGES, "Net", [2, 3, 8, 8])
    assert outcome.verdict == "crash", outcome  # LayerNorm over 3 features gets 8
    assert run_model(STAGES_GOOD, "Net", [2, 3, 8, 8]).verdict == "ok"
    errors = _errors(tmp_path, "stages.py", STAGES)
    assert len(errors) == 1, [e["message"] for e in errors]
    (e,) = errors
    assert (e["code"], e["line"]) == ("SHP010", NORM_CALL_LINE)
    assert STAGES.splitlines()[NORM_CALL_LINE - 1][e["column"] - 1:e["end_column"] - 1] == "cin"
    # by arithmetic: the first norm normalizes over 3 (the input width), the first conv gives 8
    assert e["message"].startswith("body[1]: F.layer_norm normalizes over [3] but the input ends with [8]"), e["message"]
    assert "(the same in body[3], body[5] with their own sizes, built by this code)" in e["message"]
    assert "(body[0] out_channels=8, line 12)" in e["message"]  # the conv's width: WIDTHS's 8
    related = [(r["line"], r["message"]) for r in e["related"]]
    assert (LAYER_NORM_LINE, "body[1]'s forward reads normalized_shape here (`F.layer_norm(x, self.normalized_shape, "
            "self.weight, self....`)") in related
    assert (12, "the size that arrives comes from here") in related and (NORM_CALL_LINE, "body[0] is built here") in related
    assert e["fix"] is None  # 8, 16 and 32: no one number at `cin` fixes every stage


def test_the_correct_stages_stay_clean(tmp_path):
    assert _errors(tmp_path, "stages_good.py", STAGES_GOOD) == []


@pytest.mark.torch
def test_convnext_downsampling_norms_are_one_finding_at_the_defect_line(tmp_path):
    from torch_oracle import run_model

    with open(CONVNEXT, encoding="utf-8") as fh:
        source = fh.read()
    outcome = run_model(source, "ConvNeXtTiny", [2, 3, 32, 32], filename=CONVNEXT)
    assert outcome.verdict == "crash", outcome
    (defect,) = every_input_defect_lines(source)
    forward_line = _line_of(source, "x = F.layer_norm(x, self.normalized_shape")
    for name, text in (("declared.py", source), ("undeclared.py", undeclared(source))):
        errors = _errors(tmp_path, name, text)
        assert len(errors) == 1, (name, [e["message"] for e in errors])
        (e,) = errors
        assert (e["code"], e["line"]) == ("SHP010", defect), (name, e)
        assert forward_line in [r["line"] for r in e["related"]]
        assert "features[4][0], features[6][0]" in e["message"]
        assert e["fix"] is None


# A wrong config entry: blocks built from it share one finding, at the entry (engine/config_entries.py)

HEADS = textwrap.dedent("""\
    import torch.nn as nn

    CFG = {"dim": 96, "heads": 5, "depth": 2}


    class Attn(nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x)[0]


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(*[Attn(CFG["dim"], CFG["heads"]) for _ in range(CFG["depth"])])
            self.dec = nn.Sequential(*[Attn(CFG["dim"], CFG["heads"]) for _ in range(CFG["depth"])])

        def forward(self, x):
            return self.dec(self.enc(x))
    """)

STAGES_CFG = textwrap.dedent("""\
    import torch.nn as nn

    CFG = [(3, 16), (16, 32), (24, 64)]


    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(cout)

        def forward(self, x):
            return self.bn(self.conv(x))


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            layers = []
            for cin, cout in CFG:
                layers.append(Block(cin, cout))
            self.body = nn.Sequential(*layers)

        def forward(self, x):
            return self.body(x)
    """)


def _at(source, e) -> str:
    line = source.splitlines()[e["line"] - 1]
    return line[e["column"] - 1:e["end_column"] - 1] if e["line"] == e["end_line"] else line


@pytest.mark.torch
def test_a_config_entry_read_by_two_stacks_is_one_finding_at_the_entry(tmp_path):
    from torch_oracle import run_model

    assert run_model(HEADS, "Net", [2, 4, 96]).verdict == "crash"  # embed_dim 96 is not divisible by 5 heads
    good = HEADS.replace('"heads": 5', '"heads": 6')
    assert run_model(good, "Net", [2, 4, 96]).verdict == "ok"
    errors = _errors(tmp_path, "heads.py", HEADS)
    assert len(errors) == 1, [e["message"] for e in errors]  # it was one per stack, at each Attn(...) line
    (e,) = errors
    assert (e["code"], e["line"], _at(HEADS, e)) == ("SHP007", 3, "5")
    assert "(the same in enc[1].attn, dec[0].attn, dec[1].attn, built by this code)" in e["message"]
    readers = {r["line"] for r in e["related"] if "takes num_heads from `CFG[\"heads\"]` here" in r["message"]}
    assert readers == {_line_of(HEADS, "self.enc ="), _line_of(HEADS, "self.dec =")}
    assert e["fix"] is None
    assert _errors(tmp_path, "heads_good.py", good) == []


@pytest.mark.torch
def test_a_loop_over_a_config_list_points_at_the_wrong_element(tmp_path):
    from torch_oracle import run_model

    assert run_model(STAGES_CFG, "Net", [2, 3, 8, 8]).verdict == "crash"  # the third conv expects 24, gets 32
    good = STAGES_CFG.replace("(24, 64)", "(32, 64)")
    assert run_model(good, "Net", [2, 3, 8, 8]).verdict == "ok"
    (e,) = _errors(tmp_path, "stages_cfg.py", STAGES_CFG)
    assert (e["code"], e["line"], _at(STAGES_CFG, e)) == ("SHP001", 3, "24")
    assert e["message"].startswith("body[2].conv expects 24 input channels (in_channels) but receives 32"), e["message"]
    lines = {r["line"] for r in e["related"]}
    assert {_line_of(STAGES_CFG, "layers.append(Block(cin, cout))"), _line_of(STAGES_CFG, "self.conv =")} <= lines
    assert _errors(tmp_path, "stages_cfg_good.py", good) == []


def test_an_entry_that_two_elements_could_be_stays_at_the_call(tmp_path):
    # (16, 32) twice: which one the failing block was built from is not in the source
    source = STAGES_CFG.replace("[(3, 16), (16, 32), (24, 64)]", "[(3, 16), (16, 32), (16, 32)]")
    (e,) = _errors(tmp_path, "twice.py", source)
    assert e["line"] == _line_of(source, "layers.append(Block(cin, cout))") and _at(source, e) == "cin"


def test_a_config_written_elsewhere_is_not_an_entry(tmp_path):
    source = STAGES_CFG.replace("class Net(", "CFG[2] = (24, 64)\n\n\nclass Net(")
    (e,) = _errors(tmp_path, "written.py", source)
    assert e["line"] == _line_of(source, "layers.append(Block(cin, cout))")


# The same view of q, k and v: one defect, one finding (engine/same_defect.py), at the config value the views
# read (engine/config_fields.py)

GPT_HEADS = os.path.join(ROOT, "fixtures", "modern", "gpt_heads_bad.py")

KV_HEADS = textwrap.dedent("""\
    from dataclasses import dataclass

    import torch.nn as nn
    import torch.nn.functional as F


    @dataclass
    class Config:
        n_embd: int = 36
        n_head: int = 8
        n_kv_head: int = 8


    class Attention(nn.Module):
        def __init__(self, cfg=Config()):
            super().__init__()
            self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
            self.n_head, self.n_kv_head = cfg.n_head, cfg.n_kv_head

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            k = k.view(B, T, self.n_kv_head, C // self.n_kv_head).transpose(1, 2)
            v = v.view(B, T, self.n_kv_head, C // self.n_kv_head).transpose(1, 2)
            return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
    """)


def _source_line(source, line) -> str:
    return source.splitlines()[line - 1].strip()


@pytest.mark.torch
def test_the_same_view_of_q_k_and_v_is_one_finding_at_the_config_head_count(tmp_path):
    from torch_oracle import run_model

    with open(GPT_HEADS, encoding="utf-8") as fh:
        source = fh.read()
    q_line, k_line, v_line = (_line_of(source, f"{t} = {t}.view(") for t in "qkv")
    outcome = run_model(source, "TinyGPT", [2, 8], filename=GPT_HEADS, int_input=True)
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome  # torch raises at q's view only
    good = source.replace("n_embd: int = 36", "n_embd: int = 32")
    assert run_model(good, "TinyGPT", [2, 8], filename=GPT_HEADS, int_input=True).verdict == "ok"
    errors = _errors(tmp_path, "gpt_heads_bad.py", source)
    assert len(errors) == 1, [e["message"] for e in errors]  # it was one per view: 3
    (e,) = errors
    # at the config's head count, which the views read (engine/config_fields.py)
    assert (e["code"], e["line"]) == ("SHP007", _line_of(source, "n_head: int = 8"))
    # by arithmetic: 8 heads of 36 // 8 = 4 hold 32 of the 36 values
    assert "the width (36) must be divisible by the head count (8)" in e["message"]
    assert f"so torch raises at the view at line {q_line}" in e["message"]
    assert e["message"].endswith(f"(also at lines {k_line} and {v_line})"), e["message"]
    assert {r["line"] for r in e["related"]} >= {q_line, k_line, v_line}
    assert e["fix"] is None
    assert _errors(tmp_path, "gpt_heads_good.py", good) == []


@pytest.mark.torch
def test_views_by_two_head_counts_are_two_findings(tmp_path):
    from torch_oracle import run_model

    q_line, k_line, v_line = (_line_of(KV_HEADS, f"{t} = {t}.view(") for t in "qkv")
    outcome = run_model(KV_HEADS, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome
    # fixing the query heads alone leaves the key/value view failing: a second defect
    kv_only = KV_HEADS.replace("n_head: int = 8", "n_head: int = 6")
    outcome = run_model(kv_only, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", k_line), outcome
    both_fixed = kv_only.replace("n_kv_head: int = 8", "n_kv_head: int = 6")
    assert run_model(both_fixed, "Attention", [2, 4, 36]).verdict == "ok"

    errors = _errors(tmp_path, "kv_heads.py", KV_HEADS, "--input-shape", "Attention=2,4,36")
    # each at its own field default, the view that reads it related (engine/config_fields.py)
    heads_line, kv_heads_line = _line_of(KV_HEADS, "n_head: int = 8"), _line_of(KV_HEADS, "n_kv_head: int = 8")
    assert [(e["code"], e["line"]) for e in errors] == [("SHP007", heads_line), ("SHP007", kv_heads_line)], \
        [e["message"] for e in errors]
    assert "(also at" not in errors[0]["message"] and q_line in {r["line"] for r in errors[0]["related"]}
    assert errors[1]["message"].endswith(f"(also at line {v_line})"), errors[1]["message"]
    assert {k_line, v_line} <= {r["line"] for r in errors[1]["related"]}
    (e,) = _errors(tmp_path, "kv_only.py", kv_only, "--input-shape", "Attention=2,4,36")
    assert e["line"] == kv_heads_line
    assert _errors(tmp_path, "both_fixed.py", both_fixed, "--input-shape", "Attention=2,4,36") == []


def test_a_width_read_again_between_the_views_keeps_each_view(tmp_path):
    # C bound twice: which binding each view reads is another place, so no view speaks for the other
    source = KV_HEADS.replace("k = k.view(", "B, T, C = k.shape\n        k = k.view(").replace("n_kv_head", "n_head")
    errors = _errors(tmp_path, "rebound.py", source, "--input-shape", "Attention=2,4,36")
    assert len(errors) == 3, [e["message"] for e in errors]


# One memory as key and value with one wrong number for both: one finding, both edits (composite.py)

SEQ2SEQ = os.path.join(ROOT, "fixtures", "modern", "seq2seq_attn_bad.py")


def _apply(source: str, edits) -> str:
    lines = source.splitlines(keepends=True)
    for e in sorted(edits, key=lambda e: (e["line"], e["column"]), reverse=True):
        assert e["line"] == e["end_line"]
        ln = lines[e["line"] - 1]
        lines[e["line"] - 1] = ln[:e["column"] - 1] + e["content"] + ln[e["end_column"] - 1:]
    return "".join(lines)


def _seq2seq_outcome(source):
    from torch_oracle import InputSpec, run_model

    inputs = [InputSpec("src", [2, 6], "long"), InputSpec("trg", [2, 4], "long")]
    return run_model(source, "Seq2SeqAttn", [], filename=SEQ2SEQ, inputs=inputs)


@pytest.mark.torch
def test_one_memory_as_key_and_value_is_one_finding_that_sets_kdim_and_vdim(tmp_path):
    with open(SEQ2SEQ, encoding="utf-8") as fh:
        source = fh.read()
    assert _seq2seq_outcome(source).verdict == "crash"
    errors = _errors(tmp_path, "seq2seq_attn_bad.py", source)
    assert len(errors) == 1, [e["message"] for e in errors]  # it was one for kdim and one for vdim
    (e,) = errors
    assert (e["code"], e["line"], _at(source, e)) == ("SHP002", _line_of(source, "kdim=2 * hid"), "2 * hid")
    # by arithmetic: the encoder GRU's hidden size is hid=16, kdim and vdim are 2 * 16
    assert e["message"].startswith("cross expects 32 input features (kdim and vdim) but receives 16"), e["message"]
    fixed = _apply(source, e["fix"]["edits"])
    assert "kdim=16, vdim=16" in fixed
    assert _seq2seq_outcome(fixed).verdict == "ok"
    assert _errors(tmp_path, "seq2seq_fixed.py", fixed) == []


@pytest.mark.torch
def test_a_key_and_a_value_from_two_encoders_are_two_findings(tmp_path):
    with open(SEQ2SEQ, encoding="utf-8") as fh:
        source = fh.read()
    two = source.replace(
        "        self.decoder = nn.GRU(emb, hid, batch_first=True)\n",
        "        self.decoder = nn.GRU(emb, hid, batch_first=True)\n        self.values = nn.GRU(emb, hid, batch_first=True)\n",
    ).replace("ctx, _ = self.cross(dec, memory, memory)", "ctx, _ = self.cross(dec, memory, self.values(self.src_emb(src))[0])")
    assert _seq2seq_outcome(two).verdict == "crash"
    only_kdim = two.replace("kdim=2 * hid", "kdim=hid")
    assert _seq2seq_outcome(only_kdim).verdict == "crash"  # the value's width is wrong on its own
    errors = _errors(tmp_path, "two_encoders.py", two)
    assert sorted(_at(two, e) for e in errors) == ["2 * hid", "2 * hid"] and len({e["column"] for e in errors}) == 2
    assert {e["message"].split(" (", 1)[1].split(")")[0] for e in errors} == {"kdim", "vdim"}
