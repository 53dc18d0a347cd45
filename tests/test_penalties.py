"""The L1 and L2 penalties in every engine: one ``step`` with ``l1`` and ``l2`` is gradient
descent on ``C + (l1 / n) sum |w| + (l2 / 2n) sum w^2`` (weights only), the gradient taken by
HIPS autograd on a forward pass written here, and checked against central differences; and
``evaluate`` reports the penalised cost."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from chainrule.models import ENGINES, build

SIZES = [2, 3, 2]
N = 40  # the training-set size the penalties are divided by


def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(5, 2)), rng.uniform(-0.8, 0.8, size=(5, 2))


def total_cost(params, X, Y, l1, l2):
    """The oracle: a tanh network with the quadratic cost ``(1/m) sum_x 1/2 ||a^L - y||^2``,
    plus the penalties over the weights."""
    a = X
    for l in range(1, len(SIZES)):
        a = anp.tanh(a @ params[f"W{l}"].T + params[f"b{l}"])
    cost = 0.5 * anp.sum((a - Y) ** 2) / len(X)
    weights = [params[f"W{l}"] for l in range(1, len(SIZES))]
    return (
        cost
        + l1 / N * sum(anp.sum(anp.abs(W)) for W in weights)
        + l2 / (2 * N) * sum(anp.sum(W**2) for W in weights)
    )


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("l1, l2", [(0.5, 0.0), (0.3, 0.7), (0.0, 0.7)])
def test_a_step_descends_the_penalised_cost(engine, l1, l2):
    X, Y = data()
    model = build(engine, SIZES, "tanh", "quadratic", "normal", seed=1)
    before = {k: np.array(v, dtype=np.float64) for k, v in model.parameters().items()}
    expected_grad = grad(total_cost)(before, X, Y, l1, l2)
    lr = 0.1
    model.step(X, Y, lr, l2, N, l1=l1)
    after = model.parameters()
    for name in before:
        np.testing.assert_allclose(
            after[name], before[name] - lr * expected_grad[name], rtol=1e-10, atol=1e-12
        )


def test_the_oracle_agrees_with_central_differences():
    X, Y = data()
    params = {
        k: np.array(v, dtype=np.float64)
        for k, v in build("network", SIZES, "tanh", "quadratic", "normal", seed=1)
        .parameters()
        .items()
    }
    analytic = grad(total_cost)(params, X, Y, 0.3, 0.7)
    eps = 1e-6
    for name, array in params.items():
        for index in np.ndindex(array.shape):
            assert abs(array[index]) > 10 * eps  # |w| is differentiable here
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][index] += eps
            down[name][index] -= eps
            numeric = (total_cost(up, X, Y, 0.3, 0.7) - total_cost(down, X, Y, 0.3, 0.7)) / (
                2 * eps
            )
            assert numeric == pytest.approx(analytic[name][index], abs=1e-7)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_evaluate_adds_both_penalties(engine):
    X, _ = data()
    model = build(engine, [2, 3, 1], "sigmoid", "quadratic", "normal", seed=2)
    y = np.array([0, 1, 1, 0, 1])
    plain, _ = model.evaluate(X, y)
    weights = [v for k, v in model.parameters().items() if k.startswith("W")]
    l1_term = 0.4 / N * sum(np.abs(W).sum() for W in weights)
    l2_term = 0.6 / (2 * N) * sum((W**2).sum() for W in weights)
    penalised, _ = model.evaluate(X, y, 0.6, N, l1=0.4)
    assert penalised == pytest.approx(plain + l1_term + l2_term, rel=1e-12)
