"""Normalization as one node of the graph each: ``layer_norm`` (each sample over its last
dimensions, as in a transformer) and ``batch_norm`` (each channel over the batch), both from
:func:`normalize`, whose backward rule is written out once.
"""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, _data, as_tensor, make, unbroadcast

__all__ = ["batch_norm", "layer_norm", "normalize"]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` over the last
    ``len(normalized_shape)`` dimensions (mean and biased variance of each sample's features;
    ``weight``, ``bias`` of shape ``normalized_shape``). One node (see :func:`normalize`)."""
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if not k or x._data.shape[x.ndim - k :] != shape:
        raise InputError(
            f"layer_norm over {shape} needs input ending in those dimensions, got {x.shape}."
        )
    return normalize(x, tuple(range(x.ndim - k, x.ndim)), weight, bias, eps, shape)[0]


def normalize(x: Tensor, axes: tuple, weight, bias, eps: float, view: tuple):
    """``(y, mean, var)``: ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the mean
    and biased variance over ``axes`` (layer norm: each sample's features; batch norm: the
    batch), ``weight`` and ``bias`` reshaped to ``view`` to broadcast. One node: with
    ``xhat`` the normalized input, ``r = 1/sqrt(var + eps)``, ``h = G weight`` and means over
    ``axes``, ``dL/dx = r (h - mean(h) - xhat mean(h xhat))``, ``dL/dweight = sum G xhat``
    and ``dL/dbias = sum G`` over the dimensions ``weight`` is broadcast along."""
    a = x._data
    mean = a.mean(axis=axes, keepdims=True)
    centered = a - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    rstd = 1.0 / xp.sqrt(var + eps)
    xhat = centered * rstd
    w = None if weight is None else weight._data.reshape(view)
    y = xhat if w is None else xhat * w
    if bias is not None:
        y = y + bias._data.reshape(view)
    inputs = tuple(t for t in (x, weight, bias) if t is not None)
    full = (1,) * (a.ndim - len(view)) + tuple(view)  # the broadcast shape of weight and bias
    saved = (xhat, rstd, axes, w, full)
    out = make(y.astype(a.dtype, copy=False), inputs, _normalize_back, saved)
    return out, mean, var


def _normalize_back(g, out):
    xhat, rstd, axes, w, full = out._saved
    h = g if w is None else g * w
    dx = rstd * (
        h - h.mean(axis=axes, keepdims=True) - xhat * (h * xhat).mean(axis=axes, keepdims=True)
    )
    grads = [dx]
    params = out._inputs[1:]
    if w is not None:
        grads.append(unbroadcast(g * xhat, full).reshape(params[0]._data.shape))
    if len(params) > len(grads) - 1:  # the bias
        grads.append(unbroadcast(g, full).reshape(params[-1]._data.shape))
    return grads


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel of ``(N, C)`` or
    ``(N, C, L)`` input, statistics over N (and L). Training: the batch's mean and biased
    variance (one node, see :func:`normalize`), and the running estimates updated in place as
    ``r <- (1 - momentum) r + momentum * batch`` (the variance's with the unbiased batch
    variance, as PyTorch). Otherwise: the running estimates, constants of the graph."""
    x = as_tensor(input)
    if x.ndim not in (2, 3):
        raise InputError(f"batch_norm expects (N, C) or (N, C, L) input, got shape {x.shape}.")
    c = x.shape[1]
    axes, view = ((0,), (c,)) if x.ndim == 2 else ((0, 2), (c, 1))
    if not training:
        mean = _data(running_mean).reshape(view)
        rstd = 1.0 / xp.sqrt(_data(running_var).reshape(view) + eps)
        y = (x - Tensor(mean.astype(x.dtype))) * Tensor(rstd.astype(x.dtype))
        y = y if weight is None else y * weight.reshape(view)
        return y if bias is None else y + bias.reshape(view)
    n = x._data.size // max(1, c)
    if n < 2:
        raise InputError(
            f"batch norm in training needs more than 1 value per channel, got input {x.shape}; "
            "use a batch of 2 or more, or call .eval() first."
        )
    out, mean, var = normalize(x, axes, weight, bias, eps, view)
    if running_mean is not None:
        m = momentum
        running_mean._data[...] = (1 - m) * running_mean._data + m * mean.reshape(c)
        running_var._data[...] = (1 - m) * running_var._data + m * var.reshape(c) * (n / (n - 1))
    return out
