"""A finding about a dataclass config's number sits at that number (issue 16.4, engine/config_fields.py).

`q.view(B, T, self.n_head, C // self.n_head)` with `self.n_head = cfg.n_head` and 8 heads that
do not divide a width of 36: the fix changes the config (the field default `n_head: int = 8`, or
the `n_head=8` of a `Config(n_head=8)` call), so the finding is there and the view torch raises at
is related. Where the number does not provably come from the config (the attribute written again,
a literal in the block) the finding stays at the view. Each case is run in torch: the bad model
raises at the view, and the number at the finding's position, changed to a head count that
divides the width, makes it run.
"""

import json
import os
import textwrap

import pytest
from conftest import ROOT, run_cli

GPT_HEADS = os.path.join(ROOT, "fixtures", "modern", "gpt_heads_bad.py")

BLOCK = textwrap.dedent("""\
    from dataclasses import dataclass

    import torch.nn as nn
    import torch.nn.functional as F


    @dataclass
    class Config:
        n_embd: int = 36
        n_head: int = 6


    class Attention(nn.Module):
        def __init__(self, cfg=Config(n_head=8)):
            super().__init__()
            self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
            self.n_head = cfg.n_head

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
    """)
# the block's attribute written again after it read the config: the config no longer says
REWRITTEN = BLOCK.replace("self.n_head = cfg.n_head\n", "self.n_head = cfg.n_head\n        self.n_head = 8\n") \
    .replace("Config(n_head=8)", "Config()")


def _line_of(source: str, text: str) -> int:
    (line,) = [i for i, ln in enumerate(source.splitlines(), 1) if text in ln]
    return line


def _errors(tmp_path, name, source, *args):
    path = tmp_path / name
    path.write_text(source)
    proc = run_cli("--isolated", "--format", "json", *args, str(path))
    assert proc.returncode in (0, 1), proc.stderr
    return [d for d in json.loads(proc.stdout) if d["severity"] == "error"]


def _replace_at(source: str, e: dict, text: str) -> str:
    """The source with the finding's range replaced by `text` (the fix a user makes there)."""
    lines = source.splitlines(keepends=True)
    assert e["line"] == e["end_line"]
    ln = lines[e["line"] - 1]
    lines[e["line"] - 1] = ln[:e["column"] - 1] + text + ln[e["end_column"] - 1:]
    return "".join(lines)


def _at(source: str, e: dict) -> str:
    return source.splitlines()[e["line"] - 1][e["column"] - 1:e["end_column"] - 1]


@pytest.mark.torch
def test_a_config_call_s_keyword_holds_the_finding(tmp_path):
    from torch_oracle import run_model

    q_line = _line_of(BLOCK, "q = q.view(")
    outcome = run_model(BLOCK, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome
    (e,) = _errors(tmp_path, "block.py", BLOCK, "--input-shape", "Attention=2,4,36")
    assert (e["code"], e["line"], _at(BLOCK, e)) == ("SHP007", _line_of(BLOCK, "Config(n_head=8)"), "8")
    related = {r["line"]: r["message"] for r in e["related"]}
    assert related[q_line].startswith("torch raises at this view"), related
    assert related[_line_of(BLOCK, "self.n_head = cfg.n_head")] == "passed on here as `cfg.n_head`"
    # the number there is the fix: 6 heads divide 36 (the field default 6 is not what runs)
    assert run_model(_replace_at(BLOCK, e, "6"), "Attention", [2, 4, 36]).verdict == "ok"


@pytest.mark.torch
def test_the_gpt_field_default_holds_the_finding_and_is_the_fix(tmp_path):
    from torch_oracle import run_model

    with open(GPT_HEADS, encoding="utf-8") as fh:
        source = fh.read()
    (e,) = _errors(tmp_path, "gpt_heads_bad.py", source)
    assert (e["line"], _at(source, e)) == (_line_of(source, "n_head: int = 8"), "8")
    fixed = _replace_at(source, e, "9")  # 36 // 9 = 4: nine heads hold all 36 values
    assert run_model(fixed, "TinyGPT", [2, 8], filename=GPT_HEADS, int_input=True).verdict == "ok"
    assert _errors(tmp_path, "gpt_heads_fixed.py", fixed) == []


@pytest.mark.torch
def test_an_attribute_written_again_keeps_the_finding_at_the_view(tmp_path):
    from torch_oracle import run_model

    q_line = _line_of(REWRITTEN, "q = q.view(")
    outcome = run_model(REWRITTEN, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome
    (e,) = _errors(tmp_path, "rewritten.py", REWRITTEN, "--input-shape", "Attention=2,4,36")
    assert e["line"] == q_line  # the 8 is the block's own, not the config's (whose default is 6)
    assert "so torch raises at this view" in e["message"]


# A layer's head count read off the config: the finding is at the config's value too

MHA = textwrap.dedent("""\
    from dataclasses import dataclass

    import torch.nn as nn


    @dataclass
    class Config:
        n_embd: int = 36
        n_head: int = 8
        n_hidden: int = 48


    class Block(nn.Module):
        def __init__(self, cfg=Config()):
            super().__init__()
            self.attn = nn.MultiheadAttention(cfg.n_embd, cfg.n_head, batch_first=True)
            self.up = nn.Linear(cfg.n_embd, 32)
            self.down = nn.Linear(cfg.n_hidden, 10)

        def forward(self, x):
            return self.down(self.up(self.attn(x, x, x)[0]))
    """)


def _torch_error(source: str, cls: str, shape) -> str:
    import torch
    from torch_oracle import load

    try:
        getattr(load(source), cls)()(torch.randn(*shape))
    except (AssertionError, RuntimeError) as e:
        return str(e)
    return ""


@pytest.mark.torch
def test_a_layer_s_head_count_from_the_config_is_found_at_the_config():
    assert "divisible by num_heads" in _torch_error(MHA, "Block", (2, 4, 36))  # torch's constructor refuses
    errors = [e for e in _errors_of(MHA) if e["code"] == "SHP007"]
    (e,) = errors
    assert (e["line"], _at(MHA, e)) == (_line_of(MHA, "n_head: int = 8"), "8")
    assert _line_of(MHA, "self.attn =") in {r["line"] for r in e["related"]}
    fixed = _replace_at(MHA, e, "6")
    assert "divisible by num_heads" not in _torch_error(fixed, "Block", (2, 4, 36))


@pytest.mark.torch
def test_a_width_from_the_config_stays_at_the_layer_argument_with_its_edit():
    # Linear(48, 10) after Linear(36, 32): the argument is fixed at the layer, not in the config
    fixed_heads = MHA.replace("n_head: int = 8", "n_head: int = 6")
    assert "mat1 and mat2 shapes cannot be multiplied" in _torch_error(fixed_heads, "Block", (2, 4, 36))
    (e,) = _errors_of(fixed_heads)
    assert (e["code"], e["line"], _at(fixed_heads, e)) == ("SHP002", _line_of(fixed_heads, "self.down ="), "cfg.n_hidden")
    assert e["fix"] is not None and [x["content"] for x in e["fix"]["edits"]] == ["32"]
    assert _torch_error(_replace_at(fixed_heads, e, "32"), "Block", (2, 4, 36)) == ""


def _errors_of(source):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "block.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(source)
        proc = run_cli("--isolated", "--format", "json", "--input-shape", "Block=2,4,36", path)
    assert proc.returncode in (0, 1), proc.stderr
    return [d for d in json.loads(proc.stdout) if d["severity"] == "error"]
