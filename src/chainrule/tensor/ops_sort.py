"""Order and running totals, each forward with its backward rule under it: ``sort``,
``argsort``, ``topk``, ``cumsum``, ``cumprod``.

Sorting is a permutation, so its rule puts each gradient back where its value came from (topk's
puts those of the k values picked, 0 elsewhere). The sort is stable, as PyTorch's CPU sort is:
equal values keep their order (descending too), so the indices match PyTorch's, ties included.
A running sum's rule is the running sum of the gradient taken from the other end; a running
product's is the same recurrence weighted by the factors (no division, so zeros are exact).
"""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, as_tensor, check_dim, make, method
from chainrule.tensor.ops_reduce import MaxMin as ValuesIndices

__all__ = ["ValuesIndices", "argsort", "cumprod", "cumsum", "sort", "topk"]


def _order(x, axis: int, descending: bool):
    """The stable sorting permutation of ``x`` along ``axis``. Descending: sort the reversed
    array ascending, reverse that, and count positions from the other end, so equal values
    stay in their original order (what ``argsort(-x)`` would not do for ints or bools)."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    backwards = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - xp.flip(backwards, axis)


def _axis(x: Tensor, dim: int):
    """``dim`` checked; None for a 0-d tensor (numpy's "flattened", one element)."""
    axis = check_dim(x, dim)
    return axis if x._data.ndim else None


def _picked(x: Tensor, order, axis: int) -> ValuesIndices:
    """The values of ``x`` at ``order`` along ``axis``, with the indices, in the graph."""
    data = xp.take_along_axis(x._data, order, axis) if x._data.ndim else x._data
    return ValuesIndices(make(data, (x,), _picked_back, (order, axis)), Tensor(order))


def _picked_back(g, out):  # each gradient back to where its value was taken from
    order, axis = out._saved
    x = out._inputs[0]._data
    if not x.ndim:
        return (g,)
    grad = xp.zeros_like(x)
    xp.put_along_axis(grad, order, g, axis)
    return (grad,)


# ------------------------------------------------------------------------ sort, argsort, topk
@method()
def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """``(values, indices)``: ``x`` sorted along ``dim`` and where each value came from,
    ``values = x.gather(dim, indices)``. Always stable (``stable`` is accepted for PyTorch)."""
    self = as_tensor(self)
    axis = _axis(self, dim)
    order = _order(self._data, axis, descending) if self._data.ndim else xp.zeros((), xp.int64)
    return _picked(self, order, axis)


@method()
def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (``sort``'s second half; int64, no gradient)."""
    return sort(self, dim, descending, stable).indices


@method()
def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, largest first; the gradient reaches those k elements only. Always sorted."""
    self = as_tensor(self)
    axis = _axis(self, dim)
    n = self._data.shape[axis] if self._data.ndim else 1
    if not isinstance(k, (int, xp.integer)) or not 0 <= k <= n:
        raise InputError(f"topk: k={k!r} is out of range for a dimension of size {n}; use 0..{n}.")
    if not self._data.ndim:
        return _picked(self, xp.zeros((), xp.int64), 0)
    order = xp.take(_order(self._data, axis, largest), xp.arange(k), axis=axis)
    return _picked(self, order, axis)


# ------------------------------------------------------------------------ cumsum, cumprod
def _scan(x, dim, dtype, running, backward) -> Tensor:
    """``running`` (numpy's cumsum or cumprod) along ``dim``, in PyTorch's result dtype:
    ``dtype`` if given, else the float's own, ints and bools -> int64 (with no gradient)."""
    x = as_tensor(x)
    axis = _axis(x, dim)
    if dtype is None:
        dtype = x._data.dtype if x._data.dtype in FLOAT_DTYPES else xp.int64
    data = running(x._data, axis=axis, dtype=dtype).reshape(x._data.shape)
    if data.dtype not in FLOAT_DTYPES:
        return Tensor(data)
    return make(data, (x,), backward, (axis,))


@method()
def cumsum(self, dim: int, dtype=None) -> Tensor:
    """``out_j = sum_{i <= j} x_i`` along ``dim``. Each x_k reaches every out_j with j >= k, so
    ``dx_k = sum_{j >= k} g_j``: the running sum of g from the far end."""
    return _scan(self, dim, dtype, xp.cumsum, _cumsum_back)


def _cumsum_back(g, out):
    (axis,) = out._saved
    if not g.ndim:
        return (g,)
    return (xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis).astype(g.dtype, copy=False),)


@method()
def cumprod(self, dim: int, dtype=None) -> Tensor:
    """``out_j = prod_{i <= j} x_i`` along ``dim``. ``dx_k = P_k S_k`` with ``P_k = prod_{i < k}
    x_i`` and ``S_k = sum_{j >= k} g_j prod_{k < i <= j} x_i``, computed from the far end by
    ``S_k = g_k + x_{k+1} S_{k+1}``: exact even where some x_i is 0."""
    return _scan(self, dim, dtype, xp.cumprod, _cumprod_back)


def _cumprod_back(g, out):
    (axis,) = out._saved
    x = out._inputs[0]._data
    if not x.ndim:
        return (g,)
    x, g = xp.moveaxis(x, axis, 0), xp.moveaxis(g, axis, 0)
    s = xp.empty_like(g)
    s[-1] = g[-1]
    for k in range(len(g) - 2, -1, -1):
        s[k] = g[k] + x[k + 1] * s[k + 1]
    before = xp.ones_like(x)  # P_k, the product of the x_i before k
    xp.cumprod(x[:-1], axis=0, out=before[1:])
    return (xp.moveaxis(before * s, 0, axis).astype(g.dtype, copy=False),)
