"""PackedSequence against real torch: pack_padded_sequence, an RNN run on the packed sequence,
pad_packed_sequence (shapelint/torch/packed_sequence.py).

Each case is a small model; torch's forward hooks record every submodule's output, and
shapelint's explain rows for the same submodules must equal them or be unknown (never another
shape). Where torch raises, shapelint reports an error; where it runs, shapelint reports none.
"""

import json
import os
import tempfile

import pytest
from conftest import run_cli
from shape_compare import contradicts, known, rows_by_module
from torch_oracle import run_model

pytestmark = pytest.mark.torch

TEMPLATE = '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Net(nn.Module):  # shapelint: input={shape}
    def __init__(self):
        super().__init__()
        self.rnn = nn.{kind}({features}, 6, num_layers={layers}, bidirectional={bi}, batch_first={bf})
        self.head = nn.Linear({head_in}, 3)
        self.state_head = nn.Linear({state_in}, 3)

    def forward(self, x):
        lengths = torch.full(({batch},), {time}, dtype=torch.long)
        packed = pack_padded_sequence(x, lengths{pack_args})
        out, state = self.rnn(packed)
        h = state[0] if isinstance(state, tuple) else state
        padded, out_lengths = pad_packed_sequence(out{pad_args})
        return self.head({read}), self.state_head(h[-1])
'''


def case(kind="LSTM", shape=(2, 5, 4), features=4, layers=1, bi=False, bf=True, head_in=None, state_in=6,
         pack_args=", batch_first=True", pad_args=", batch_first=True", read="padded", lengths_batch=None):
    batch, time = (shape[0], shape[1]) if "batch_first=True" in pack_args else (shape[1], shape[0])
    head_in = head_in if head_in is not None else (12 if bi else 6)
    return dict(kind=kind, shape=tuple(shape), features=features, layers=layers, bi=bi, bf=bf, head_in=head_in,
                state_in=state_in, pack_args=pack_args, pad_args=pad_args, read=read,
                batch=lengths_batch if lengths_batch is not None else batch, time=time)


CASES = [
    case(),
    case(kind="GRU", layers=2, bi=True),
    case(kind="RNN", shape=(5, 2, 4), bf=False, pack_args="", pad_args=""),
    # the layer's batch_first does not matter for packed input: the packing decides the layout
    case(kind="GRU", shape=(5, 2, 4), bf=True, pack_args="", pad_args=", batch_first=True"),
    case(pad_args=", batch_first=True, total_length=7"),
    case(shape=(5, 2, 4), pack_args="", pad_args=", total_length=x.size(0)"),
    case(read="padded.sum(dim=1)"),  # the padded length is max(lengths): unknown, summed away
    case(read="out.data"),  # (sum(lengths), hidden): the count is unknown
    case(kind="LSTM", layers=3, bi=True, read="padded[:, -1]"),
    # input_size 5 on 4 features: torch does not check it on packed data and, with 2 * 5 * 4
    # values, reads them as 8 rows of 5 and runs; no finding (and unknown shapes) is the sound answer
    case(features=5),
    case(kind="GRU", bi=True, head_in=6),  # two directions: 12 features reach a Linear of 6
    case(state_in=12),  # the state is (layers * dirs, B, 6)
]


def _ids(c):
    return f"{c['kind']}-{c['shape']}-bi{c['bi']}-bf{c['bf']}{c['pack_args']}{c['pad_args']}-read:{c['read']}-f{c['features']}-h{c['head_in']}-s{c['state_in']}"


def _static(source):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w") as f:
            f.write(source)
        explain = run_cli("--isolated", "--no-cache", "--exit-zero", "--explain", "--format", "json", path)
        lint = run_cli("--isolated", "--no-cache", path)
    return json.loads(explain.stdout)["models"][0], lint


@pytest.mark.parametrize("c", CASES, ids=[_ids(c) for c in CASES])
def test_packed_sequence_matches_torch(c):
    source = TEMPLATE.format(**c)
    real = run_model(source, "Net", list(c["shape"]))
    model, lint = _static(source)
    if real.verdict == "crash":
        assert lint.returncode == 1 and "SHP" in lint.stdout, (real.error, lint.stdout)
        return
    assert real.verdict in ("ok", "batch-changed"), real.error  # a time-first output is no error
    assert lint.returncode == 0, lint.stdout
    rows, _ = rows_by_module(model)
    for name, calls in real.shapes.items():
        for static, shape in zip(rows.get(name, []), calls):
            assert not contradicts(static, shape), (name, static, shape)
    if c["features"] != c["shape"][-1]:
        assert not any(known(s) for s in rows.get("state_head", []))  # not followed
        return
    if "total_length" in c["pad_args"] or c["read"] == "padded[:, -1]":  # else max(lengths): unknown
        assert known(rows["head"][0]) and rows["head"][0] == real.shapes["head"][0]
    assert rows["state_head"][0] == real.shapes["state_head"][0]


def test_lengths_of_another_batch_leave_the_packing_unknown():
    # torch packs len(lengths) sequences (2 of 3 here) without raising: the batch is not the input's
    c = case(shape=(3, 5, 4), lengths_batch=2, pack_args=", batch_first=True, enforce_sorted=False")
    source = TEMPLATE.format(**c)
    real = run_model(source, "Net", list(c["shape"]))
    assert real.verdict in ("ok", "batch-changed"), real.error
    model, lint = _static(source)
    assert lint.returncode == 0, lint.stdout
    rows, _ = rows_by_module(model)
    assert not any(known(s) for s in rows.get("state_head", []))
