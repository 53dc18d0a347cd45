"""Elementwise operations, each forward with its backward rule right under it.

A rule is ``rule(g, out) -> one gradient per input`` with ``g = dL/d(out)`` in out's shape.
Binary operations broadcast as numpy does; their rules sum the gradient back down to each
operand's shape (``unbroadcast``).
"""

from __future__ import annotations

from chainrule import functions
from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import (
    Tensor,
    _data,
    as_tensor,
    make,
    method,
    reads_output,
    shapes_only,
    unbroadcast,
)

__all__ = [
    "abs",
    "allclose",
    "clone",
    "apply",
    "clamp",
    "exp",
    "log",
    "log10",
    "log2",
    "maximum",
    "minimum",
    "relu",
    "sigmoid",
    "sqrt",
    "tanh",
    "times_derivative",
    "where",
]


def _binary(a, b, op, backward, name) -> Tensor:
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    b = as_tensor(b, a)
    try:
        data = op(a._data, b._data)
    except ValueError:
        raise InputError(
            f"cannot {name} tensors of shapes {a.shape} and {b.shape}: they do not broadcast "
            "(each trailing dimension must match or be 1)."
        ) from None
    return make(data, (a, b), backward)


def _binary_grads(out, ga, gb):
    a, b = out._inputs
    return unbroadcast(ga, a._data.shape), unbroadcast(gb, b._data.shape)


# ------------------------------------------------------------------------ a + b
@method("__add__")
@method("add")
def _add(self, other):
    return _binary(self, other, xp.add, _add_back, "add")


@method("__radd__")
def _radd(self, other):
    return _binary(other, self, xp.add, _add_back, "add")


@shapes_only
def _add_back(g, out):  # d(a + b) = da + db
    return _binary_grads(out, g, g)


# ------------------------------------------------------------------------ a - b
@method("__sub__")
@method("sub")
def _sub(self, other):
    return _binary(self, other, xp.subtract, _sub_back, "subtract")


@method("__rsub__")
def _rsub(self, other):
    return _binary(other, self, xp.subtract, _sub_back, "subtract")


@shapes_only
def _sub_back(g, out):
    return _binary_grads(out, g, -g)


# ------------------------------------------------------------------------ a * b
@method("__mul__")
@method("mul")
def _mul(self, other):
    return _binary(self, other, xp.multiply, _mul_back, "multiply")


@method("__rmul__")
def _rmul(self, other):
    return _binary(other, self, xp.multiply, _mul_back, "multiply")


def _mul_back(g, out):  # d(a b) = b da + a db
    a, b = out._inputs
    return _binary_grads(out, g * b._data, g * a._data)


# ------------------------------------------------------------------------ a / b
@method("__truediv__")
@method("div")
def _truediv(self, other):
    return _binary(self, other, xp.divide, _div_back, "divide")


@method("__rtruediv__")
def _rtruediv(self, other):
    return _binary(other, self, xp.divide, _div_back, "divide")


@reads_output
def _div_back(g, out):  # d(a / b) = da / b - (a / b^2) db = da / b - out / b db
    b = out._inputs[1]._data
    return _binary_grads(out, g / b, -g * out._data / b)


# ------------------------------------------------------------------------ -x
@method("__neg__")
@method("neg")
def _neg(self):
    return make(-self._data, (self,), _neg_back)


@shapes_only
def _neg_back(g, out):
    return (-g,)


# ------------------------------------------------------------------------ x ** k, a ** b
@method("__pow__")
@method("pow")
def _pow(self, exponent):
    """``x ** k`` for a number ``k``; a tensor exponent goes to ``power``."""
    if isinstance(exponent, Tensor):
        return _binary(self, exponent, xp.power, _power_back, "raise")
    k = float(exponent)
    return make(self._data**k, (self,), _pow_back, (k,))


def _pow_back(g, out):  # d(x^k) = k x^(k-1) dx
    (k,) = out._saved
    x = out._inputs[0]._data
    return (g * (k * x ** (k - 1)),)


@method("__rpow__")
def _rpow(self, base):
    """``base ** x`` for a number ``base`` (``10 ** lre``)."""
    return _binary(base, self, xp.power, _power_back, "raise")


@reads_output
def _power_back(g, out):  # d(a^b) = b a^(b-1) da + a^b ln(a) db
    a, b = out._inputs
    grad_a = grad_b = None
    if a.requires_grad:
        grad_a = g * b._data * a._data ** (b._data - 1)
    if b.requires_grad:
        with xp.errstate(divide="ignore", invalid="ignore"):  # ln(a) for a <= 0: nan, as torch
            log_a = xp.log(a._data)
        grad_b = g * out._data * xp.where((a._data == 0) & (b._data >= 0), 0, log_a)
    return (
        None if grad_a is None else unbroadcast(grad_a, a._data.shape),
        None if grad_b is None else unbroadcast(grad_b, b._data.shape),
    )


# ------------------------------------------------------------------------ the shared table
def apply(x: Tensor, fn: functions.Activation) -> Tensor:
    """``fn(x)`` elementwise for an entry ``fn`` of the shared table; its backward rule is the
    table's derivative ``f'(x, y)`` times the incoming gradient."""
    if fn is functions.log and x._data.size and x._data.min() <= 0:
        raise InputError(
            f"log of a tensor with values <= 0 (smallest {x._data.min()}); the logarithm is only "
            "defined for positive numbers: clip the input (e.g. x.clip(1e-12, None))."
        )
    return make(fn.forward(x._data), (x,), _apply_back, (fn,))


@reads_output
def _apply_back(g, out):  # the activation table's derivative f'(x, y), times g
    (fn,) = out._saved
    return (times_derivative(g, fn, out._inputs[0]._data, out._data),)


