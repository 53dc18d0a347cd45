"""Picking and placing elements by index, each forward with its backward rule under it:
``gather``, ``scatter_add`` (and ``scatter_add_``), ``index_select``, ``masked_fill`` (and
``masked_fill_``), ``tril``/``triu`` (and their ``_`` forms).

All of them move or mask elements, so they are linear in the tensor they read: each rule moves
the gradient back the same way (gather's scatters it and adds where an index repeats;
scatter_add's gathers it; a mask zeroes it where the mask replaced the value).
"""

from __future__ import annotations

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, _data, as_tensor, check_dim, make, method, unbroadcast

__all__ = [
    "gather",
    "index_select",
    "masked_fill",
    "scatter_add",
    "tril",
    "triu",
]


def _indices(index, name: str):
    """``index`` as an integer array, or a sentence saying it must be one."""
    array = xp.asarray(_data(index))
    if array.dtype.kind not in "iu":
        raise InputTypeError(
            f"{name} needs an integer index tensor, got {array.dtype}; pass index.long()."
        )
    return array


def _in_bounds(index, size: int, name: str) -> None:
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise InputError(
            f"{name}: index {bad} is out of bounds for a dimension of size {size}; use 0 to "
            f"{size - 1}."
        )


def _along(index, axis: int) -> tuple:
    """The numpy index that reads ``x[..., index[i, j, k], ...]`` at position (i, j, k): ``index``
    on ``axis``, each other axis its own position (an ``arange`` that broadcasts)."""
    grid = []
    for d, n in enumerate(index.shape):
        if d == axis:
            grid.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grid.append(xp.arange(n).reshape(shape))
    return tuple(grid)


def _check_along(x_shape, index, axis: int, name: str, src_shape=None) -> None:
    """PyTorch's rule for gather/scatter: index has x's number of dimensions, is no longer than x
    on the other dimensions (and no longer than src anywhere), and stays inside dimension axis."""
    if index.ndim != len(x_shape):
        raise InputError(
            f"{name} needs an index with the tensor's {len(x_shape)} dimensions, got "
            f"{index.ndim} (index shape {index.shape}, tensor shape {tuple(x_shape)})."
        )
    too_long = [
        d
        for d in range(index.ndim)
        if (d != axis and index.shape[d] > x_shape[d])
        or (src_shape is not None and index.shape[d] > src_shape[d])
    ]
    if too_long:
        raise InputError(
            f"{name}: index shape {index.shape} is larger than the tensor's {tuple(x_shape)}"
            + (f" or src's {tuple(src_shape)}" if src_shape is not None else "")
            + f" on dimension {too_long[0]}."
        )
    _in_bounds(index, x_shape[axis], name)


# ------------------------------------------------------------------------ gather
@method()
def gather(self, dim: int, index) -> Tensor:
    """``out[i][j][k] = x[index[i][j][k]][j][k]`` for dim 0 (likewise for the others); ``out``
    has index's shape. d out / dx scatters: ``dx[index[i][j][k]][j][k] += g[i][j][k]``."""
    self = as_tensor(self)
    axis = check_dim(self, dim)
    index = _indices(index, "gather")
    _check_along(self._data.shape, index, axis, "gather")
    where = _along(index, axis)
    return make(self._data[where], (self,), _add_at_back, (where,))


def _add_at_back(g, out):  # gather's and index_select's: g back to where it was read from
    (where,) = out._saved
    grad = xp.zeros_like(out._inputs[0]._data)
    xp.add.at(grad, where, g)  # a repeated index collects every gradient that points to it
    return (grad,)


# ------------------------------------------------------------------------ scatter_add
def _scatter_args(x: Tensor, dim, index, src):
    axis = check_dim(x, dim)
    index = _indices(index, "scatter_add")
    src = as_tensor(src, x)
    _check_along(x._data.shape, index, axis, "scatter_add", src._data.shape)
    region = tuple(slice(0, n) for n in index.shape)
    return _along(index, axis), src, region


@method()
def scatter_add(self, dim: int, index, src) -> Tensor:
    """A copy of ``x`` with ``src`` added where ``index`` points: for dim 0,
    ``out[index[i][j]][j] += src[i][j]`` over index's shape. d out / dx = 1; d out / d src
    gathers: ``d src[i][j] = g[index[i][j]][j]`` (0 outside index's shape)."""
    self = as_tensor(self)
    where, src, region = _scatter_args(self, dim, index, src)
    data = self._data.copy()
    xp.add.at(data, where, src._data[region])
    return make(data, (self, src), _scatter_add_back, (where, region))


def _scatter_add_back(g, out):
    where, region = out._saved
    src = out._inputs[1]._data
    grad_src = None
    if out._inputs[1].requires_grad:
        grad_src = xp.zeros_like(src)
        grad_src[region] = g[where]
    return g, grad_src


@method("scatter_add_")
def _scatter_add_(self, dim: int, index, src) -> Tensor:
    """``scatter_add`` into this tensor's own memory: ``x += scatter_add(0, dim, index, src)``,
    so it follows ``+=``'s rules (and src's gradient is gathered as above)."""
    spread = scatter_add(Tensor(xp.zeros_like(self._data)), dim, index, src)
    return self.__iadd__(spread)


