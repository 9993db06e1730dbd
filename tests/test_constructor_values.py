"""shapelint.torch.constructor_values against real torch: every number it flags, torch rejects
at construction; every number it accepts, torch constructs with."""

import pytest

from shapelint.core.values import ModuleValue
from shapelint.torch.constructor_values import check_layer
from shapelint.torch.modules import LAYERS

# (layer, positional args, keyword args)
FLAGGED = [
    ("Linear", (64, 32.0), {}), ("Linear", (64.0, 32), {}), ("Linear", (64, -1), {}), ("Linear", (-2, 4), {}),
    ("Conv2d", (16, 8.0, 1), {}), ("Conv2d", (16.0, 8, 1), {}), ("Conv2d", (16, -8, 1), {}), ("Conv2d", (-16, 8, 1), {}),
    ("Conv2d", (16, 8, 1.0), {}), ("Conv2d", (16, 8, (3, 3.0)), {}), ("Conv2d", (16, 8, -1), {}),
    ("Conv2d", (16, 8, 3), {"groups": 2.0}), ("Conv2d", (16, 8, 3), {"groups": -1}), ("Conv2d", (16, 8, 3), {"groups": 0}),
    ("Conv1d", (16, 8.0, 1), {}), ("Conv3d", (16, 8.0, 1), {}),
    ("ConvTranspose2d", (16, 8.0, 1), {}), ("ConvTranspose2d", (16.0, 8, 1), {}), ("ConvTranspose2d", (16, -8, 1), {}),
    ("BatchNorm1d", (8.0,), {}), ("BatchNorm2d", (8.0,), {}), ("BatchNorm3d", (4.0,), {}), ("BatchNorm2d", (-1,), {}),
    ("BatchNorm2d", (4.0,), {"affine": False}),
    ("InstanceNorm2d", (8.0,), {"affine": True}), ("InstanceNorm2d", (4.0,), {"track_running_stats": True}),
    ("GroupNorm", (2, 8.0), {}), ("GroupNorm", (2, -8), {}),
    ("LayerNorm", (8.0,), {}), ("LayerNorm", (8.0,), {"elementwise_affine": False}),
    ("Embedding", (10.0, 4), {}), ("Embedding", (10, 4.0), {}), ("Embedding", (-1, 4), {}), ("Embedding", (10, -1), {}),
    ("LSTM", (4, 8.0), {}), ("LSTM", (4.0, 8), {}), ("LSTM", (4, 0), {}), ("LSTM", (0, 8), {}), ("LSTM", (4, -8), {}),
    ("GRU", (4, 8.0), {}), ("GRU", (4, 0), {}), ("RNN", (4, 8.0), {}), ("RNN", (4.0, 8), {}),
    ("Bilinear", (3.0, 4, 5), {}), ("Bilinear", (3, 4.0, 5), {}), ("Bilinear", (3, 4, 5.0), {}),
    ("Bilinear", (-1, 4, 5), {}), ("Bilinear", (3, -1, 5), {}), ("Bilinear", (3, 4, -1), {}),
]
ACCEPTED = [
    ("Linear", (64, 0), {}), ("Linear", (0, 4), {}), ("Linear", (64, 32), {}),
    ("Conv2d", (16, 0, 1), {}), ("Conv2d", (0, 8, 1), {}), ("Conv2d", (16, 8, 0), {}), ("Conv2d", (16, 8, 3), {"stride": 2.0}),
    ("ConvTranspose2d", (16, 0, 1), {}),
    ("BatchNorm2d", (0,), {}), ("BatchNorm2d", (8.0,), {"affine": False, "track_running_stats": False}),
    ("InstanceNorm2d", (8.0,), {}), ("GroupNorm", (2.0, 8), {}), ("GroupNorm", (2, 8.0), {"affine": False}),
    ("LayerNorm", (0,), {}), ("Embedding", (10, 0), {}), ("LSTM", (4, 8), {}),
    ("MaxPool2d", (2.0,), {}), ("Linear", (True, 4), {}),
    ("Bilinear", (3, 4, 5), {}), ("Bilinear", (3, 0, 5), {}), ("Bilinear", (3, 4, 0), {}), ("Bilinear", (3, 4, 5), {"bias": False}),
]


def _flagged(kind, args, kwargs) -> bool:
    spec = LAYERS[kind]
    m = ModuleValue(kind, None, spec=spec)
    names = [p for p, _ in spec.params]
    m.params = dict(spec.params)
    m.params.update(zip(names, args))
    m.params.update(kwargs)
    reported = []

    class Ctx:
        def report(self, finding):
            reported.append(finding)

    flagged = check_layer(Ctx(), m, set())
    assert flagged == bool(reported)
    return flagged


def _case_id(case):
    kind, args, kwargs = case
    return f"{kind}{args}{kwargs or ''}"


@pytest.mark.parametrize("case", FLAGGED, ids=_case_id)
def test_flagged_sizes_raise_in_torch(case):
    torch = pytest.importorskip("torch")
    kind, args, kwargs = case
    assert _flagged(kind, args, kwargs)
    with pytest.raises((TypeError, ValueError, RuntimeError, ZeroDivisionError)):
        getattr(torch.nn, kind)(*args, **kwargs)


@pytest.mark.parametrize("case", ACCEPTED, ids=_case_id)
def test_accepted_sizes_construct_in_torch(case):
    torch = pytest.importorskip("torch")
    kind, args, kwargs = case
    assert not _flagged(kind, args, kwargs)
    getattr(torch.nn, kind)(*args, **kwargs)


def test_float_view_sizes_raise_in_torch():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, 8, 4, 4)
    for op in (x.view, x.reshape):
        with pytest.raises(TypeError):
            op(2, 2, 4.0, 4, 4)
