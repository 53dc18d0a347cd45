"""The local derivatives of the scalar engine's operations: one rule per operation.

A rule is ``local(a, b, out) -> (d out/d a, d out/d b)`` written with arithmetic only, so the same
function takes floats (the forward pass stores its numbers on the node) and Values
(``backward(create_graph=True)`` builds the graph of a gradient from it). Each rule travels with
its nodes inside an :class:`Op`, the op's name as a ``str`` (what a drawing shows) carrying the
rule; the engine's forward methods call these rules right where they compute their outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from chainrule import functions

__all__ = ["Op", "ADD", "SUB", "NEG", "MUL", "DIV", "POW_VALUE", "pow_op", "activation_op"]


class Op(str):
    """An operation's name (``"*"``, ``"tanh"``: a plain ``str`` to print and draw) carrying its
    rule ``local(a, b, out) -> (d out/d a, d out/d b)``, for floats and Values alike.

    ``local=None`` means the local derivatives are constants: the numbers stored at forward time
    are then the whole rule, for ``create_graph`` too.
    """

    __slots__ = ("local",)
    local: Callable | None

    def __new__(cls, name: str, local: Callable | None = None):
        op = super().__new__(cls, name)
        op.local = local
        return op


def mul_local(a, b, out):
    """The rule of ``a * b``."""
    return b, a  # d(ab)/da = b, d(ab)/db = a


def div_local(a, b, out):
    """The rule of ``a / b``."""
    return 1 / b, -out / b  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b


def pow_value_local(a, b, out):
    """The rule of ``a ** b`` for a Value exponent ``b``."""
    # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a (a Value has .log(), a float has math.log)
    log_a = a.log() if hasattr(a, "log") else math.log(a)
    return b * a ** (b - 1), out * log_a


def _pow_local(k: float) -> Callable:
    """The rule of ``x ** k`` for a constant ``k``: ``d(x^k)/dx = k x^(k-1)``."""

    def local(a, b, out):
        if k == 0.0:
            return 0.0, None  # x**0 is the constant 1
        if isinstance(a, float) and a == 0.0 and k < 1.0:
            return math.inf, None  # k x^(k-1) grows without bound at 0 for k < 1
        return k * a ** (k - 1), None

    return local


ADD, SUB, NEG = Op("+"), Op("-"), Op("neg")
MUL, DIV, POW_VALUE = Op("*", mul_local), Op("/", div_local), Op("**", pow_value_local)
_POW: dict[float, Op] = {}  # x ** k for each constant k met so far: the exponent lives in its Op
_ACTIVATION: dict[str, Op] = {}  # one Op per activation, its rule from chainrule.functions


def pow_op(k: float) -> Op:
    """The Op of ``x ** k``: the constant exponent lives here, beside its rule (not on the node)."""
    op = _POW.get(k)
    if op is None:
        op = _POW[k] = Op(f"**{k:g}", _pow_local(k))
    return op


def activation_op(fn: functions.Activation) -> Op:
    """The Op of an activation, its rule the activation's ``scalar_derivative`` from the table."""
    op = _ACTIVATION.get(fn.name)
    if op is None:
        derivative = fn.scalar_derivative  # arithmetic only: takes floats and Values
        op = _ACTIVATION[fn.name] = Op(fn.name, lambda a, b, out: (derivative(a, out), None))
    return op
