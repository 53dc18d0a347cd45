"""Linear algebra, each forward with its backward rule under it: ``einsum``, ``inverse``,
``norm``; and PyTorch's fixed-shape products ``mm``, ``bmm``, ``dot``, ``outer`` and ``trace``,
which check the shapes and leave the work (and the gradient) to matmul, einsum and indexing
(``torch.linalg`` gathers some of them under PyTorch's other names).

einsum's rule is einsum again: ``out = einsum(in_1, ..., in_n -> out)`` is linear in each
operand, so ``dL/d in_i = einsum(out, in_1, .., (not i), .., in_n -> in_i)`` applied to ``g``;
a letter of ``in_i`` found nowhere else was summed over, so its gradient is ``g``'s copied along
it (an operand of ones carries that letter), and a repeated letter (``ii``, a diagonal) puts the
gradient back on that diagonal.
"""

from __future__ import annotations

import string

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, as_tensor, check_dim, make, method
from chainrule.tensor.ops_shape import matmul

__all__ = ["bmm", "dot", "einsum", "inverse", "mm", "norm", "outer", "trace"]


# ------------------------------------------------------------------------ einsum
def _parse(equation: str, ndims) -> tuple[list[str], str]:
    """The subscripts of each operand and of the output, with ``...`` spelled out in unused
    letters (right-aligned, as broadcasting aligns them) and an implicit output made explicit
    (the letters used once, in alphabetical order, after the ``...`` ones)."""
    equation = equation.replace(" ", "")
    left, arrow, right = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(ndims):
        raise InputError(
            f"einsum {equation!r} names {len(inputs)} operand(s) but got {len(ndims)}."
        )
    spare = [c for c in string.ascii_letters if c not in equation]
    rank = 0
    for subs, n in zip(inputs, ndims):
        explicit = len(subs.replace("...", ""))
        if ("..." not in subs and explicit != n) or explicit > n:
            raise InputError(
                f"einsum {equation!r}: subscripts {subs!r} do not fit an operand of {n} "
                "dimension(s)."
            )
        rank = max(rank, n - explicit) if "..." in subs else rank
    dots = "".join(spare[:rank])
    inputs = [
        s.replace("...", dots[rank - (n - len(s.replace("...", ""))) :])
        for s, n in zip(inputs, ndims)
    ]
    if arrow:
        output = right.replace("...", dots)
    else:
        letters = "".join(inputs)
        once = (c for c in set(letters) if letters.count(c) == 1 and c not in dots)
        output = dots + "".join(sorted(once))
    return inputs, output


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: ``einsum("bij,bjk->bik", a, b)`` is the batched matrix product,
    ``einsum("bhtd,bhsd->bhts", q, k)`` attention scores; a letter missing from the output is
    summed over. Operands may also come as one list (``einsum(eq, [a, b])``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    tensors = tuple(as_tensor(t) for t in operands)
    inputs, output = _parse(equation, [t._data.ndim for t in tensors])
    spec = ",".join(inputs) + "->" + output
    try:
        data = xp.einsum(spec, *(t._data for t in tensors), optimize=len(tensors) > 1)
    except ValueError as e:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise InputError(f"einsum {equation!r} cannot take shapes {shapes}: {e}.") from None
    return make(data, tensors, _einsum_back, (inputs, output))


def _einsum_back(g, out):
    inputs, output = out._saved
    size = {}  # each letter's full (broadcast) size
    for subs, t in zip(inputs, out._inputs):
        for c, n in zip(subs, t._data.shape):
            size[c] = n if size.get(c, 1) == 1 else size[c]
    full = [xp.broadcast_to(t._data, [size[c] for c in s]) for s, t in zip(inputs, out._inputs)]
    return [
        _einsum_grad(g, output, inputs, full, i, size, t._data.shape) if t.requires_grad else None
        for i, t in enumerate(out._inputs)
    ]


def _einsum_grad(g, output, inputs, full, i, size, shape):
    """``dL/d in_i`` of the shape ``shape`` the operand had."""
    subs = inputs[i]
    unique = "".join(dict.fromkeys(subs))
    others = [s for j, s in enumerate(inputs) if j != i]
    arrays = [a for j, a in enumerate(full) if j != i]
    missing = "".join(c for c in unique if c not in output + "".join(others))
    if missing:  # summed over in in_i alone: g is the same all along those letters
        others.append(missing)
        arrays.append(xp.ones(tuple(size[c] for c in missing), dtype=g.dtype))
    spec = ",".join([output, *others]) + "->" + unique
    grad = xp.einsum(spec, g, *arrays, optimize=len(arrays) > 0)
    if unique != subs:  # a repeated letter: the gradient lives on that diagonal
        placed = xp.zeros(tuple(size[c] for c in subs), dtype=g.dtype)
        xp.einsum(subs + "->" + unique, placed)[...] = grad
        grad = placed
    axes = tuple(d for d, (n, m) in enumerate(zip(shape, grad.shape)) if n == 1 and m != 1)
    return (grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)


# -------------------------------------------------------------------- mm, bmm, dot, outer, trace
def _of_rank(name: str, ndim: int, *tensors) -> list[Tensor]:
    tensors = [as_tensor(t) for t in tensors]
    if any(t._data.ndim != ndim for t in tensors):
        shapes = " and ".join(str(t.shape) for t in tensors)
        raise InputError(
            f"{name} takes {ndim}-D tensors, got shapes {shapes}; matmul (@) takes any."
        )
    return tensors


@method()
def mm(self, mat2) -> Tensor:
    """The matrix product of an ``(n, m)`` and an ``(m, p)`` matrix (``A @ B``, 2-D only)."""
    return matmul(*_of_rank("mm", 2, self, mat2))


@method()
def bmm(self, mat2) -> Tensor:
    """Matrix products batch by batch: ``(b, n, m) @ (b, m, p) -> (b, n, p)``, no broadcasting."""
    a, b = _of_rank("bmm", 3, self, mat2)
    if a._data.shape[0] != b._data.shape[0]:
        raise InputError(f"bmm needs equal batch sizes, got shapes {a.shape} and {b.shape}.")
    return matmul(a, b)


@method()
def dot(self, other) -> Tensor:
    """``sum_i a_i b_i`` of two 1-D tensors of one length."""
    a, b = _of_rank("dot", 1, self, other)
    if a._data.shape != b._data.shape:
        raise InputError(f"dot needs vectors of one length, got {a.shape} and {b.shape}.")
    return matmul(a, b)


@method()
def outer(self, vec2) -> Tensor:
    """``out[i, j] = a_i b_j`` of two 1-D tensors."""
    return einsum("i,j->ij", *_of_rank("outer", 1, self, vec2))


@method()
def trace(self) -> Tensor:
    """``sum_i x[i, i]`` of a 2-D tensor (the shorter side's diagonal when not square)."""
    (x,) = _of_rank("trace", 2, self)
    diagonal = xp.arange(min(x._data.shape))
    return x[diagonal, diagonal].sum()


# ------------------------------------------------------------------------ inverse
@method()
def inverse(self) -> Tensor:
    """``A^{-1}`` of a square matrix (or a stack of them in the last two dimensions). From
    ``d(A A^{-1}) = 0``: ``d A^{-1} = -A^{-1} dA A^{-1}``, so ``dL/dA = -A^{-T} G A^{-T}``."""
    self = as_tensor(self)
    x = self._data
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise InputError(f"inverse needs square matrices in the last two dims, got {x.shape}.")
    if x.dtype not in FLOAT_DTYPES:
        raise InputTypeError(f"inverse needs float32 or float64, got {x.dtype}.")
    try:
        data = xp.linalg.inv(x)
    except xp.linalg.LinAlgError:
        raise InputError(
            f"inverse: a matrix of shape {x.shape[-2:]} is singular (no inverse); check it for "
            "repeated or zero rows, or use linalg.pinv-style least squares."
        ) from None
    return make(data, (self,), _inverse_back)


def _inverse_back(g, out):
    inv_t = xp.swapaxes(out._data, -1, -2)
    return (-(inv_t @ g @ inv_t),)


# ------------------------------------------------------------------------ norm
@method()
def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm ``(sum |x_i|^p)^(1/p)`` over ``dim`` (None: all elements; ``"fro"``
    and the default are p = 2; ``inf``/``-inf``: the largest/smallest ``|x_i|``). Its gradient
    ``sign(x) |x|^(p-1) / norm^(p-1)`` is taken as 0 where the norm is 0; for p = inf the
    largest elements share it equally."""
    self = as_tensor(self)
    if dtype is not None:
        self = self.to(dtype)
    if self._data.dtype not in FLOAT_DTYPES:
        raise InputTypeError(f"norm needs a float tensor, got {self._data.dtype}; use .float().")
    p = 2.0 if p in ("fro", None) else p
    if isinstance(p, str):
        raise InputError(f"norm supports p = a number, inf or 'fro', not {p!r}.")
    dims = dim if isinstance(dim, (tuple, list)) else (() if dim is None else (dim,))
    axis = tuple(check_dim(self, d) for d in dims) or None
    a = xp.abs(self._data)
    if p == xp.inf:
        data = a.max(axis=axis, keepdims=True)
    elif p == -xp.inf:
        data = a.min(axis=axis, keepdims=True)
    elif p == 0:
        data = (a != 0).sum(axis=axis, keepdims=True).astype(a.dtype)
    else:
        data = (a**p).sum(axis=axis, keepdims=True) ** (1 / p)
    shown = data if keepdim else (data.reshape(()) if axis is None else data.squeeze(axis))
    return make(shown, (self,), _norm_back, (float(p), data, axis))


def _norm_back(g, out):
    p, kept, axis = out._saved
    x = out._inputs[0]._data
    g = g.reshape(kept.shape)
    if p == 0:
        return (xp.zeros_like(x),)
    if abs(p) == xp.inf:
        hit = (xp.abs(x) == kept).astype(x.dtype)
        share = hit / hit.sum(axis=axis, keepdims=True)
        return (g * xp.sign(x) * share,)
    with xp.errstate(divide="ignore", invalid="ignore"):
        grad = g * xp.sign(x) * (xp.abs(x) / kept) ** (p - 1)
    return (xp.where(kept == 0, 0, grad).astype(x.dtype, copy=False),)
