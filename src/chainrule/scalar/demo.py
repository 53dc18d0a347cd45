"""The micrograd lecture's demo: a ``MLP(2, [16, 16, 1])`` of Values learns the two moons.

Labels are -1/+1 and the loss is the max-margin (hinge) loss plus L2 regularization::

    L = mean_i relu(1 - y_i * score_i) + alpha * sum_p p**2

The loss is written with nothing but Value operations, so ``value=`` can be any engine with the
micrograd API (the benchmark runs it on micrograd itself).
"""

from __future__ import annotations

from sklearn.datasets import make_moons

from chainrule.scalar.engine import Value, collector_paused
from chainrule.scalar.nn import MLP


def moons(n_samples: int = 100, noise: float = 0.1, random_state: int = 1):
    """``make_moons`` as plain lists: inputs ``[[x1, x2], ...]`` and labels in ``{-1, +1}``."""
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return X.tolist(), (2 * y - 1).tolist()


def max_margin_loss(model, X, y, alpha: float = 1e-4, value=Value):
    """Hinge loss of ``model`` on ``(X, y)`` plus ``alpha * sum(p*p)``; returns (loss, accuracy)."""
    inputs = [[value(x) for x in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    return data_loss + reg_loss, accuracy


def sgd_step(model, loss, k: int, steps: int = 100) -> None:
    """Clear the gradients, backpropagate, and step against the gradient with a decaying rate."""
    model.zero_grad()
    loss.backward()
    lr = 1.0 - 0.9 * k / steps
    for p in model.parameters():
        p.data -= lr * p.grad


def lit_neuron(model, X, least: float = 0.01):
    """``(neuron, x)``: the first input row of ``X`` and neuron of the first layer for which every
    gradient of ``out = relu(w . x + b)`` is non-zero, and at least ``least`` in size (it shows in
    a picture's four decimals). With the ReLU on (``w . x + b > 0``) ``dout/db = 1``,
    ``dout/dw_i = x_i`` and ``dout/dx_i = w_i``; with it off every one is 0. None when no pair
    qualifies."""
    for x in X:
        for neuron in model.layers[0].neurons:
            weights = [w.data for w in neuron.w]
            pre = sum(w * xi for w, xi in zip(weights, x)) + neuron.b.data
            if pre > 0 and min(map(abs, [*weights, *x])) >= least:
                return neuron, x
    return None


def train_moons(steps: int = 100, seed: int = 1337, callback=None):
    """Train the demo MLP for ``steps`` full-batch steps; ``callback(k, loss, accuracy)`` sees each.

    Returns the model and the history as a list of ``(loss, accuracy)`` per step."""
    X, y = moons()
    model = MLP(2, [16, 16, 1], seed=seed)
    history = []
    for k in range(steps):
        with collector_paused():  # the graph has no cycles: see collector_paused
            loss, accuracy = max_margin_loss(model, X, y)
            sgd_step(model, loss, k, steps)
            history.append((loss.data, accuracy))
            del loss  # free the graph inside the pause
        if callback is not None:
            callback(k, *history[-1])
    return model, history
