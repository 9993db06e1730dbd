"""Ops of speech, time-series and recommender models against real torch: nn.GLU / F.glu,
nn.EmbeddingBag, pad_sequence / pack_sequence, torch.triu_indices / tril_indices, and
`x.repeat` with fewer counts than dims (shapelint/torch/gated_units.py, embedding_bag.py,
sequence_lists.py, triangle_indices.py, functions.py).

Each case is a one-expression model whose value passes an nn.Identity `probe`; torch's forward
hook gives the probe's shape. Where torch runs, shapelint reports nothing and its probe row is
torch's shape ("known") or not known at all ("unknown"); where torch raises, shapelint reports
the rule named ("SHPxxx") or, for a case it does not model, nothing ("unknown").
"""

import json
import os
import tempfile

import pytest
from conftest import run_cli
from shape_compare import contradicts, known, rows_by_module
from torch_oracle import run_model

from shapelint.core.symbolic import Expr, mul
from shapelint.core.values import Tensor
from shapelint.torch.gated_units import glu_core
from shapelint.torch.spec import Site
from shapelint.torch.triangle_indices import triangle_count

TEMPLATE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence, pad_sequence


class Net(nn.Module):  # shapelint: input={shape}
    def __init__(self):
        super().__init__()
        self.probe = nn.Identity()
        self.layer = {layer}

    def forward(self, x):
        return self.probe({expr})
