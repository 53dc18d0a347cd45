"""The table every engine shares: each function with its local derivative, side by side.

An activation ``y = f(x)`` is stored with its derivative written as ``f'(x, y)``: a function of the
input *and* the output, because many derivatives are cheapest from the output the forward pass
already computed (``sigmoid' = y (1 - y)``, ``tanh' = 1 - y**2``, ``exp' = y``). Each entry has two
forms of the same rule:

* ``forward`` / ``derivative`` act elementwise on numpy arrays of any shape (``Network``,
  ``Tensor``);
* ``scalar`` / ``scalar_derivative`` act on one Python float (the scalar ``Value`` engine). The
  scalar derivatives use only arithmetic and comparisons, so they also accept ``Value`` objects:
  that is how ``Value.backward(create_graph=True)`` builds the graph of a gradient from this very
  table.

A cost ``C(a, y)`` compares an output activation ``a`` with a target ``y`` elementwise; its
``derivative`` is ``dC/da``. Engines sum the cost over output units and average it over samples.

Everything here is numerically stable where the maths is finite: ``sigmoid`` and ``softplus`` of
``|x| = 1000`` give exact limits without overflow warnings, and ``0 * log 0`` counts as 0 in the
cross-entropy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy

from chainrule.errors import InputError

LEAKY_SLOPE = 0.01  # slope of leaky relu for x < 0


@dataclass(frozen=True)
class Activation:
    """One elementwise function ``y = f(x)`` and its derivative ``dy/dx = f'(x, y)``."""

    name: str
    forward: Callable  # ndarray -> ndarray
    derivative: Callable  # (x, y) ndarrays -> dy/dx, same shape
    scalar: Callable  # float -> float
    scalar_derivative: Callable  # (x, y) floats (or Values) -> dy/dx

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


@dataclass(frozen=True)
class Cost:
    """One cost ``C(a, y)`` per output unit and its gradient ``dC/da`` (both elementwise)."""

    name: str
    fn: Callable  # (a, y) -> C, elementwise
    derivative: Callable  # (a, y) -> dC/da, elementwise
    sum_fn: Callable | None = None  # (a, y) -> sum of fn(a, y), where a faster form exists

    def total(self, a, y):
        """``sum_ij C(a_ij, y_ij)``: the cost summed over every unit of every sample."""
        return self.sum_fn(a, y) if self.sum_fn else self.fn(a, y).sum()

    def __repr__(self) -> str:
        return f"<cost {self.name}>"


def _sigmoid_scalar(x: float) -> float:
    # Two branches so that exp never overflows: exp(-x) for x >= 0, exp(x) for x < 0.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus_scalar(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): the exponent is never positive.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _squared_norm(d):
    """``sum(d * d)`` as one BLAS dot product (no temporary array of squares)."""
    flat = d.reshape(-1)
    return np.dot(flat, flat)


def _sigmoid_any(x):
    """sigmoid of a float, or of a ``Value`` (as a graph node, for second derivatives)."""
    return _sigmoid_scalar(x) if isinstance(x, float) else x.sigmoid()


def _step(x, y):
    """d relu / dx: 1 where x > 0, else 0 (0 at x = 0, as PyTorch and micrograd choose)."""
    return 1.0 if x > 0 else 0.0


def _leaky_step(x, y):
    return 1.0 if x > 0 else LEAKY_SLOPE


identity = Activation(
    "identity",
    forward=lambda x: x,
    derivative=lambda x, y: np.ones_like(x),
    scalar=lambda x: x,
    scalar_derivative=lambda x, y: 1.0,
)

sigmoid = Activation(
    "sigmoid",
    forward=expit,  # scipy's logistic function: one stable ufunc, keeps float32
    derivative=lambda x, y: y * (1 - y),
    scalar=_sigmoid_scalar,
    scalar_derivative=lambda x, y: y * (1 - y),
)

tanh = Activation(
    "tanh",
    forward=np.tanh,
    derivative=lambda x, y: 1 - y * y,
    scalar=math.tanh,
    scalar_derivative=lambda x, y: 1 - y * y,
)

relu = Activation(
    "relu",
    forward=lambda x: np.maximum(x, 0),
    derivative=lambda x, y: (x > 0).astype(x.dtype),
    scalar=lambda x: x if x > 0.0 else 0.0,
    scalar_derivative=_step,
)

leaky_relu = Activation(
    "leaky_relu",
    forward=lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
    derivative=lambda x, y: np.where(x > 0, 1.0, LEAKY_SLOPE).astype(x.dtype),
    scalar=lambda x: x if x > 0.0 else LEAKY_SLOPE * x,
    scalar_derivative=_leaky_step,
)