def times_derivative(g, fn, x, y):
    """``g (.) f'(x, y)`` for a table entry ``fn`` with ``y = f(x)``. The product is taken in
    place when the derivative came back as a fresh array of g's shape and dtype (it may instead
    be ``y`` itself, as for exp, which must not be overwritten)."""
    d = fn.derivative(x, y)
    if d is y or d is x or d.base is not None or d.shape != g.shape or d.dtype != g.dtype:
        return g * d
    d *= g
    return d


@method("apply")
def _apply(self, fn):
    """``x.apply("tanh")``: the shared table's function named ``fn``, elementwise."""
    return apply(self, functions.activation(fn))


def _table(entry):
    """``exp(x)`` and ``x.exp()`` (one function, both ways) for a table entry."""

    def op(x):
        return apply(as_tensor(x), entry)

    op.__name__ = entry.name
    op.__doc__ = f"{entry.name}(x) elementwise, with its derivative from the shared table."
    return method(entry.name)(op)


exp = _table(functions.exp)
log = _table(functions.log)
tanh = _table(functions.tanh)
sigmoid = _table(functions.sigmoid)
relu = _table(functions.relu)


@method("log10")
def log10(x):
    """``log10(x) = ln(x) / ln(10)``; d log10(x) = dx / (x ln 10)."""
    return _log_base(x, xp.log10, 10.0)


@method("log2")
def log2(x):
    """``log2(x) = ln(x) / ln(2)``; d log2(x) = dx / (x ln 2)."""
    return _log_base(x, xp.log2, 2.0)


def _log_base(x, fn, base):
    x = as_tensor(x)
    if x._data.size and x._data.min() <= 0:
        raise InputError(
            f"log of a tensor with values <= 0 (smallest {x._data.min()}); the logarithm is only "
            "defined for positive numbers: clip the input (e.g. x.clip(1e-12, None))."
        )
    return make(fn(x._data), (x,), _log_base_back, (base,))


def _log_base_back(g, out):
    (base,) = out._saved
    x = out._inputs[0]._data
    return (g / (x * xp.log(x.dtype.type(base))),)


# ------------------------------------------------------------------------ |x|, sqrt(x)
@method("abs")
def abs(x):
    """``|x|``; its derivative is sign(x) (0 at 0, as PyTorch takes it)."""
    x = as_tensor(x)
    return make(xp.abs(x._data), (x,), _abs_back)


def _abs_back(g, out):
    return (g * xp.sign(out._inputs[0]._data),)


@method("sqrt")
def sqrt(x):
    """``sqrt(x)``; d sqrt(x) = dx / (2 sqrt(x))."""
    x = as_tensor(x)
    if x._data.size and x._data.min() < 0:
        raise InputError(
            f"sqrt of a tensor with negative values (smallest {x._data.min()}); clamp it first."
        )
    return make(xp.sqrt(x._data), (x,), _sqrt_back)


@reads_output
def _sqrt_back(g, out):
    return (g / (2 * out._data),)


# ------------------------------------------------------------------------ clamp
@method("clip")
@method("clamp")
def clamp(x, min=None, max=None):
    """``x`` limited to ``[min, max]``; the gradient passes where x was inside (ends included)."""
    x = as_tensor(x)
    return make(xp.clip(x._data, min, max), (x,), _clamp_back, (min, max))


def _clamp_back(g, out):
    low, high = out._saved
    x = out._inputs[0]._data
    inside = xp.ones_like(x, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return (g * inside,)


# ------------------------------------------------------------------------ where, max, min
def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; each gets the gradient where it was chosen."""
    condition = xp.asarray(_data(condition), dtype=bool)
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    b = as_tensor(b, a)
    try:
        data = xp.where(condition, a._data, b._data)
    except ValueError:
        raise InputError(
            f"cannot choose between tensors of shapes {a.shape} and {b.shape} with a condition "
            f"of shape {condition.shape}: they do not broadcast."
        ) from None
    return make(data, (a, b), _where_back, (condition,))


def _where_back(g, out):
    (condition,) = out._saved
    return _binary_grads(out, xp.where(condition, g, 0), xp.where(condition, 0, g))


@method()
def maximum(a, b) -> Tensor:
    """The larger of ``a`` and ``b`` elementwise; at a tie the gradient is shared equally
    (PyTorch's rule)."""
    return _choose(a, b, True)


@method()
def minimum(a, b) -> Tensor:
    """The smaller of ``a`` and ``b`` elementwise; ties share the gradient equally."""
    return _choose(a, b, False)


def _choose(a, b, larger):
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    b = as_tensor(b, a)
    try:
        data = (xp.maximum if larger else xp.minimum)(a._data, b._data)
    except ValueError:
        raise InputError(
            f"cannot compare tensors of shapes {a.shape} and {b.shape}: they do not broadcast."
        ) from None
    return make(data, (a, b), _choose_back)


@reads_output
def _choose_back(g, out):  # the chosen operand gets g; at a tie each gets g / 2
    a, b = out._inputs
    wa = (a._data == out._data).astype(g.dtype)
    wb = (b._data == out._data).astype(g.dtype)
    total = wa + wb
    return _binary_grads(out, g * (wa / total), g * (wb / total))


# ------------------------------------------------------------------------ copies, truth
@method()
def clone(self):
    """A copy of the data that stays in the graph (the gradient passes through unchanged)."""
    return make(self._data.copy(), (self,), _clone_back)


@shapes_only
def _clone_back(g, out):
    return (g,)


def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """``|a - b| <= atol + rtol |b|`` everywhere (PyTorch's and numpy's test)."""
    return bool(xp.allclose(_data(a), _data(b), rtol=rtol, atol=atol))
