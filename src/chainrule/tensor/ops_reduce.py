"""Reductions over dimensions, each forward with its backward rule right under it.

PyTorch's spelling: ``x.sum(dim, keepdim)``; numpy's ``axis=`` / ``keepdims=`` are accepted too.
``dim=None`` reduces over everything. A rule first puts back the reduced axes (as size 1) so the
gradient broadcasts over the elements that were reduced.
"""

from __future__ import annotations

from typing import NamedTuple

from chainrule import functions
from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, check_dim, make, method, reads_output, shapes_only

__all__ = ["MaxMin"]


def _axes(x: Tensor, dim, axis, keepdim, keepdims):
    """(axis, keepdim) from PyTorch's or numpy's keywords, with the axis checked."""
    dim = axis if dim is None else dim
    keep = bool(keepdim if keepdims is None else keepdims)
    if dim is None:
        return None, keep
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    for d in dims:
        check_dim(x, d)
    return (tuple(dims) if isinstance(dim, (tuple, list)) else dim), keep


def _put_back(g, axis, keepdim):
    """``g`` with the reduced axes back as size 1 (no-op when they were kept)."""
    return g if axis is None or keepdim else xp.expand_dims(g, axis)


# ------------------------------------------------------------------------ sum, mean
@method("sum")
def _sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``sum_i x_i`` over ``dim``; every summed element gets the sum's gradient."""
    axis, keep = _axes(self, dim, axis, keepdim, keepdims)
    return make(self._data.sum(axis=axis, keepdims=keep), (self,), _sum_back, (axis, keep))


@shapes_only
def _sum_back(g, out):
    axis, keepdim = out._saved
    return (xp.broadcast_to(_put_back(g, axis, keepdim), out._inputs[0]._data.shape),)