'''

S3 = (2, 6, 4)
CASES = [
    # GLU: the dim halved; an odd size is torch's RuntimeError
    ("nn.GLU(dim=1)", "self.layer(x)", S3, "known"),
    ("nn.GLU()", "self.layer(x)", S3, "known"),
    ("nn.GLU(-3)", "self.layer(x)", S3, "known"),  # the declared batch, halved
    ("nn.GLU(0)", "self.layer(x)", (3, 6, 4), "SHP006"),
    ("nn.GLU(-3)", "self.layer(x.transpose(0, 1))", S3, "known"),
    ("nn.Identity()", "F.glu(x, 1)", S3, "known"),
    ("nn.Identity()", "F.glu(x, dim=-1)", (2, 3, 8), "known"),
    ("nn.GLU(dim=1)", "self.layer(x)", (2, 5, 4), "SHP006"),
    ("nn.Identity()", "F.glu(x)", (2, 4, 3), "SHP006"),
    ("nn.Identity()", "F.glu(x, 3)", S3, "SHP012"),
    # EmbeddingBag: (B, N) bags, or 1-D indices with offsets
    ("nn.EmbeddingBag(10, 5)", "self.layer(torch.arange(8).view(2, 4))", S3, "known"),
    ("nn.EmbeddingBag(10, 5, mode='max')", "self.layer(torch.arange(8).view(4, 2))", S3, "known"),
    ("nn.EmbeddingBag(10, 5, mode='sum')", "self.layer(torch.arange(8), torch.tensor([0, 3, 5]))", S3, "known"),
    ("nn.EmbeddingBag(10, 5, include_last_offset=True)", "self.layer(torch.arange(8), torch.tensor([0, 3, 8]))", S3, "known"),
    ("nn.EmbeddingBag(10, 5, mode='sum')", "self.layer(torch.arange(8).view(2, 4), per_sample_weights=torch.ones(2, 4))", S3, "known"),
    # torch raises for these; shapelint does not model them: no finding, unknown
    ("nn.EmbeddingBag(10, 5)", "self.layer(torch.arange(8).view(2, 4), per_sample_weights=torch.ones(2, 4))", S3, "unknown"),
    ("nn.EmbeddingBag(10, 5)", "self.layer(torch.arange(8).view(2, 4), torch.tensor([0, 1]))", S3, "unknown"),
    ("nn.EmbeddingBag(10, 5)", "self.layer(torch.arange(8))", S3, "unknown"),
    ("nn.Identity()", "F.embedding_bag(torch.arange(8).view(2, 4), torch.randn(10, 3))", S3, "known"),
    ("nn.Identity()", "F.embedding_bag(torch.arange(8), torch.randn(10, 3), torch.tensor([0, 3, 5]), mode='max')", S3, "known"),
    ("nn.Identity()", "F.embedding_bag(torch.arange(8), torch.randn(10, 3), torch.tensor([0, 3, 8]), include_last_offset=True)", S3, "known"),
    ("nn.Identity()", "F.embedding_bag(torch.arange(8), torch.randn(10, 3))", S3, "unknown"),  # torch: offsets needed
    # pad_sequence / pack_sequence
    ("nn.Identity()", "pad_sequence([x[0, :5], x[1, :3]], batch_first=True)", S3, "known"),
    ("nn.Identity()", "pad_sequence([x[0, :5], x[1, :3], x[0]])", S3, "known"),
    ("nn.Identity()", "pad_sequence((x[0, :2], x[1, :3]), padding_side='left')", S3, "known"),
    ("nn.Identity()", "pad_sequence(x)", S3, "known"),
    ("nn.Identity()", "nn.utils.rnn.pad_sequence(x, True)", S3, "known"),
    ("nn.Identity()", "pad_sequence([x[0, :, :2], x[1, :, :3]])", S3, "unknown"),
    ("nn.GRU(4, 8)", "pad_packed_sequence(self.layer(pack_sequence([x[0, :5], x[1, :3]]))[0])[0]", S3, "known"),
    ("nn.GRU(4, 8, batch_first=True)", "self.layer(pack_sequence([x[0, :2], x[1, :5]], enforce_sorted=False))[1]", S3, "known"),
    ("nn.LSTM(4, 8)", "pad_packed_sequence(self.layer(pack_sequence([x[0, :2], x[1, :5]], False))[0], True)[0]", S3, "known"),
    ("nn.GRU(4, 8)", "self.layer(pack_sequence([x[0, :2], x[1, :5]]))[1]", S3, "unknown"),  # unsorted: torch raises
    # RNN cells (shapelint/torch/rnn_cells.py)
    ("nn.LSTMCell(4, 6)", "self.layer(x[:, 0])[0]", S3, "known"),
    ("nn.LSTMCell(4, 6, bias=False)", "self.layer(x[:, 0], (torch.zeros(2, 6), torch.ones(2, 6)))[1]", S3, "known"),
    ("nn.GRUCell(4, 6)", "self.layer(x[:, 0], torch.zeros(2, 6))", S3, "known"),
    ("nn.RNNCell(4, 6, nonlinearity='relu')", "self.layer(x[0, 0])", S3, "known"),
    ("nn.GRUCell(5, 6)", "self.layer(x[:, 0])", S3, "SHP002"),
    ("nn.GRUCell(4, 6)", "self.layer(x[:, 0], torch.zeros(2, 5))", S3, "SHP006"),
    ("nn.LSTMCell(4, 6)", "self.layer(x[:, 0], (torch.zeros(2, 6), torch.zeros(3, 6)))[1]", S3, "SHP006"),
    ("nn.RNNCell(4, 6)", "self.layer(x)", S3, "SHP009"),
    # loss layers (shapelint/torch/loss_modules.py)
    ("nn.CrossEntropyLoss()", "self.layer(x.flatten(0, 1), torch.zeros(12, dtype=torch.long))", S3, "known"),
    ("nn.CrossEntropyLoss(reduction='none', label_smoothing=0.1)", "self.layer(x.transpose(1, 2), torch.zeros(2, 6, dtype=torch.long))", S3, "known"),
    ("nn.NLLLoss(None, None, -100, None, 'none')", "self.layer(x.transpose(1, 2), torch.zeros(2, 6, dtype=torch.long))", S3, "known"),
    ("nn.CrossEntropyLoss()", "self.layer(x.flatten(0, 1), torch.zeros(7, dtype=torch.long))", S3, "SHP006"),
    ("nn.MSELoss(reduction='none')", "self.layer(x, x[0])", S3, "known"),
    ("nn.HuberLoss(delta=0.5)", "self.layer(x, x)", S3, "known"),
    ("nn.BCELoss(reduction='none')", "self.layer(torch.sigmoid(x), torch.ones(2, 6, 4))", S3, "known"),
    ("nn.BCEWithLogitsLoss()", "self.layer(x, torch.ones(2, 6, 4))", S3, "known"),
    ("nn.BCEWithLogitsLoss()", "self.layer(x, torch.ones(2, 6, 1))", S3, "SHP006"),
    ("nn.Identity()", "F.binary_cross_entropy(torch.sigmoid(x), torch.ones(6, 4))", S3, "SHP006"),
    ("nn.CTCLoss(reduction='none')", "self.layer(F.log_softmax(x, -1), torch.ones(6, 2, dtype=torch.long), torch.full((6,), 5, dtype=torch.long), torch.full((6,), 2, dtype=torch.long))", (5, 6, 4), "known"),
    # triangle indices, and the pairwise pick of a DLRM interaction
    ("nn.Identity()", "torch.triu_indices(4, 4, offset=1)", S3, "known"),
    ("nn.Identity()", "torch.triu_indices(3, 5, 2)", S3, "known"),
    ("nn.Identity()", "torch.tril_indices(3, 5, -1)", S3, "known"),
    ("nn.Identity()", "torch.tril_indices(4, 3, offset=7)", S3, "known"),
    ("nn.Identity()", "torch.triu_indices(0, 3)", S3, "known"),
    ("nn.Identity()", "torch.triu_indices(3, 3, dtype=torch.int32)", S3, "known"),
    ("nn.Identity()", "x[:, torch.triu_indices(6, 4, 1)[0], torch.triu_indices(6, 4, 1)[1]]", (2, 6, 4), "known"),
    ("nn.Identity()", "torch.triu_indices(3, 3, dtype=torch.float)", S3, "unknown"),
    # repeat: fewer counts than dims is torch's RuntimeError
    ("nn.Identity()", "x.repeat(1, 2, 1)", S3, "known"),
    ("nn.Identity()", "x.repeat(2, 1, 1, 3)", S3, "known"),
    ("nn.Identity()", "x[:, 0:1, :].repeat(1, x.size(1), 1)", S3, "known"),
    ("nn.Identity()", "x.repeat(2)", S3, "SHP009"),
    ("nn.Identity()", "x.repeat(2, 2)", S3, "SHP009"),
    ("nn.Identity()", "x.repeat(x.shape[1:])", S3, "SHP009"),
    ("nn.Identity()", "x[0, 0].repeat(3)", S3, "known"),
    # elementwise ops (shapelint/torch/pointwise_ops.py)
    ("nn.Identity()", "x.clamp_min(1e-5).log1p()", S3, "known"),
    ("nn.Identity()", "torch.clamp_max(x, 1).expm1().reciprocal()", S3, "known"),
    ("nn.Identity()", "x[torch.isnan(x).logical_not()]", S3, "unknown"),  # a mask's count is the values'
    ("nn.Identity()", "torch.isinf(x).logical_not().float()", S3, "known"),
    ("nn.Identity()", "torch.logaddexp(x, x[:, :1])", S3, "known"),
    ("nn.Identity()", "torch.logical_and(x > 0, x[0] < 1).float()", S3, "known"),
    ("nn.Identity()", "torch.logaddexp(x, x[:, :2])", S3, "SHP006"),
    ("nn.Identity()", "torch.logaddexp(x, 1.0)", S3, "unknown"),  # torch: `other` must be a Tensor
    ("nn.Identity()", "torch.lerp(x, x[0], x[:, :1, :1])", S3, "known"),
    ("nn.Identity()", "x.floor_divide(2) + torch.xlogy(x, x[0])", S3, "known"),
    # spectral ops (shapelint/torch/spectral_ops.py)
    ("nn.Identity()", "torch.fft.rfft(x, dim=1).abs()", S3, "known"),
    ("nn.Identity()", "torch.fft.rfft(x, n=5).real", S3, "known"),
    ("nn.Identity()", "torch.fft.irfft(torch.fft.rfft(x, dim=1) * torch.conj(torch.fft.rfft(x, dim=1)), n=6, dim=1)", S3, "known"),
    ("nn.Identity()", "torch.fft.irfft(torch.fft.rfft(x))", S3, "known"),
    ("nn.Identity()", "torch.fft.fft(x, n=7, dim=1).imag", S3, "known"),
    ("nn.Identity()", "torch.fft.ifft(x).real + torch.fft.fftshift(x)", S3, "known"),
    ("nn.Identity()", "torch.fft.rfft2(x).abs()", S3, "known"),
    ("nn.Identity()", "torch.view_as_real(torch.fft.rfft(x))", S3, "known"),
    ("nn.Identity()", "torch.view_as_real(torch.ones(2, 3))", S3, "unknown"),  # torch raises for a real tensor
    ("nn.Identity()", "x.float().imag", S3, "unknown"),
    ("nn.Identity()", "torch.view_as_complex(x[..., :2].contiguous()).abs()", S3, "known"),
    ("nn.Identity()", "torch.fft.irfft(x[..., :1])", S3, "unknown"),  # torch raises: 0 points
    ("nn.Identity()", "torch.stft(x.flatten(1), 8, hop_length=2, window=torch.hann_window(8), return_complex=True).abs()", S3, "known"),
    ("nn.Identity()", "torch.stft(x[0, 0], 4, return_complex=True).abs()", S3, "known"),
    ("nn.Identity()", "x.flatten(1).stft(6, 3, center=False, return_complex=True).abs()", S3, "known"),
    ("nn.Identity()", "torch.stft(x.flatten(1), 8, 4, win_length=6, onesided=False, return_complex=False)", S3, "known"),
    ("nn.Identity()", "torch.stft(x.flatten(1), 8, 4)", S3, "unknown"),  # torch: return_complex must be given
    ("nn.Identity()", "torch.stft(x[0, 0], 8, center=False, return_complex=True).abs()", S3, "unknown"),  # shorter than n_fft
    ("nn.Identity()", "torch.hamming_window(7, periodic=False) + torch.blackman_window(7)", S3, "known"),
    # linear algebra (shapelint/torch/linalg_ops.py)
    ("nn.Identity()", "torch.inverse(x[:, :4] + 5 * torch.eye(4))", S3, "known"),
    ("nn.Identity()", "torch.linalg.inv(x[:, :4] + 5 * torch.eye(4))", S3, "known"),
    ("nn.Identity()", "torch.slogdet(x[:, :4])[1]", S3, "known"),
    ("nn.Identity()", "torch.linalg.slogdet(x[:, :4]).logabsdet + torch.det(x[:, :4])", S3, "known"),
    ("nn.Identity()", "torch.det(x)", S3, "unknown"),  # not square: torch raises
    ("nn.Identity()", "torch.linalg.qr(x)[0]", S3, "known"),
    ("nn.Identity()", "torch.linalg.qr(x, mode='complete')[0] @ torch.linalg.qr(x, mode='complete')[1]", S3, "known"),
    ("nn.Identity()", "torch.linalg.qr(x.transpose(1, 2))[1]", S3, "known"),
    ("nn.Identity()", "torch.linalg.svd(x)[0]", S3, "known"),
    ("nn.Identity()", "torch.linalg.svd(x).Vh + torch.linalg.qr(x[:, :4]).R + torch.linalg.eigh(x[:, :4]).eigenvectors", S3, "known"),
    ("nn.Identity()", "torch.linalg.svd(x, full_matrices=False)[2]", S3, "known"),
    ("nn.Identity()", "torch.linalg.svdvals(x)", S3, "known"),
    ("nn.Identity()", "torch.linalg.eigh(x[:, :4] @ x[:, :4].transpose(1, 2))[1]", S3, "known"),
    ("nn.Identity()", "torch.linalg.eigvalsh(x[:, :4] @ x[:, :4].transpose(1, 2))", S3, "known"),
    ("nn.Identity()", "torch.linalg.norm(x, dim=-1)", S3, "known"),
    ("nn.Identity()", "torch.linalg.norm(x, dim=(1, 2), keepdim=True)", S3, "known"),
    ("nn.Identity()", "torch.linalg.vector_norm(x, ord=1, dim=(0, 2))", S3, "known"),
    ("nn.Identity()", "torch.linalg.vector_norm(x) + torch.linalg.matrix_norm(x)[0]", S3, "known"),
    ("nn.Identity()", "torch.linalg.norm(x, 2)", S3, "unknown"),  # torch raises for a 3-D input with ord, no dim
    # index makers and the CTC loss (shapelint/torch/index_makers.py)
    ("nn.Identity()", "torch.bucketize(x, torch.tensor([0.0, 1.0])).float()", S3, "known"),
    ("nn.Identity()", "torch.bucketize(x, torch.tensor([0.0, 1.0]), out_int32=True).float()", S3, "known"),
    ("nn.Identity()", "x.bucketize(torch.tensor([0.0, 1.0]))", S3, "unknown"),  # no such tensor method
    ("nn.Identity()", "torch.searchsorted(torch.tensor([0.0, 1.0]), x).float()", S3, "known"),
    ("nn.Identity()", "torch.searchsorted(x.sort(dim=-1)[0], x[..., :2], right=True).float()", S3, "known"),
    ("nn.Identity()", "torch.searchsorted(x[:, :5], x)", S3, "unknown"),  # torch raises: leading dims differ
    ("nn.Identity()", "torch.cartesian_prod(torch.arange(3), torch.arange(2), torch.arange(4)).float()", S3, "known"),
    ("nn.Identity()", "torch.cartesian_prod(torch.arange(5)).float()", S3, "known"),
    ("nn.Identity()", "F.ctc_loss(F.log_softmax(x, -1), torch.ones(6, 2, dtype=torch.long), torch.full((6,), 2, dtype=torch.long), torch.full((6,), 2, dtype=torch.long), reduction='none')", (5, 6, 4), "known"),
    ("nn.Identity()", "F.ctc_loss(F.log_softmax(x, -1), torch.ones(6, 2, dtype=torch.long), torch.full((6,), 2, dtype=torch.long), torch.full((6,), 2, dtype=torch.long))", (5, 6, 4), "known"),
    # dims removed, moved or resized (shapelint/torch/dim_ops.py)
    ("nn.Identity()", "x.any(dim=1).float()", S3, "known"),
    ("nn.Identity()", "torch.all(x > 0, dim=(0, 2), keepdim=True).float()", S3, "known"),
    ("nn.Identity()", "x.count_nonzero(dim=1).float()", S3, "known"),
    ("nn.Identity()", "x.argsort(dim=1, descending=True).float()", S3, "known"),
    ("nn.Identity()", "torch.argsort(x, 3)", S3, "SHP012"),
    ("nn.Identity()", "torch.diff(x, dim=1)", S3, "known"),
    ("nn.Identity()", "x.diff(n=9, dim=1)", S3, "known"),
    ("nn.Identity()", "x.movedim(1, 2)", S3, "known"),
    ("nn.Identity()", "torch.movedim(x, (0, 1), (2, 0))", S3, "known"),
    ("nn.Identity()", "x.movedim((0, 0), (1, 2))", S3, "unknown"),
    ("nn.Identity()", "x.select(1, -1)", S3, "known"),
    ("nn.Identity()", "x.select(1, 9)", S3, "unknown"),
    ("nn.Identity()", "x.diagonal(offset=1, dim1=1, dim2=2)", S3, "known"),
    ("nn.Identity()", "torch.diagonal(x, -2, 2, 1)", S3, "known"),
    ("nn.Identity()", "x.tile(2)", S3, "known"),
    ("nn.Identity()", "torch.tile(x, (2, 1, 1, 3))", S3, "known"),
    ("nn.Identity()", "x[0, :1].broadcast_to(3, 2, 6, 4)", S3, "known"),
    ("nn.Identity()", "torch.broadcast_to(x[0], (2, -1, 4))", S3, "known"),
    ("nn.Identity()", "F.cosine_similarity(x, x[:1], dim=-1)", S3, "known"),
    ("nn.Identity()", "torch.cosine_similarity(x[0, 0], x[1, 0], dim=0)", S3, "known"),
    ("nn.Identity()", "F.cosine_similarity(x[0], x[1], dim=2)", S3, "SHP012"),
    ("nn.Identity()", "F.pairwise_distance(x, x[0], keepdim=True)", S3, "known"),
    ("nn.Identity()", "F.pairwise_distance(x[0, 0], x[1, 0])", S3, "known"),
    ("nn.Identity()", "torch.take_along_dim(x, x[:1, :3, :1].long(), dim=1)", S3, "known"),
    ("nn.Identity()", "torch.take_along_dim(x, x[0].long(), dim=1)", S3, "unknown"),
    ("nn.Identity()", "x.unfold(-1, 2, 1)", S3, "known"),
    ("nn.Identity()", "x.unfold(dimension=1, size=4, step=3)", S3, "known"),
    ("nn.Identity()", "x.unfold(1, 6, 2)", S3, "known"),
    ("nn.Identity()", "x.unfold(1, 7, 1)", S3, "unknown"),  # torch raises: the window is longer
    ("nn.Identity()", "x.mT", S3, "known"),
]


def _static(source):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w") as f:
            f.write(source)
        explain = run_cli("--isolated", "--no-cache", "--exit-zero", "--explain", "--format", "json", path)
        lint = run_cli("--isolated", "--no-cache", path)
    return json.loads(explain.stdout)["models"][0], lint


@pytest.mark.torch
@pytest.mark.parametrize("layer, expr, shape, expect", CASES, ids=[f"{c[0]}|{c[1]}|{c[2]}" for c in CASES])
def test_sequence_model_op_matches_torch(layer, expr, shape, expect):
    source = TEMPLATE.format(layer=layer, expr=expr, shape=shape)
    real = run_model(source, "Net", list(shape))
    model, lint = _static(source)
    if expect.startswith("SHP"):
        assert real.verdict == "crash", real.verdict
        assert lint.returncode == 1 and f" {expect} " in lint.stdout, lint.stdout
        return
    assert lint.returncode == 0, lint.stdout
    static = rows_by_module(model)[0].get("probe", [None])[0]
    if real.verdict == "crash":
        assert expect == "unknown" and not known(static), (real.error, static)
        return
    torch_shape = real.shapes["probe"][0]
    assert not contradicts(static, torch_shape), (static, torch_shape)
    assert known(static) == (expect == "known"), (static, torch_shape)
    if expect == "known":
        assert static == torch_shape


@pytest.mark.torch
def test_embedding_bag_parameters_match_torch():
    import torch

    source = TEMPLATE.format(layer="nn.EmbeddingBag(11, 7, mode='sum')", expr="self.layer(torch.arange(6).view(3, 2))", shape=S3)
    model, _ = _static(source)
    row = next(r for r in model["summary"]["modules"] if r["module"] == "layer")
    expected = sum(p.numel() for p in torch.nn.EmbeddingBag(11, 7, mode="sum").parameters())
    assert (row["params"], row["trainable"], row["macs"]) == (expected, expected, 0)


@pytest.mark.torch
@pytest.mark.parametrize("layer", ["nn.LSTMCell(4, 6)", "nn.GRUCell(4, 6, bias=False)", "nn.RNNCell(4, 6)"])
def test_rnn_cell_parameters_match_torch(layer):
    import torch
    from torch import nn  # noqa: F401 - the layer's text names it

    source = TEMPLATE.format(layer=layer, expr="self.layer(x[:, 0])", shape=S3)
    model, _ = _static(source)
    row = next(r for r in model["summary"]["modules"] if r["module"] == "layer")
    assert row["params"] == sum(p.numel() for p in eval(layer, {"nn": torch.nn}).parameters())


@pytest.mark.torch
def test_loss_layers_register_nothing_without_a_weight():
    source = TEMPLATE.format(layer="nn.MSELoss()", expr="self.layer(x, x)", shape=S3)
    row = next(r for r in _static(source)[0]["summary"]["modules"] if r["module"] == "layer")
    assert (row["params"], row["buffers"]) == (0, 0)
    weighted = TEMPLATE.format(layer="nn.CrossEntropyLoss(weight=torch.ones(4))", expr="self.layer(x[:, 0], torch.zeros(2, dtype=torch.long))", shape=S3)
    row = next(r for r in _static(weighted)[0]["summary"]["modules"] if r["module"] == "layer")
    assert row["buffers"] is None  # torch registers the weight as a buffer: not counted, so unknown


@pytest.mark.torch
@pytest.mark.parametrize("row, col, offset", [(4, 4, 1), (3, 5, -2), (5, 3, 0), (1, 6, 4), (6, 2, -9), (0, 2, 0), (3, 3, 3)])
def test_triangle_count_is_torchs(row, col, offset):
    import torch

    assert triangle_count(row, col, offset, True) == torch.triu_indices(row, col, offset).shape[1]
    assert triangle_count(row, col, offset, False) == torch.tril_indices(row, col, offset).shape[1]


class _Ctx:
    batch, declared_batch = Expr.symbol("B"), None

    def report(self, finding):  # pragma: no cover - a symbolic size is never reported
        raise AssertionError(finding)


def test_glu_of_a_symbolic_size_halves_only_a_certain_multiple_of_two():
    c = Expr.symbol("C")
    site = Site("F.glu", None)
    assert glu_core(_Ctx(), site, Tensor((2, mul(2, c))), 1).shape == (2, c)
    odd_or_even = glu_core(_Ctx(), site, Tensor((2, c)), 1).shape
    assert odd_or_even[0] == 2 and isinstance(odd_or_even[1], Expr) and odd_or_even[1].is_opaque()
