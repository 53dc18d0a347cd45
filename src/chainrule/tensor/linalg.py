"""``torch.linalg`` for the tensor engine: ``inv``, ``norm``, ``vector_norm``. The maths and
the backward rules live in ``ops_linalg``; these are PyTorch's names for them."""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.core import Tensor, as_tensor
from chainrule.tensor.ops_linalg import inverse as inv
from chainrule.tensor.ops_linalg import norm as _norm

__all__ = ["inv", "norm", "vector_norm"]


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``(sum |x_i|^ord)^(1/ord)`` over ``dim`` (None: every element, as one vector)."""
    return _norm(as_tensor(x), ord, dim, keepdim, dtype)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The 2-norm of all elements (``ord=None``; ``"fro"`` for a matrix is the same number), or
    a vector norm of order ``ord`` along one ``dim`` or of a 1-D tensor. Matrix norms other than
    Frobenius (``ord=2`` on a matrix is its largest singular value) are not supported."""
    A = as_tensor(A)
    one_dim = A.ndim == 1 or isinstance(dim, int)
    if ord not in (None, "fro") and not one_dim:
        raise InputError(
            f"linalg.norm with ord={ord!r} over a matrix is a matrix norm, which chainrule does "
            "not have; use linalg.vector_norm(A, ord) for the elementwise one."
        )
    return _norm(A, 2.0 if ord in (None, "fro") else ord, dim, keepdim, dtype)