@method("mean")
def _mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The sum divided by the count of summed elements."""
    total = self.sum(dim, keepdim, axis=axis, keepdims=keepdims)
    return total * (total._data.size / max(1, self._data.size))


# ------------------------------------------------------------------------ var, std
@method("var")
def _var(
    self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """``sum (x - mean)^2 / (N - c)``: unbiased (c = 1, Bessel's correction) by default as in
    PyTorch; ``unbiased=False`` or ``correction=0`` divides by N. d var / dx_i =
    2 (x_i - mean) / (N - c) (the mean's own change sums to zero)."""
    axis, keep = _axes(self, dim, axis, keepdim, keepdims)
    c = (1 if unbiased else 0) if correction is None else correction
    centred = self._data - self._data.mean(axis=axis, keepdims=True)
    n = self._data.size // max(1, centred.mean(axis=axis, keepdims=True).size)
    if n - c <= 0:
        raise InputError(f"var over {n} element(s) with correction {c} divides by {n - c}.")
    value = (centred * centred).sum(axis=axis, keepdims=keep) / (n - c)
    return make(value, (self,), _var_back, (axis, keep, centred, n - c))


def _var_back(g, out):
    axis, keepdim, centred, denominator = out._saved
    return (_put_back(g, axis, keepdim) * (2 / denominator) * centred,)


@method("std")
def _std(
    self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """``sqrt(var)`` with var's arguments (unbiased by default)."""
    return self.var(
        dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
    ).sqrt()


# ------------------------------------------------------------------------ max, min, argmax
class MaxMin(NamedTuple):
    """``x.max(dim)`` returns ``(values, indices)``, as PyTorch does."""

    values: Tensor
    indices: Tensor


@method("amax")
def _amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest element over ``dim``; the gradient is shared equally between ties."""
    axis, keep = _axes(self, dim, axis, keepdim, keepdims)
    return make(self._data.max(axis=axis, keepdims=keep), (self,), _extreme_back, (axis, keep))


@method("amin")
def _amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest element over ``dim``; the gradient is shared equally between ties."""
    axis, keep = _axes(self, dim, axis, keepdim, keepdims)
    return make(self._data.min(axis=axis, keepdims=keep), (self,), _extreme_back, (axis, keep))


@reads_output
def _extreme_back(g, out):
    axis, keepdim = out._saved
    x = out._inputs[0]._data
    m, g = _put_back(out._data, axis, keepdim), _put_back(g, axis, keepdim)
    mask = x == m
    return (mask * (g / mask.sum(axis=axis, keepdims=True)),)


@method("max")
def _max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """With no ``dim``: the largest element (as ``amax``). With ``dim``: ``(values, indices)``
    along it; the gradient goes to the element each index names (the first of ties)."""
    if dim is None and axis is None:
        return self.amax()
    return _pick(self, dim, axis, keepdim, keepdims, xp.argmax)


@method("min")
def _min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """As ``max``, for the smallest."""
    if dim is None and axis is None:
        return self.amin()
    return _pick(self, dim, axis, keepdim, keepdims, xp.argmin)


def _pick(x, dim, axis, keepdim, keepdims, arg):
    axis, keep = _axes(x, dim, axis, keepdim, keepdims)
    index = arg(x._data, axis=axis, keepdims=True)
    values = xp.take_along_axis(x._data, index, axis=axis)
    if not keep:
        values, shown = values.squeeze(axis), index.squeeze(axis)
    else:
        shown = index
    return MaxMin(make(values, (x,), _pick_back, (axis, keep, index)), Tensor(shown))


@shapes_only
def _pick_back(g, out):
    axis, keepdim, index = out._saved
    grad = xp.zeros_like(out._inputs[0]._data)
    xp.put_along_axis(grad, index, _put_back(g, axis, keepdim), axis=axis)
    return (grad,)


@method("argmax")
def _argmax(self, dim=None, keepdim=False):
    """The index of the largest element (over everything, flattened, when ``dim`` is None)."""
    axis = None if dim is None else check_dim(self, dim)
    return Tensor(xp.argmax(self._data, axis=axis, keepdims=keepdim and dim is not None))


@method("argmin")
def _argmin(self, dim=None, keepdim=False):
    """The index of the smallest element (over everything, flattened, when ``dim`` is None)."""
    axis = None if dim is None else check_dim(self, dim)
    return Tensor(xp.argmin(self._data, axis=axis, keepdims=keepdim and dim is not None))


# ------------------------------------------------------------------------ logsumexp, softmax
@method("logsumexp")
def _logsumexp(self, dim, keepdim=False):
    """``log sum_i exp(x_i)`` over ``dim``, shifted by the max so no exponent overflows; its
    derivative is softmax: d/dx_i = exp(x_i - out)."""
    axis, keep = _axes(self, dim, None, keepdim, None)
    m = self._data.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    value = xp.log(xp.exp(self._data - m).sum(axis=axis, keepdims=True)) + m
    return make(value if keep else value.squeeze(axis), (self,), _logsumexp_back, (axis, keep))


@reads_output
def _logsumexp_back(g, out):
    axis, keepdim = out._saved
    x = out._inputs[0]._data
    return (_put_back(g, axis, keepdim) * xp.exp(x - _put_back(out._data, axis, keepdim)),)


@method("softmax")
def _softmax(self, dim=-1, *, axis=None):
    """``e^{x_j} / sum_k e^{x_k}`` along ``dim`` (the shared table's stable form)."""
    axis = check_dim(self, dim if axis is None else axis)
    return make(functions.softmax(self._data, axis), (self,), _softmax_back, (axis,))


@reads_output
def _softmax_back(g, out):  # da_j/dz_k = a_j (delta_jk - a_k)  =>  dz = a (g - sum(g a))
    (axis,) = out._saved
    a = out._data
    return (a * (g - (g * a).sum(axis=axis, keepdims=True)),)


@method("log_softmax")
def _log_softmax(self, dim=-1, *, axis=None):
    """``x_j - logsumexp(x)`` along ``dim``."""
    axis = check_dim(self, dim if axis is None else axis)
    return make(functions.log_softmax(self._data, axis), (self,), _log_softmax_back, (axis,))


@reads_output
def _log_softmax_back(g, out):  # d(z - logsumexp z) = g - softmax(z) sum(g)
    (axis,) = out._saved
    return (g - xp.exp(out._data) * g.sum(axis=axis, keepdims=True),)