softplus = Activation(
    "softplus",
    forward=lambda x: np.logaddexp(0, x),
    derivative=lambda x, y: expit(x),  # d/dx log(1 + e^x) = sigmoid(x)
    scalar=_softplus_scalar,
    scalar_derivative=lambda x, y: _sigmoid_any(x),
)

exp = Activation(
    "exp",
    forward=np.exp,
    derivative=lambda x, y: y,
    scalar=math.exp,
    scalar_derivative=lambda x, y: y,
)

log = Activation(
    "log",
    forward=np.log,
    derivative=lambda x, y: 1 / x,
    scalar=math.log,
    scalar_derivative=lambda x, y: 1 / x,
)

quadratic = Cost(
    "quadratic",
    fn=lambda a, y: 0.5 * (a - y) ** 2,  # C = ||a - y||^2 / 2 once summed over units
    derivative=lambda a, y: a - y,
    sum_fn=lambda a, y: 0.5 * _squared_norm(a - y),
)


def _inside(a):
    """``a`` moved into ``[tiny, 1 - eps]`` of its float type. A sigmoid saturates to exactly 0 or 1
    (float32 already at |z| ~ 17), where ln a or ln(1 - a) is infinite and dC/da is 0/0; in the
    interval both are finite and take their limits (a right answer still costs ~0)."""
    info = np.finfo(a.dtype if isinstance(a, np.ndarray) else np.float64)
    return np.clip(a, info.tiny, 1 - info.epsneg)


cross_entropy = Cost(
    "cross_entropy",
    # C = -[y ln a + (1 - y) ln(1 - a)]; xlogy makes 0 * ln 0 = 0, so a = y = 1 costs 0, not NaN.
    fn=lambda a, y: -(xlogy(y, _inside(a)) + xlogy(1 - y, 1 - _inside(a))),
    # dC/da = (a - y) / (a (1 - a)); times sigmoid' = a (1 - a) it leaves delta = a - y.
    derivative=lambda a, y: (_inside(a) - y) / (_inside(a) * (1 - _inside(a))),
)

log_likelihood = Cost(
    "log_likelihood",
    # With one-hot y, summing -y ln a over the output units leaves C = -ln a_y: the log-likelihood
    # of the true class under a softmax output layer.
    fn=lambda a, y: -xlogy(y, _inside(a)),
    derivative=lambda a, y: -y / _inside(a),
)


def softmax(z, axis: int = -1):
    """``a_j = e^{z_j} / sum_k e^{z_k}`` along ``axis``; shifting by max(z) keeps exponents <= 0.

    Not elementwise: ``da_j/dz_k = a_j (delta_jk - a_k)``. Paired with the log-likelihood cost the
    output error collapses to ``a - y`` (see ``chainrule.network.output_error``)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    """``ln softmax(z) = z - logsumexp(z)``, computed without forming ``softmax`` (stable)."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def output_layer(cost: Cost, activation: Activation, n_out: int) -> Activation | None:
    """The output layer's activation for a network of ``activation`` units trained on ``cost``:
    the same activation, or None for softmax (the log-likelihood's partner). Pairings that cannot
    work get one sentence."""
    if cost is log_likelihood:
        if n_out < 2:
            raise InputError(
                "a softmax output layer needs at least 2 units (with one, its output is always 1); "
                "use the cross_entropy cost with a sigmoid output for two classes."
            )
        return None
    if cost is cross_entropy and activation is not sigmoid:
        raise InputError(
            f"the cross-entropy cost needs outputs between 0 and 1, which {activation.name!r} "
            "does not give; use activation sigmoid, or cost log_likelihood (a softmax output)."
        )
    return activation


ACTIVATIONS: dict[str, Activation] = {
    f.name: f for f in (identity, sigmoid, tanh, relu, leaky_relu, softplus, exp, log)
}
COSTS: dict[str, Cost] = {c.name: c for c in (quadratic, cross_entropy, log_likelihood)}
# The names a layer may take as its activation (the menus): exp and log are in the table for the
# engines' ops, but not activations (exp grows without bound; log is undefined for x <= 0).
LAYER_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name not in ("exp", "log"))


def _lookup(table: dict, name, kind: str):
    if isinstance(name, (Activation, Cost)):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in table:
        known = ", ".join(sorted(table))
        raise InputError(f"unknown {kind} {name!r}: choose one of {known}.")
    return table[key]


def activation(name: str | Activation) -> Activation:
    """The activation called ``name`` (``"sigmoid"``, ...); unknown names get a clear error."""
    return _lookup(ACTIVATIONS, name, "activation")


def cost(name: str | Cost) -> Cost:
    """The cost called ``name`` (``"quadratic"``, ...); unknown names get a clear error."""
    return _lookup(COSTS, name, "cost")
