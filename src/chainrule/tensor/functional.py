"""Fused operations and losses on tensors: each one forward rule and one backward rule, so a
layer or a loss is one node of the graph rather than several (fewer nodes, less overhead).

Shapes: ``x`` is ``(m, n_in)`` (samples as rows), ``W`` is ``(n_out, n_in)`` as in PyTorch and in
``Network``, ``b`` is ``(n_out,)``; logits and outputs are ``(m, n_out)``.
"""

from __future__ import annotations

from chainrule import functions
from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.tensor import Tensor, _as_tensor, _make

__all__ = ["cost", "cross_entropy", "linear", "mse", "nll"]


def linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """``x W^T + b``: ``(m, n_in) @ (n_in, n_out) + (n_out,)``. With ``G = dL/d(out)``:
    ``dL/dx = G W``, ``dL/dW = G^T x``, ``dL/db = sum of G's rows``."""
    x = _as_tensor(x)
    if x.ndim != 2 or x.shape[1] != W.shape[1]:
        raise InputError(
            f"linear layer expects input of shape (samples, {W.shape[1]}), got {x.shape}."
        )
    out = x.data @ W.data.T
    if b is None:
        return _make(out, (x, W), _linear_back)
    out += b.data
    return _make(out, (x, W, b), _linear_back)


def _linear_back(g, out):
    x, W = out._inputs[0], out._inputs[1]
    grads = [
        g @ W.data if x.requires_grad else None,
        g.T @ x.data if W.requires_grad else None,
    ]
    if len(out._inputs) == 3:
        grads.append(xp.dot(xp.ones(len(g), dtype=g.dtype), g))  # column sums, (1, m) @ (m, n)
    return grads


def _labels(target, n_classes: int, m: int):
    """Integer labels ``(m,)`` (checked), or None when ``target`` is already ``(m, n_classes)``."""
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
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


def cross_entropy(logits: Tensor, target) -> Tensor:
    """``-mean_i log softmax(z_i)[y_i]`` from logits ``(m, k)`` and integer labels ``(m,)`` or
    target rows ``(m, k)`` (one-hot or probabilities). The backward rule is the famous
    ``(softmax(z) - y) / m``."""
    m, k = logits.shape
    labels, rows = _labels(target, k, m)
    log_p = functions.log_softmax(logits.data, axis=1)
    if labels is not None:
        loss = -log_p[xp.arange(m), labels].sum() / m
    else:
        loss = -(rows * log_p).sum() / m
    return _make(xp.asarray(loss, dtype=logits.dtype), (logits,), _cross_entropy_back,
                 (log_p, labels, rows))


def _cross_entropy_back(g, out):
    log_p, labels, rows = out._saved
    m = len(log_p)
    grad = xp.exp(log_p)  # softmax(z)
    if labels is not None:
        grad[xp.arange(m), labels] -= 1  # softmax - one_hot(y)
    else:  # d/dz of -sum_j r_j log softmax_j(z) = softmax(z) sum_j r_j - r
        grad = grad * rows.sum(axis=1, keepdims=True) - rows
    return (grad * (g / m),)


def nll(log_probs: Tensor, target) -> Tensor:
    """``-mean_i log_probs[i, y_i]``: the negative log-likelihood of integer labels."""
    m, k = log_probs.shape
    labels, rows = _labels(target, k, m)
    if labels is None:
        return -(log_probs * Tensor(rows, dtype=log_probs.dtype)).sum() * (1.0 / m)
    return -log_probs[xp.arange(m), labels].sum() * (1.0 / m)


def mse(input: Tensor, target) -> Tensor:
    """The mean of the squared errors over every element (PyTorch's ``mse_loss``)."""
    target = _as_tensor(target, input)
    if input.shape != target.shape:
        raise InputError(f"mse needs input and target of one shape, got {input.shape} and "
                         f"{target.shape}.")
    return ((input - target) ** 2).mean()


def cost(output: Tensor, target, name: str = "quadratic") -> Tensor:
    """A cost from the shared table, as the book defines it: summed over output units, averaged
    over samples, ``C = (1/m) sum_i sum_j C(a_ij, y_ij)``; its backward rule is the table's
    ``dC/da`` (divided by m). ``name``: quadratic or cross_entropy (sigmoid outputs)."""
    entry = functions.cost(name)
    y = target.data if isinstance(target, Tensor) else xp.asarray(target, dtype=output.dtype)
    if y.shape != output.shape:
        raise InputError(f"the {entry.name} cost needs targets of the output's shape "
                         f"{output.shape}, got {y.shape}.")
    m = len(output.data)
    value = xp.asarray(entry.fn(output.data, y).sum() / m, dtype=output.dtype)
    return _make(value, (output,), _cost_back, (entry, y))


def _cost_back(g, out):
    entry, y = out._saved
    a = out._inputs[0].data
    return (entry.derivative(a, y) * (g / len(a)),)
