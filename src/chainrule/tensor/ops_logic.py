"""Comparisons and logic: ``==``, ``<``, ... (``eq``, ``lt``, ...), ``&``, ``|``, ``^``, ``~``,
``all``, ``any``. Their results are booleans, so no gradient flows through them.
"""

from __future__ import annotations

from chainrule.errors import InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, _data, method

__all__: list[str] = []


# ------------------------------------------------------------------------ comparisons
def _compare(a, b, op) -> Tensor:
    return Tensor(op(a._data, _data(b)))  # booleans: no gradient


@method("__eq__")
@method("eq")
def _eq(self, other):
    return _compare(self, other, xp.equal)


@method("__ne__")
@method("ne")
def _ne(self, other):
    return _compare(self, other, xp.not_equal)


@method("__lt__")
@method("lt")
def _lt(self, other):
    return _compare(self, other, xp.less)


@method("__le__")
@method("le")
def _le(self, other):
    return _compare(self, other, xp.less_equal)


@method("__gt__")
@method("gt")
def _gt(self, other):
    return _compare(self, other, xp.greater)


@method("__ge__")
@method("ge")
def _ge(self, other):
    return _compare(self, other, xp.greater_equal)


# ------------------------------------------------------------------------ &, |, ^, ~
def _bitwise(a, b, op) -> Tensor:
    try:
        return Tensor(op(_data(a), _data(b)))  # booleans and integers: no gradient
    except TypeError:
        raise InputTypeError(
            f"{op.__name__} works on bool and integer tensors, not {_data(a).dtype} and "
            f"{xp.asarray(_data(b)).dtype}; compare first (e.g. (x > 0) & (y > 0))."
        ) from None


@method("__and__")
@method("__rand__")
def _and(self, other):
    return _bitwise(self, other, xp.bitwise_and)


@method("__or__")
@method("__ror__")
def _or(self, other):
    return _bitwise(self, other, xp.bitwise_or)


@method("__xor__")
@method("__rxor__")
def _xor(self, other):
    return _bitwise(self, other, xp.bitwise_xor)


@method("__invert__")
def _invert(self):
    if self._data.dtype.kind not in "iub":
        raise InputTypeError(
            f"~ works on bool and integer tensors, not {self._data.dtype}; compare first "
            "(e.g. ~(x > 0))."
        )
    return Tensor(xp.invert(self._data))


# ------------------------------------------------------------------------ all, any
@method("all")
def _all(self):
    """Whether every element is true (non-zero), as a boolean tensor."""
    return Tensor(xp.all(self._data))


@method("any")
def _any(self):
    """Whether some element is true (non-zero), as a boolean tensor."""
    return Tensor(xp.any(self._data))
