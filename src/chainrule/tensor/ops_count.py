"""Truths and counts about a tensor's values, none of them differentiable: ``all``, ``any``,
``equal``, ``bincount``, ``unique``, ``histc``, ``histogram``.

``histc`` and ``histogram`` follow PyTorch's binning. With ``bins`` equal bins over ``[lo, hi]``
(edges ``linspace(lo, hi, bins + 1)`` in the input's dtype) a value x goes to bin
``floor((x - lo) bins / (hi - lo))``, x = hi to the last bin, values outside ``[lo, hi]`` to
none. ``histogram`` then corrects that guess against the edges themselves (a value exactly on an
edge opens the bin to its right), as PyTorch's local search does; given explicit edges it
searches them.
"""

from __future__ import annotations

from typing import NamedTuple

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, _data, as_tensor, check_dim, method
from chainrule.tensor.creation import linspace

__all__ = ["Histogram", "all", "any", "bincount", "equal", "histc", "histogram", "unique"]


# ------------------------------------------------------------------------ all, any, equal
def _truth(x, dim, keepdim, reduce):
    x = as_tensor(x)
    if dim is None:
        return Tensor(reduce(x._data))
    dims = tuple(check_dim(x, d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    axis = dims if x._data.ndim else None
    return Tensor(xp.asarray(reduce(x._data, axis=axis, keepdims=keepdim and x._data.ndim > 0)))


@method()
def all(self, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is nonzero; a bool tensor (``torch.all``)."""
    return _truth(self, dim, keepdim, xp.all)


@method()
def any(self, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some element (along ``dim``) is nonzero; a bool tensor (``torch.any``)."""
    return _truth(self, dim, keepdim, xp.any)


@method()
def equal(self, other) -> bool:
    """True when both have the same shape and the same values (``torch.equal``; dtypes may
    differ, NaN equals nothing)."""
    a, b = xp.asarray(_data(self)), xp.asarray(_data(other))
    return a.shape == b.shape and bool((a == b).all())


# ------------------------------------------------------------------------ bincount, unique
@method()
def bincount(self, weights=None, minlength: int = 0) -> Tensor:
    """How often each whole number ``0..max`` occurs in a 1-D tensor of non-negative integers
    (int64), or the sum of ``weights`` at its occurrences (in the weights' float dtype)."""
    x = xp.asarray(_data(self))
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
        raise InputError(
            f"bincount counts a 1-D tensor of non-negative integers, got {x.dtype} of shape "
            f"{x.shape}."
        )
    if weights is None:
        return Tensor(xp.bincount(x, minlength=minlength).astype(xp.int64))
    w = xp.asarray(_data(weights))
    dtype = w.dtype if w.dtype.kind == "f" else xp.float64
    if w.shape != x.shape:
        raise InputError(f"bincount's weights need the input's shape {x.shape}, got {w.shape}.")
    hist = xp.zeros(max(minlength, int(x.max()) + 1 if x.size else 0), dtype=dtype)
    xp.add.at(hist, x, w.astype(dtype))  # in the data's order, as PyTorch adds them
    return Tensor(hist)


@method()
def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False):
    """The distinct values in increasing order (always sorted); with ``return_inverse`` also
    each element's index into them (input's shape), with ``return_counts`` how often each
    occurs."""
    x = xp.asarray(_data(self))
    values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True)
    extra = [Tensor(inverse.reshape(x.shape))] * return_inverse + [Tensor(counts)] * return_counts
    return (Tensor(values), *extra) if extra else Tensor(values)


# ------------------------------------------------------------------------ histc, histogram
class Histogram(NamedTuple):
    """``torch.histogram`` returns ``(hist, bin_edges)``."""

    hist: Tensor
    bin_edges: Tensor


def _floats(x, name):
    data = xp.asarray(_data(x))
    if data.dtype.kind != "f":
        raise InputTypeError(f"{name} counts floats, not {data.dtype}; pass x.float().")
    return data.reshape(-1)


def _bounds(data, lo, hi, name):
    """``(lo, hi)``, the data's own range when they are equal (widened by 1 each way when the
    data is one value, as PyTorch does), in the data's dtype."""
    lo, hi = float(lo), float(hi)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not lo < hi or not xp.isfinite([lo, hi]).all():
        raise InputError(f"{name} needs a finite range with min < max, got [{lo}, {hi}].")
    return data.dtype.type(lo), data.dtype.type(hi)


def _linear_bins(data, lo, hi, bins: int):
    """Each value's bin by linear interpolation in the data's dtype (-1: outside ``[lo, hi]``)."""
    inside = (data >= lo) & (data <= hi)
    with xp.errstate(invalid="ignore", over="ignore"):  # NaN and inf are outside anyway
        pos = ((data - lo) * data.dtype.type(bins) / (hi - lo)).astype(xp.int64)
    pos = xp.minimum(pos, bins - 1)
    return xp.where(inside, pos, -1)


def _count(pos, bins: int, weight, dtype):
    """Ones (or the weights) added into each value's bin, in the data's dtype and in the data's
    order, as PyTorch adds them."""
    kept = pos >= 0
    if weight is None:
        return xp.bincount(pos[kept], minlength=bins).astype(dtype)
    hist = xp.zeros(bins, dtype=dtype)
    xp.add.at(hist, pos[kept], weight[kept])
    return hist


def _bin_count(bins, name) -> int:
    if not isinstance(bins, (int, xp.integer)) or isinstance(bins, bool) or bins < 1:
        raise InputError(f"{name} needs a whole number of bins >= 1, got {bins!r}.")
    return int(bins)


@method()
def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the values in ``bins`` equal bins over ``[min, max]`` (both 0: the data's own
    range), in the input's dtype; values outside are not counted (``torch.histc``)."""
    data = _floats(self, "histc")
    bins = _bin_count(bins, "histc")
    lo, hi = _bounds(data, min, max, "histc")
    return Tensor(_count(_linear_bins(data, lo, hi, bins), bins, None, data.dtype))


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False) -> Histogram:
    """``(hist, bin_edges)``: counts (or sums of ``weight``) of the values per bin. ``bins`` is
    a number of equal bins over ``range`` (default: the data's range) or a 1-D tensor of
    increasing edges; each bin is ``[edge_i, edge_{i+1})``, the last closed. ``density=True``
    divides by the total and the bin widths, so the histogram integrates to 1."""
    data = _floats(input, "histogram")
    weights = None if weight is None else xp.asarray(_data(weight), dtype=data.dtype).reshape(-1)
    if weights is not None and weights.shape != data.shape:
        raise InputError("histogram's weight needs the input's shape.")
    if isinstance(bins, (int, xp.integer)):
        count = _bin_count(bins, "histogram")
        lo, hi = _bounds(data, *(range or (0, 0)), "histogram")
        edges = linspace(lo, hi, count + 1, dtype=data.dtype)._data
        pos = _linear_bins(data, lo, hi, count)
        # PyTorch's local search: the guess may be one off where rounding meets an edge
        pos = xp.where((pos > 0) & (data < edges[pos]), pos - 1, pos)
        pos = xp.where((pos >= 0) & (pos < count - 1) & (data >= edges[pos + 1]), pos + 1, pos)
    else:
        edges = xp.asarray(_data(bins), dtype=data.dtype)
        if edges.ndim != 1 or len(edges) < 2 or (xp.diff(edges) < 0).any():
            raise InputError("histogram's bins tensor must be 1-D increasing edges (two or more).")
        count = len(edges) - 1
        pos = xp.searchsorted(edges, data, side="right") - 1
        pos = xp.where(data == edges[-1], count - 1, pos)
        pos = xp.where((data < edges[0]) | (data > edges[-1]), -1, pos)
    hist = _count(pos, count, weights, data.dtype)
    if density:
        hist = hist / hist.sum() / xp.diff(edges)  # PyTorch's order of the two divisions
    return Histogram(Tensor(hist), Tensor(edges))
