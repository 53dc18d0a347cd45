"""Fused operations and losses on tensors: each one forward rule and one backward rule, so a
layer or a loss is one node of the graph rather than several (fewer nodes, less overhead).

Shapes: ``x`` is ``(m, n_in)`` (samples as rows), ``W`` is ``(n_out, n_in)`` as in PyTorch and in
``Network``, ``b`` is ``(n_out,)``; logits and outputs are ``(m, n_out)``.
"""

from __future__ import annotations

import math

from scipy.special import erf

from chainrule import functions
from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor
from chainrule.tensor.core import as_tensor as _as_tensor
from chainrule.tensor.core import make as _make
from chainrule.tensor.creation import _rng
from chainrule.tensor.ops_elementwise import times_derivative

__all__ = [
    "cost",
    "cross_entropy",
    "dropout",
    "gelu",
    "linear",
    "mse",
    "nll",
    "output_gradient",
]
_REDUCTIONS = ("mean", "sum", "none")


def linear(x: Tensor, W: Tensor, b: Tensor | None = None, activation=None) -> Tensor:
    """``f(x W^T + b)``: ``(m, n_in) @ (n_in, n_out) + (n_out,)``, then the optional elementwise
    ``activation`` f from the shared table, fused into one node of the graph. ``x`` may have
    any leading dimensions, ``(*, n_in) -> (*, n_out)`` (``(B, T, C)`` as in a transformer):
    they act as more rows.

    With ``G = dL/d(out)``, first ``G_z = G (.) f'(z, a)`` (the table's derivative), then
    ``dL/dx = G_z W``, ``dL/dW = G_z^T x``, ``dL/db = sum of G_z's rows`` (the rows of all
    leading dimensions)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    shape = x._data.shape
    if not shape or shape[-1] != W._data.shape[1]:
        raise InputError(
            f"linear layer expects input of shape (*, {W._data.shape[1]}) (samples, "
            f"{W._data.shape[1]} features), got {shape}."
        )
    if len(shape) > 2:  # the leading dimensions as rows: one matrix product (numpy would loop)
        z = (x._data.reshape(-1, shape[-1]) @ W._data.T).reshape(*shape[:-1], W._data.shape[0])
    else:
        z = x._data @ W._data.T
    inputs = (x, W) if b is None else (x, W, b)
    if b is not None:
        z += b._data
    if activation is None:
        return _make(z, inputs, _linear_back, (None, None))
    if not isinstance(activation, functions.Activation):
        activation = functions.activation(activation)
    return _make(activation.forward(z), inputs, _linear_back, (activation, z))


def _linear_back(g, out):
    fn, z = out._saved
    if fn is not None:  # through the activation first: G_z = G (.) f'(z, a)
        g = times_derivative(g, fn, z, out._data)
    x, W = out._inputs[0], out._inputs[1]
    X = x._data
    if g.ndim != 2:  # leading dimensions (B, T, ...) are more rows (a vector: one row)
        g, X = g.reshape(-1, g.shape[-1]), X.reshape(-1, X.shape[-1])
    dx = g @ W._data if x.requires_grad else None
    if dx is not None and X is not x._data:
        dx = dx.reshape(x._data.shape)
    grads = [dx, g.T @ X if W.requires_grad else None]
    if len(out._inputs) == 3:
        grads.append(xp.dot(_ones(len(g), g.dtype), g))  # column sums as 1^T G: (m,) . (m, n)
    return grads


_ONES: dict = {}


def _ones(m, dtype):
    """A cached vector of m ones: ``dot(ones, G)`` sums G's rows faster than ``G.sum(axis=0)``
    for the small batches of SGD."""
    ones = _ONES.get((m, dtype))
    if ones is None:
        ones = _ONES[m, dtype] = xp.ones(m, dtype=dtype)
    return ones


def _rows(x: Tensor, what: str):
    """``(m, k)`` of a 2-D tensor of scores, or a clear error."""
    if not isinstance(x, Tensor) or x._data.ndim != 2:
        shape = x._data.shape if isinstance(x, Tensor) else getattr(x, "shape", type(x).__name__)
        raise InputError(f"{what} must be a 2-D tensor (samples, classes), got {shape}.")
    return x._data.shape


def _labels(target, n_classes: int, m: int):
    """Integer labels ``(m,)`` (checked), or None when ``target`` is already ``(m, n_classes)``."""
    t = target._data if isinstance(target, Tensor) else xp.asarray(target)
    if t.ndim == 2 and t.shape == (m, n_classes):
        return None, t
    if t.ndim != 1 or len(t) != m or t.dtype.kind not in "iu":
        raise InputError(
            f"targets must be integer labels of shape ({m},) or rows of shape ({m}, "
            f"{n_classes}), got {t.dtype} of shape {t.shape}."
        )
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        raise InputError(
            f"labels run from {t.min()} to {t.max()} but there are {n_classes} classes "
            f"(0 to {n_classes - 1})."
        )
    return t, None


def cross_entropy(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """``-log softmax(z_i)[y_i]`` per sample from logits ``(m, k)`` and integer labels ``(m,)``
    or target rows ``(m, k)`` (one-hot or probabilities), then their mean (``reduction=
    "mean"``, PyTorch's default), ``"sum"`` or ``"none"`` (the ``(m,)`` losses). The backward
    rule is the famous ``softmax(z) - y``, times each sample's incoming gradient."""
    m, k = _rows(logits, "cross_entropy's logits")
    scale = _reduction(reduction, m)
    labels, rows = _labels(target, k, m)
    log_p = functions.log_softmax(logits._data, axis=1)
    picked = log_p[xp.arange(m), labels] if labels is not None else (rows * log_p).sum(axis=1)
    losses = -picked
    loss = losses if scale is None else losses.sum() * scale
    return _make(
        xp.asarray(loss, dtype=logits.dtype),
        (logits,),
        _cross_entropy_back,
        (log_p, labels, rows, scale),
    )


def _cross_entropy_back(g, out):
    log_p, labels, rows, scale = out._saved
    grad = _softmax_minus_target(log_p, labels, rows)
    return (grad * (g[:, None] if scale is None else g * scale),)


def _softmax_minus_target(log_p, labels, rows):
    """``d(-log softmax(z)[y]) / dz`` per sample, ``(m, k)``, from ``log_p = log softmax(z)``."""
    grad = xp.exp(log_p)  # softmax(z)
    if labels is not None:
        grad[xp.arange(len(log_p)), labels] -= 1  # softmax - one_hot(y)
        return grad
    # d/dz of -sum_j r_j log softmax_j(z) = softmax(z) sum_j r_j - r
    return grad * rows.sum(axis=1, keepdims=True) - rows


def _reduction(reduction: str, m: int):
    """The factor a summed loss is multiplied by (None: keep each sample's loss)."""
    if reduction not in _REDUCTIONS:
        raise InputError(f"unknown reduction {reduction!r}: choose one of mean, sum, none.")
    return {"mean": 1.0 / max(1, m), "sum": 1.0, "none": None}[reduction]


def nll(log_probs: Tensor, target, reduction: str = "mean") -> Tensor:
    """``-log_probs[i, y_i]`` per sample (the negative log-likelihood of integer labels), then
    their mean, ``"sum"`` or ``"none"``."""
    m, k = _rows(log_probs, "nll's log-probabilities")
    scale = _reduction(reduction, m)
    labels, rows = _labels(target, k, m)
    if labels is None:
        losses = -(log_probs * Tensor(rows, dtype=log_probs.dtype)).sum(1)
    else:
        losses = -log_probs[xp.arange(m), labels]
    return losses if scale is None else losses.sum() * scale


def mse(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """The squared errors ``(input - target)^2`` of every element, then their mean (PyTorch's
    ``mse_loss``), ``"sum"`` or ``"none"``."""
    target = _as_tensor(target, input)
    if input.shape != target.shape:
        raise InputError(
            f"mse needs input and target of one shape, got {input.shape} and {target.shape}."
        )
    squares = (input - target) ** 2
    scale = _reduction(reduction, squares._data.size)
    return squares if scale is None else squares.sum() * scale


def cost(output: Tensor, target, name: str = "quadratic") -> Tensor:
    """A cost from the shared table, as the book defines it: summed over output units, averaged
    over samples, ``C = (1/m) sum_i sum_j C(a_ij, y_ij)``; its backward rule is the table's
    ``dC/da`` (divided by m). ``name``: quadratic or cross_entropy (sigmoid outputs)."""
    entry = name if isinstance(name, functions.Cost) else functions.cost(name)
    a = output._data
    y = _targets(entry, a, target)
    value = xp.asarray(entry.total(a, y) * (1.0 / len(a)), dtype=a.dtype)
    return _make(value, (output,), _cost_back, (entry, y))


def _cost_back(g, out):
    entry, y = out._saved
    a = out._inputs[0]._data
    return (_cost_gradient(entry, a, y, float(g) / len(a)),)  # g: the loss's one-element gradient


def _targets(entry, a, target):
    y = target._data if isinstance(target, Tensor) else xp.asarray(target, dtype=a.dtype)
    if y.shape != a.shape:
        raise InputError(
            f"the {entry.name} cost needs targets of the output's shape {a.shape}, got {y.shape}."
        )
    return y


def _cost_gradient(entry, a, y, scale):
    """``scale * dC/da`` from the table, ``(m, n)``: a fresh array."""
    grad = entry.derivative(a, y)
    grad *= scale
    return grad


def output_gradient(output: Tensor, target, name="quadratic"):
    """``dC/d(output)``, ``(m, n_out)``: the gradient of the batch's mean cost with respect to
    the output, without the cost's value. For a table cost (quadratic, cross_entropy) the
    table's ``dC/da / m``, as ``cost(output, target, name)`` backpropagates it; for
    ``log_likelihood`` the output is the logits ``z`` and this is ``(softmax(z) - y) / m``, as
    ``cross_entropy(output, target)`` backpropagates it. ``output.backward(output_gradient(...))``
    fills the parameters' ``.grad`` as ``cost(...).backward()`` would: the start of backprop
    (BP1's ``dC/da``), where a training step has no use for the cost's value."""
    entry = name if isinstance(name, functions.Cost) else functions.cost(name)
    a = output._data
    scale = 1.0 / max(1, len(a))
    if entry is functions.log_likelihood:
        m, k = _rows(output, "the log-likelihood's logits")
        grad = _softmax_minus_target(functions.log_softmax(a, axis=1), *_labels(target, k, m))
        grad *= scale
        return grad
    return _cost_gradient(entry, a, _targets(entry, a, target), scale)


# ------------------------------------------------------------------------ transformer pieces
_GELU_C = math.sqrt(2.0 / math.pi)  # the tanh form's sqrt(2 / pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x Phi(x)``, Phi the standard normal CDF ``(1 + erf(x / sqrt 2)) / 2`` (Hendrycks &
    Gimpel); ``approximate="tanh"``: ``x (1 + tanh(u)) / 2`` with
    ``u = sqrt(2/pi) (x + 0.044715 x^3)``. Backward: ``Phi(x) + x phi(x)``, phi the normal
    density; for tanh ``(1 + t)/2 + x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2``."""
    x = _as_tensor(input)
    if approximate not in ("none", "tanh"):
        raise InputError(f"gelu's approximate is 'none' or 'tanh', got {approximate!r}.")
    a = x._data
    if approximate == "tanh":
        t = xp.tanh(_GELU_C * (a + 0.044715 * a**3))
        return _make(0.5 * a * (1 + t), (x,), _gelu_tanh_back, (t,))
    cdf = 0.5 * (1 + erf(a * (1 / math.sqrt(2.0))))
    return _make(a * cdf, (x,), _gelu_back, (cdf,))


def _gelu_back(g, out):
    (cdf,) = out._saved
    a = out._inputs[0]._data
    pdf = xp.exp(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + a * pdf),)


def _gelu_tanh_back(g, out):
    (t,) = out._saved
    a = out._inputs[0]._data
    du = _GELU_C * (1 + 3 * 0.044715 * a * a)
    return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * du),)


def dropout(
    input, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """In training, each element zeroed with probability ``p`` and the others scaled by
    ``1 / (1 - p)`` (so the expected value is unchanged): ``y = x (.) mask / (1 - p)``, whose
    gradient is ``G (.) mask / (1 - p)``; with ``training=False`` (or ``p = 0``) ``x`` itself.
    The mask comes from the global generator (``manual_seed``) or ``generator``. ``inplace``
    is accepted and makes a new tensor all the same (the graph keeps the input)."""
    if not (isinstance(p, (int, float)) and 0 <= p <= 1):
        raise InputError(f"dropout probability has to be between 0 and 1, but got {p}.")
    x = _as_tensor(input)
    if not training or p == 0:
        return x
    keep = _rng(generator).random(x.shape) >= p
    scale = keep.astype(x.dtype) * (1.0 / (1 - p) if p < 1 else 0.0)
    return _make(x._data * scale, (x,), _dropout_back, (scale,))


def _dropout_back(g, out):
    return (g * out._saved[0],)
