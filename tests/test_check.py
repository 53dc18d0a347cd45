"""gradcheck: central finite differences against each engine's own gradient. It passes on every
engine, fails on a deliberately broken gradient, and leaves every parameter's bits as they were."""

import numpy as np
import pytest

from chainrule import Tensor, no_grad
from chainrule.check import Float32Warning, as_float64, as_network, gradcheck
from chainrule.errors import InputError, InputTypeError
from chainrule.models import TensorNetwork, ValueNetwork
from chainrule.network import Network

SIZES = [3, 4, 2]


def _batch(m=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, SIZES[0])), rng.integers(0, SIZES[-1], m)


def _snapshot(model):
    return {name: np.array(a, copy=True) for name, a in model.parameters().items()}


def _same_bits(before, model):
    after = model.parameters()
    return all(before[name].tobytes() == after[name].tobytes() for name in before)


@pytest.mark.parametrize("engine", [Network, TensorNetwork, ValueNetwork])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_every_engine_passes_and_is_left_as_it_was(engine, activation):
    model = engine(SIZES, activation, "quadratic", "scaled", np.float64, seed=3)
    before = _snapshot(model)
    X, y = _batch()
    result = gradcheck(model, X, y)
    assert result.passed, str(result)
    assert [g.name for g in result.groups] == ["W1", "b1", "W2", "b2"]
    assert all(g.checked == g.size for g in result.groups)
    assert result.max_error < 1e-6 and result.tol == 1e-6
    assert _same_bits(before, model)
    assert "passed: every group within 1e-06" in str(result)


@pytest.mark.parametrize(
    "activation, cost",
    [("sigmoid", "cross_entropy"), ("relu", "log_likelihood"), ("softplus", "quadratic")],
)
def test_network_passes_with_every_cost(activation, cost):
    net = Network([4, 6, 5, 3], activation, cost, "scaled", np.float64, seed=2)
    rng = np.random.default_rng(1)
    result = gradcheck(net, rng.standard_normal((7, 4)), rng.integers(0, 3, 7))
    assert result.passed, str(result)
    assert len(result.groups) == 6


class ForgetsSigmaPrime(Network):
    """BP2 without its factor sigma'(z^l): a classic backprop bug."""

    def backprop_batch(self, X, Y, scale=None):
        zs, activations = self.forward(X)
        delta = self._output_error(zs[-1], activations[-1], Y) / len(X)
        nabla_b, nabla_w = [None] * 2, [None] * 2
        nabla_b[-1], nabla_w[-1] = delta.sum(axis=0), delta.T @ activations[-2]
        delta = delta @ self.weights[-1]  # missing: * sigma'(z^1)
        nabla_b[0], nabla_w[0] = delta.sum(axis=0), delta.T @ activations[0]
        return nabla_b, nabla_w


def test_a_broken_gradient_fails_in_the_groups_it_breaks():
    net = ForgetsSigmaPrime(SIZES, "sigmoid", "quadratic", "scaled", np.float64, seed=3)
    X, y = _batch()
    result = gradcheck(net, X, y)
    assert not result.passed
    assert {g.name: g.passed for g in result.groups} == {
        "W1": False,
        "b1": False,
        "W2": True,
        "b2": True,
    }
    assert result.errors["W1"] > 0.5  # sigma' <= 1/4: the gradient is off several times over
    table = str(result)
    assert "FAILED: W1, b1 off by more than 1e-06" in table
    assert table.count("FAIL") == 3  # two rows and the verdict
    worst = result["W1"]
    assert worst.analytic != pytest.approx(worst.numeric, rel=0.1)


def test_float32_warns_loosens_the_tolerance_and_restores_every_bit():
    net = Network(SIZES, "sigmoid", "quadratic", "scaled", np.float32, seed=3)
    before = _snapshot(net)
    X, y = _batch()
    with pytest.warns(Float32Warning, match=r"float32 finite differences are only good to ~1e-3"):
        result = gradcheck(net, X, y)
    assert result.passed and result.tol == 1e-2 and result.eps == 1e-3 and result.dtype == "float32"
    assert _same_bits(before, net)
    tight = gradcheck(as_float64(net), X, y)  # the same weights, checked tightly
    assert tight.passed and tight.dtype == "float64"


def test_max_params_samples_each_group_reproducibly():
    net = Network([20, 30, 2], "tanh", "quadratic", "scaled", np.float64, seed=0)
    X = np.random.default_rng(0).standard_normal((4, 20))
    y = np.array([0, 1, 1, 0])
    a, b = gradcheck(net, X, y, max_params=7, seed=5), gradcheck(net, X, y, max_params=7, seed=5)
    assert [g.checked for g in a.groups] == [7, 7, 7, 2]
    assert [g.size for g in a.groups] == [600, 30, 60, 2]
    assert a.errors == b.errors and a.passed


def test_bad_input_is_one_sentence():
    net = Network(SIZES, seed=0)
    with pytest.raises(InputError, match=r"inputs of shape \(m, 3\)"):
        gradcheck(net, np.zeros((2, 5)), [0, 1])
    with pytest.raises(InputError, match="eps and tol must be positive"):
        gradcheck(net, np.zeros((2, 3)), [0, 1], eps=0)
    with pytest.raises(InputTypeError, match="Network, TensorNetwork, ValueNetwork"):
        gradcheck(object(), np.zeros((2, 3)), [0, 1])


def test_any_engine_becomes_the_same_float64_network():
    tensor = TensorNetwork(SIZES, "tanh", "quadratic", "scaled", np.float32, seed=4)
    net = as_network(tensor)
    X, _ = _batch()
    assert net.dtype == np.float64
    with no_grad():
        expected = tensor.model(Tensor(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(net.feedforward(X), expected, rtol=1e-5)
