"""Spectral ops of audio and time-series models: torch.fft.*, torch.stft, windows, complex views.

torch 2.13 semantics (tests/test_sequence_model_ops.py checks each against torch):
- fft / ifft(input, n=None, dim=-1): dim becomes n (its own size without n);
  rfft: n // 2 + 1 of n (of the size without n); irfft: n, or 2 * (m - 1) without n;
  fft2 / ifft2 with s=None keep the shape, rfft2 halves the last dim as rfft does;
  fftshift / ifftshift keep it. torch raises for fewer than one point: unknown here;
- stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, ...,
  onesided=None, return_complex=None) of a 1-D (L,) or 2-D (B, L) signal: (B?, freqs, frames),
  freqs = n_fft // 2 + 1 (onesided, the default for a real window) or n_fft, frames =
  1 + (L + 2 * (n_fft // 2) - n_fft) // hop with center (L - n_fft without), hop = n_fft // 4 by
  default; return_complex=False appends 2; return_complex not given is torch's RuntimeError
  for a real input: unknown;
- hann / hamming / blackman / bartlett / kaiser_window(n): (n,);
- `.real` / `.imag` and conj keep the shape (`.imag` of a real tensor raises: unknown);
  view_as_real / view_as_complex: torch/rotary_ops.py.
The complex results carry the dtype kind "complex"; irfft's is "float".
"""

from __future__ import annotations

from ..core.symbolic import Expr, add, floordiv, is_known, mul
from ..core.values import UNKNOWN, Tensor
from .functions import ATTRIBUTES, METHODS, QUALIFIED, TORCH
from .kernels import bind, normalize_dim


_REAL_KINDS = ("float", "long", "int", "bool")


def _size(v) -> bool:
    return is_known(v) or (isinstance(v, Expr) and not v.is_opaque())


def _at_least_one(v) -> bool:
    return (is_known(v) and v >= 1) or (isinstance(v, Expr) and not v.is_opaque())


def _along(x, dim, size_of):
    """x with dim's size m replaced by size_of(m); UNKNOWN where it cannot be told."""
    if not isinstance(x, Tensor) or x.shape is None or not x.shape or type(dim) is not int:
        return UNKNOWN
    d = normalize_dim(dim, len(x.shape))
    if d is None:
        return UNKNOWN
    size = size_of(x.shape[d])
    if size is None:
        return UNKNOWN
    return Tensor(x.shape[:d] + (size,) + x.shape[d + 1:], x.prov[:d] + (None,) + x.prov[d + 1:])


def _one_dim(rule, dtype="complex"):
    """fft-style op(input, n=None, dim=-1, norm=None): rule(points) is the output's size."""

    def op(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), ["input", "n", "dim", "norm"], {"n": None, "dim": -1, "norm": None})
        if b is None:
            return UNKNOWN
        n = b["n"]
        if n is not None and not _at_least_one(n):
            return UNKNOWN
        out = _along(b["input"], b["dim"], lambda m: rule(m, n))
        return out.with_dtype(dtype) if isinstance(out, Tensor) else out

    return op


def _full(m, n):
    return n if n is not None else (m if _at_least_one(m) else None)


def _half(m, n):
    points = _full(m, n)
    return add(floordiv(points, 2), 1) if points is not None else None


def _inverse_half(m, n):
    if n is not None:
        return n
    if is_known(m):
        return 2 * (m - 1) if m >= 2 else None
    return add(mul(2, m), -2) if _size(m) else None


def _two_dims(last_rule):
    def op(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), ["input", "s", "dim", "norm"], {"s": None, "dim": (-2, -1), "norm": None})
        if b is None or b["s"] is not None or tuple(b["dim"]) != (-2, -1):
            return UNKNOWN
        x = b["input"]
        if not isinstance(x, Tensor) or x.shape is None or len(x.shape) < 2 or not _at_least_one(x.shape[-2]):
            return UNKNOWN
        out = _along(x, -1, lambda m: last_rule(m, None))
        return out.with_dtype("complex") if isinstance(out, Tensor) else out

    return op


def _same_shape(ctx, site, args, kwargs):
    return args[0] if args and isinstance(args[0], Tensor) else UNKNOWN


def _window(ctx, site, args, kwargs):
    n = args[0] if args else kwargs.get("window_length")
    return Tensor((n,), dtype="float") if _size(n) and not (is_known(n) and n < 0) else UNKNOWN


def _stft_frames(length, n_fft, hop, center):
    span = add(length, 2 * (n_fft // 2)) if center else length
    if is_known(span) and span < n_fft:
        return None  # torch raises: fewer samples than one window
    return add(floordiv(add(span, -n_fft), hop), 1)


def _stft(ctx, site, args, kwargs):
    names = ["input", "n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "normalized", "onesided", "return_complex"]
    defaults = {k: None for k in names[2:]}
    defaults.update(center=True, pad_mode="reflect", normalized=False)
    b = bind(list(args), dict(kwargs), names, defaults)
    if b is None or not isinstance(b["input"], Tensor) or b["input"].shape is None or len(b["input"].shape) not in (1, 2):
        return UNKNOWN
    x, n_fft = b["input"], b["n_fft"]
    hop = b["hop_length"] if b["hop_length"] is not None else (n_fft // 4 if type(n_fft) is int else None)
    win = b["win_length"] if b["win_length"] is not None else n_fft
    if not all(type(v) is int and v > 0 for v in (n_fft, hop, win)) or win > n_fft:
        return UNKNOWN
    if type(b["center"]) is not bool or type(b["return_complex"]) is not bool or b["onesided"] not in (None, True, False):
        return UNKNOWN
    window = b["window"]
    if window is not None and not (isinstance(window, Tensor) and window.shape is not None and tuple(window.shape) == (win,)):
        return UNKNOWN
    frames = _stft_frames(x.shape[-1], n_fft, hop, b["center"])
    if frames is None:
        return UNKNOWN
    freqs = n_fft if b["onesided"] is False else n_fft // 2 + 1
    out = tuple(x.shape[:-1]) + (freqs, frames) + (() if b["return_complex"] else (2,))
    return Tensor(out, dtype="complex" if b["return_complex"] else "float")


for _name, _op in (("fft", _one_dim(_full)), ("ifft", _one_dim(_full)), ("rfft", _one_dim(_half)),
                   ("irfft", _one_dim(_inverse_half, "float")), ("fft2", _two_dims(_full)), ("ifft2", _two_dims(_full)),
                   ("rfft2", _two_dims(_half)), ("fftshift", _same_shape), ("ifftshift", _same_shape)):
    QUALIFIED[f"torch.fft.{_name}"] = _op
for _name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"):
    TORCH.setdefault(_name, _window)
TORCH.setdefault("stft", _stft)
METHODS.setdefault("stft", _stft)
for _name in ("conj", "conj_physical", "resolve_conj"):
    TORCH.setdefault(_name, _same_shape)
    METHODS.setdefault(_name, _same_shape)
ATTRIBUTES.setdefault("real", lambda ctx, x: x.with_dtype("float" if x.dtype == "complex" else None) if x.shape is not None else UNKNOWN)
# torch raises for `.imag` of a real tensor
ATTRIBUTES.setdefault("imag", lambda ctx, x: x.with_dtype("float" if x.dtype == "complex" else None)
                     if x.shape is not None and x.dtype not in _REAL_KINDS else UNKNOWN)
