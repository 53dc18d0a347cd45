"""The step-through's stages and their ingredients against an independent oracle: the sample's
cost written here in autograd's numpy and differentiated by HIPS autograd (BP3/BP4 are its
gradient; BP1/BP2's delta is dC/db), each stage's result equal to its ingredients combined, and
the update's new values those of gradient descent on the penalised cost."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from chainrule.network import Network
from chainrule.playground.stepthrough import stages

SIZES = [3, 4, 2, 2]


def network():
    net = Network(SIZES, "tanh", "quadratic", "normal")
    rng = np.random.default_rng(7)
    net.set_parameters({k: rng.normal(size=v.shape) for k, v in net.parameters().items()})
    return net


def sample_cost(params, x, y):
    """``1/2 ||a^L - y||^2`` of a tanh network, in autograd's numpy."""
    a = x
    for l in range(1, len(SIZES)):
        a = anp.tanh(params[f"W{l}"] @ a + params[f"b{l}"])
    return 0.5 * anp.sum((a - y) ** 2)


def columns(stage) -> dict:
    """The stage's table by column kind: ``{kind: array (rows,)}``."""
    table = np.array([row[1:] for row in stage["rows"]], dtype=float)
    return {kind: table[:, c] for c, (_, kind) in enumerate(stage["columns"])}


@pytest.fixture
def run():
    net = network()
    x, y = np.array([0.3, -1.2, 0.8]), np.array([0.5, -0.25])
    oracle = grad(sample_cost)(net.parameters(), x, y)
    return net, x, y, oracle, stages(net, x, y, lr=0.1, l1=0.2, l2=0.3, n=50)


def test_the_stages_come_in_order(run):
    *_, found = run
    L = len(SIZES) - 1
    names = [(s["stage"], s["layer"]) for s in found]
    assert names == (
        [("forward", l) for l in range(1, L + 1)]
        + [("cost", L), ("BP1", L)]
        + [("BP2", l) for l in range(L - 1, 0, -1)]
        + [("BP3/BP4", l) for l in range(L, 0, -1)]
        + [("update", None)]
    )


def test_each_delta_is_dC_db_and_the_product_of_its_ingredients(run):
    *_, oracle, found = run
    for stage in (s for s in found if s["stage"] in ("BP1", "BP2")):
        c = columns(stage)
        np.testing.assert_allclose(c["delta"], oracle[f"b{stage['layer']}"], rtol=1e-12)
        first = c["grad_a"] if stage["stage"] == "BP1" else c["back"]
        np.testing.assert_allclose(first * c["sigma_prime"], c["delta"], rtol=1e-12)


def test_bp2_shows_the_weights_transposed_times_the_next_delta(run):
    net, *_, oracle, found = run
    for stage in (s for s in found if s["stage"] == "BP2"):
        l = stage["layer"]
        expected = net.weights[l].T @ oracle[f"b{l + 1}"]  # (W^{l+1})^T delta^{l+1}
        np.testing.assert_allclose(columns(stage)["back"], expected, rtol=1e-12)


def test_bp3_bp4_are_the_gradient(run):
    *_, oracle, found = run
    for stage in (s for s in found if s["stage"] == "BP3/BP4"):
        l = stage["layer"]
        table = np.array([row[1:] for row in stage["rows"]])
        np.testing.assert_allclose(table[:, 0], oracle[f"b{l}"], rtol=1e-12)
        np.testing.assert_allclose(table[:, 1:], oracle[f"W{l}"], rtol=1e-12, atol=1e-15)


def test_the_update_is_descent_on_the_penalised_cost(run):
    net, x, y, oracle, found = run
    update = found[-1]
    assert [kind for _, kind in update["columns"]] == ["old", "step", "penalty", "new"]
    c = columns(update)
    np.testing.assert_allclose(c["new"], c["old"] - c["step"] - c["penalty"], rtol=1e-12)
    expected = []
    for l in range(1, len(SIZES)):
        W, b = net.weights[l - 1], net.biases[l - 1]
        penalty = 0.1 / 50 * (0.2 * np.sign(W) + 0.3 * W)
        expected += list((W - 0.1 * oracle[f"W{l}"] - penalty).ravel())
        expected += list(b - 0.1 * oracle[f"b{l}"])
    np.testing.assert_allclose(c["new"], expected, rtol=1e-12)
    assert r"\lambda_1" in update["tex"] and r"\lambda_2" in update["tex"]
    plain = stages(net, x, y, lr=0.1)[-1]
    assert [kind for _, kind in plain["columns"]] == ["old", "step", "new"]
    assert r"\lambda" not in plain["tex"]