# ------------------------------------------------------------------------ index_select
@method()
def index_select(self, dim: int, index) -> Tensor:
    """The slices of ``x`` along ``dim`` that the 1-D ``index`` names, in its order (repeats
    allowed); the gradient of a repeated slice adds up."""
    self = as_tensor(self)
    axis = check_dim(self, dim)
    index = _indices(index, "index_select")
    if index.ndim > 1 or not self._data.ndim:
        raise InputError(
            f"index_select takes a 1-D index into a tensor of at least 1 dimension, got index "
            f"shape {index.shape} and tensor shape {self.shape}."
        )
    _in_bounds(index, self._data.shape[axis], "index_select")
    where = (slice(None),) * axis + (index.reshape(-1),)
    return make(self._data[where], (self,), _add_at_back, (where,))


# ------------------------------------------------------------------------ masked_fill
def _mask(mask):
    array = xp.asarray(_data(mask))
    if array.dtype != xp.bool_:
        raise InputTypeError(
            f"masked_fill needs a boolean mask, got {array.dtype}; compare to get one "
            "(e.g. tril == 0)."
        )
    return array


def _fill_value(value, dtype):
    try:
        return xp.asarray(_data(value), dtype=dtype)
    except (OverflowError, ValueError):
        raise InputError(f"cannot fill a {dtype} tensor with {value!r}.") from None


@method()
def masked_fill(self, mask, value) -> Tensor:
    """``value`` where the boolean ``mask`` is true, ``x`` elsewhere (mask and x broadcast):
    the attention trick ``wei.masked_fill(tril == 0, float('-inf'))``. The gradient reaches x
    where the mask is false, and a tensor ``value`` (0-d) gets the sum over the filled places."""
    self = as_tensor(self)
    mask = _mask(mask)
    fill = _fill_value(value, self._data.dtype)
    if fill.ndim:
        raise InputError(f"masked_fill takes a number or a 0-d tensor, got shape {fill.shape}.")
    try:
        data = xp.where(mask, fill, self._data)
    except ValueError:
        raise InputError(
            f"masked_fill: a mask of shape {mask.shape} does not broadcast with a tensor of "
            f"shape {self.shape}."
        ) from None
    inputs = (self, value) if isinstance(value, Tensor) else (self,)
    return make(data, inputs, _masked_fill_back, (mask,))


def _masked_fill_back(g, out):
    (mask,) = out._saved
    grads = (unbroadcast(xp.where(mask, 0, g), out._inputs[0]._data.shape),)
    if len(out._inputs) == 2:
        grads += (xp.where(mask, g, 0).sum().reshape(out._inputs[1]._data.shape),)
    return grads


@method("masked_fill_")
def _masked_fill_(self, mask, value) -> Tensor:
    """``masked_fill`` into this tensor's own memory (the mask broadcasts to its shape)."""
    mask, fill = _mask(mask), _fill_value(value, self._data.dtype)
    try:
        mask = xp.broadcast_to(mask, self._data.shape)
    except ValueError:
        raise InputError(
            f"masked_fill_: a mask of shape {mask.shape} does not broadcast to the tensor's "
            f"shape {self.shape}."
        ) from None
    self[mask] = value if isinstance(value, Tensor) else fill  # t[mask] = v, with its rules
    return self


# ------------------------------------------------------------------------ tril, triu
def _triangle(x, diagonal, keep, name):
    x = as_tensor(x)
    if x._data.ndim < 2:
        raise InputError(f"{name} needs a tensor of at least 2 dimensions, got shape {x.shape}.")
    return make(keep(x._data, diagonal), (x,), _triangle_back, (keep, diagonal))


def _triangle_back(g, out):  # the same mask, applied to the gradient
    keep, diagonal = out._saved
    return (keep(g, diagonal),)


@method()
def tril(self, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions: ``x[..., i, j]`` where ``j - i <=
    diagonal``, 0 above (``torch.tril(torch.ones(T, T))``, the causal mask)."""
    return _triangle(self, diagonal, xp.tril, "tril")


@method()
def triu(self, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions: ``x[..., i, j]`` where ``j - i >=
    diagonal``, 0 below."""
    return _triangle(self, diagonal, xp.triu, "triu")


def _zero_outside(x, diagonal, keep, name):
    """``x[outside the triangle] = 0``, so the ``_`` forms follow ``t[mask] = v``'s rules."""
    kept = _triangle(Tensor(xp.ones(x._data.shape, dtype=bool)), diagonal, keep, name)._data
    x[~kept] = 0
    return x


@method("tril_")
def _tril_(self, diagonal: int = 0) -> Tensor:
    """``tril`` in this tensor's own memory."""
    return _zero_outside(self, diagonal, xp.tril, "tril_")


@method("triu_")
def _triu_(self, diagonal: int = 0) -> Tensor:
    """``triu`` in this tensor's own memory."""
    return _zero_outside(self, diagonal, xp.triu, "triu_")
