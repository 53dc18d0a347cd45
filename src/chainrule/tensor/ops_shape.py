"""Shape, indexing, joining and matrix products, each forward with its backward rule under it.

Moving elements around is linear, so each rule moves the gradient back the same way: reshape's
reshapes it back, transpose's applies the inverse permutation, indexing's scatters it (adding
where an index repeats), joining's cuts it into the pieces.
"""

from __future__ import annotations

from chainrule.errors import IndexOutOfRangeError, InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import (
    Tensor,
    _data,
    as_tensor,
    check_dim,
    make,
    method,
    shapes_only,
    unbroadcast,
)

__all__ = ["cat", "concatenate", "matmul", "stack"]


def _shape_args(shape):
    """``f(2, 3)`` or ``f((2, 3))``, both as PyTorch takes them."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


# ------------------------------------------------------------------------ reshape, view
@method("view")
@method("reshape")
def _reshape(self, *shape):
    """The same elements in ``shape``; one ``-1`` stands for what the others leave."""
    shape = _shape_args(shape)
    try:
        if min(shape, default=0) < -1:
            raise InputError(
                f"cannot reshape into {tuple(shape)}: a size is a whole number >= 0, or -1 for "
                "the one size inferred from the others."
            )
        data = self._data.reshape(shape)
    except (ValueError, TypeError):
        raise InputError(
            f"cannot reshape a tensor of shape {self.shape} ({self._data.size} elements) into "
            f"{tuple(shape)}."
        ) from None
    return make(data, (self,), _reshape_back)


@shapes_only
def _reshape_back(g, out):
    return (g.reshape(out._inputs[0]._data.shape),)


@method("view_as")
@method("reshape_as")
def _reshape_as(self, other):
    """``x.reshape(other.shape)``."""
    return self.reshape(other.shape)


@method()
def expand(self, *sizes):
    """The tensor repeated (without copying) along dimensions of size 1 to ``sizes``, new leading
    dimensions allowed, ``-1`` keeping a size; the gradient sums the copies back."""
    sizes = _shape_args(sizes)
    shape = self._data.shape
    lead = len(sizes) - len(shape)
    target = tuple(shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    try:
        if lead < 0 or min(target, default=0) < 0:
            raise ValueError
        data = xp.broadcast_to(self._data, target)
    except ValueError:
        raise InputError(
            f"cannot expand a tensor of shape {shape} to {tuple(sizes)}: each size must match "
            "the tensor's or the tensor's must be 1 (-1 keeps it; new sizes go in front)."
        ) from None
    return make(data, (self,), _expand_back)


@shapes_only
def _expand_back(g, out):
    return (unbroadcast(g, out._inputs[0]._data.shape),)


@method()
def expand_as(self, other):
    """``x.expand(other.shape)``."""
    return self.expand(other.shape)


@method()
def flatten(self, start_dim: int = 0, end_dim: int = -1):
    """The dimensions ``start_dim..end_dim`` merged into one."""
    shape = self._data.shape
    if not shape:
        return self.reshape(1)
    start, end = check_dim(self, start_dim), check_dim(self, end_dim)
    if start > end:
        raise InputError(f"flatten's start_dim {start_dim} comes after its end_dim {end_dim}.")
    return self.reshape(*shape[:start], -1, *shape[end + 1 :])


@method()
def unsqueeze(self, dim: int):
    """A new dimension of size 1 at ``dim``."""
    return self.reshape(xp.expand_dims(self._data, check_dim(self, dim, extra=1)).shape)


@method()
def squeeze(self, dim: int | None = None):
    """Drop dimensions of size 1 (only ``dim`` when given and of size 1, as PyTorch does)."""
    shape = self._data.shape
    if dim is None:
        return self.reshape(tuple(n for n in shape if n != 1))
    dim = check_dim(self, dim)
    if shape and shape[dim] == 1:
        return self.reshape(shape[:dim] + shape[dim + 1 :])
    return self


# ------------------------------------------------------------------------ permute, transpose
@method()
def permute(self, *dims):
    """The dimensions in the order ``dims`` (each once)."""
    dims = tuple(check_dim(self, d) for d in _shape_args(dims)) or None
    try:
        data = self._data.transpose(dims)
    except ValueError:
        raise InputError(
            f"cannot permute a tensor of shape {self.shape} with dims {dims}: give each "
            "dimension once."
        ) from None
    return make(data, (self,), _permute_back, (dims,))


@shapes_only
def _permute_back(g, out):
    (dims,) = out._saved
    return (g.transpose(None if dims is None else xp.argsort(dims)),)


@method()
def transpose(self, *dims):
    """``transpose(d0, d1)`` swaps two dimensions (PyTorch); no argument reverses them all;
    three or more are a permutation (numpy's ``transpose(axes)``)."""
    dims = _shape_args(dims)
    if len(dims) == 2:
        order = list(range(self._data.ndim))
        d0, d1 = (check_dim(self, d) for d in dims)
        order[d0], order[d1] = order[d1], order[d0]
        dims = order
    return self.permute(*dims)


@method("t")
def _t(self):
    """All dimensions reversed (a matrix's transpose, as PyTorch's ``t()``)."""
    return self.permute()


@method("T")
@property
def _T(self):
    """All dimensions reversed (``x.T``)."""
    return self.permute()


# ------------------------------------------------------------------------ indexing
def index_error(x: Tensor, error: IndexError) -> IndexOutOfRangeError:
    """numpy's IndexError in one sentence, still an IndexError (``for`` relies on it)."""
    return IndexOutOfRangeError(f"cannot index a tensor of shape {x.shape}: {error}.")


def _index(index):
    """Tensors inside an index (integer arrays, masks) become their arrays; so do ranges."""
    if isinstance(index, tuple):
        return tuple(_data(i) if not isinstance(i, range) else xp.asarray(i) for i in index)
    if isinstance(index, range):
        return xp.asarray(index)
    return _data(index)


@method("__getitem__")
def _getitem(self, index):
    """Slices, integers, integer arrays (an embedding lookup ``C[X]``), boolean masks,
    ``x[range(n), y]``: numpy's indexing, with a gradient."""
    index = _index(index)
    try:
        data = self._data[index]
    except IndexError as e:
        raise index_error(self, e) from None
    return make(data, (self,), _getitem_back, (index,))


_ONE_HOT_MAX = 1 << 18  # entries of the one-hot matrix below which it beats numpy.add.at


@shapes_only
def _getitem_back(g, out):
    """Scatter ``g`` back into the indexed places; repeated integer indices add up. An
    embedding lookup (a 2-D table ``(V, D)`` read by one integer array of ``n`` entries) takes
    it as one matrix product, ``dL/dtable = onehot(index)^T G``, with ``onehot`` ``(V, n)`` and
    ``G`` ``(n, D)``: far faster than ``numpy.add.at`` while ``V n`` stays small."""
    (index,) = out._saved
    table = out._inputs[0]._data
    if (
        isinstance(index, xp.ndarray)
        and index.dtype.kind in "iu"
        and table.ndim == 2
        and 0 < table.shape[0] * index.size <= _ONE_HOT_MAX
    ):
        flat = index.reshape(-1)
        onehot = xp.zeros((table.shape[0], flat.size), dtype=g.dtype)
        onehot[flat, xp.arange(flat.size)] = 1
        return (onehot @ g.reshape(flat.size, table.shape[1]),)
    grad = xp.zeros_like(table)
    xp.add.at(grad, index, g)
    return (grad,)


# ------------------------------------------------------------------------ cat, stack
def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along ``axis``; the gradient is cut back into the pieces."""
    tensors = tuple(as_tensor(t) for t in tensors)
    try:
        data = xp.concatenate([t._data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise InputError(
            f"cannot concatenate tensors of shapes {shapes} along axis {axis}: all other "
            "dimensions must match."
        ) from None
    return make(data, tensors, _concatenate_back, (axis,))


@shapes_only
def _concatenate_back(g, out):
    (axis,) = out._saved
    sizes = [t._data.shape[axis] for t in out._inputs]
    return tuple(xp.split(g, xp.cumsum(sizes)[:-1], axis=axis))


def cat(tensors, dim: int = 0) -> Tensor:
    """PyTorch's name for ``concatenate``."""
    return concatenate(tensors, dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Tensors of one shape joined along a new dimension ``dim``."""
    tensors = [as_tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise InputError(f"stack needs tensors of one shape, got {sorted(shapes)}.")
    return concatenate([t.unsqueeze(dim) for t in tensors], dim)


# ------------------------------------------------------------------------ matmul
@method("__matmul__")
@method()
def matmul(a, b) -> Tensor:
    """``a @ b`` as numpy's matmul: 1-D, 2-D and stacks of matrices (batched, broadcast over
    the leading dimensions). d(A B) = dA B + A dB, so with G = dL/d(AB):
    dL/dA = G B^T and dL/dB = A^T G (summed over broadcast batch dimensions). For
    ``(..., K) @ (K, N)`` the leading dimensions of A are rows: the product and dL/dA are
    each one ``(rows, K) @ (K, N)``-shaped matrix product (numpy would loop over the leading
    dimensions), and dL/dB = A_rows^T G_rows one ``(K, rows) @ (rows, N)`` rather than a
    batch of them and a sum."""
    a, b = as_tensor(a), as_tensor(b)
    A, B = a._data, b._data
    try:
        if B.ndim == 2 and A.ndim > 2 and A.shape[-1] == B.shape[0]:  # rows: one product
            data = (A.reshape(-1, A.shape[-1]) @ B).reshape(*A.shape[:-1], B.shape[1])
        else:
            data = A @ B
    except ValueError:
        raise InputError(
            f"cannot matmul tensors of shapes {a.shape} @ {b.shape}: the inner dimensions "
            f"({a.shape[-1] if a.ndim else '-'} and "
            f"{b.shape[-2 if b.ndim > 1 else 0] if b.ndim else '-'}) must match."
        ) from None
    return make(data, (a, b), _matmul_back)


def _matmul_back(g, out):
    a, b = out._inputs
    A, B = a._data, b._data
    if B.ndim == 2 and A.ndim > 2:  # (..., K) @ (K, N): the leading dimensions are more rows
        rows, g_rows = A.reshape(-1, A.shape[-1]), g.reshape(-1, g.shape[-1])
        return (
            (g_rows @ B.T).reshape(A.shape) if a.requires_grad else None,
            rows.T @ g_rows if b.requires_grad else None,
        )
    if B.ndim == 1:  # a column for the product, and g gains its missing column axis
        B = B[:, None]
        g = g[..., None]
    if A.ndim == 1:  # a row for the product, and g gains its missing row axis
        A = A[None, :]
        g = xp.expand_dims(g, -2)
    grad_a = grad_b = None
    if a.requires_grad:
        grad_a = unbroadcast(g @ xp.swapaxes(B, -1, -2), A.shape).reshape(a._data.shape)
    if b.requires_grad:
        grad_b = unbroadcast(xp.swapaxes(A, -1, -2) @ g, B.shape).reshape(b._data.shape)
    return grad_a, grad_b


@method("__rmatmul__")
def _rmatmul(self, other):
    return matmul(other, self)
