"""The explicit-backprop Network: BP1-BP4 against finite differences and HIPS autograd, and the
matrix form against the average of the per-sample gradients."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from conftest import numeric_gradient

from chainrule.errors import InputError
from chainrule.network import Network

COMBOS = [
    ("sigmoid", "quadratic"),
    ("tanh", "quadratic"),
    ("relu", "quadratic"),
    ("leaky_relu", "quadratic"),
    ("softplus", "quadratic"),
    ("sigmoid", "cross_entropy"),
    ("sigmoid", "log_likelihood"),
    ("tanh", "log_likelihood"),
]
ACT = {
    "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: anp.log1p(anp.exp(z)),
}


def _sample(net, m, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, net.sizes[0]))
    y = rng.integers(0, net.sizes[-1], m)
    return X, net.targets(y)


def _oracle_cost(net):
    """The network's mean cost as a function of all parameters, written in autograd's numpy."""
    shapes = [(W.shape, b.shape) for W, b in zip(net.weights, net.biases)]
    act = ACT[net.activation.name]

    def cost(theta, X, Y):
        a, i = X, 0
        for k, (ws, bs) in enumerate(shapes):
            W = theta[i : i + ws[0] * ws[1]].reshape(ws)
            i += ws[0] * ws[1]
            b = theta[i : i + bs[0]]
            i += bs[0]
            z = a @ W.T + b
            if k < len(shapes) - 1 or net.output is not None:
                a = act(z)
            else:
                e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
                a = e / anp.sum(e, axis=1, keepdims=True)
        if net.cost.name == "quadratic":
            per = 0.5 * anp.sum((a - Y) ** 2, axis=1)
        elif net.cost.name == "cross_entropy":
            per = -anp.sum(Y * anp.log(a) + (1 - Y) * anp.log(1 - a), axis=1)
        else:
            per = -anp.sum(Y * anp.log(a), axis=1)
        return anp.mean(per)

    return cost


def _flat(nabla_b, nabla_w):
    return np.concatenate([np.concatenate([nw.ravel(), nb]) for nb, nw in zip(nabla_b, nabla_w)])


def _theta(net):
    return _flat(net.biases, net.weights)


@pytest.mark.parametrize("activation, cost", COMBOS)
def test_backprop_of_one_sample_matches_finite_differences_and_autograd(activation, cost):
    net = Network([4, 5, 3, 3], activation, cost, init="scaled", seed=3)
    X, Y = _sample(net, 1)
    nabla_b, nabla_w = net.backprop(X[0], Y[0])
    ours = _flat(nabla_b, nabla_w)
    oracle = _oracle_cost(net)
    np.testing.assert_allclose(ours, ag_grad(oracle)(_theta(net), X, Y), rtol=1e-9, atol=1e-12)
    numeric = numeric_gradient(lambda t: oracle(t, X, Y), _theta(net))
    np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation, cost", COMBOS)
def test_matrix_form_equals_the_average_of_per_sample_gradients(activation, cost):
    net = Network([6, 7, 4], activation, cost, init="scaled", seed=1)
    X, Y = _sample(net, 13)
    batch = _flat(*net.backprop_batch(X, Y))
    per_sample = np.mean([_flat(*net.backprop(x, y)) for x, y in zip(X, Y)], axis=0)
    relative = np.linalg.norm(batch - per_sample) / np.linalg.norm(per_sample)
    assert relative < 1e-12
    np.testing.assert_allclose(batch, _flat(*net.mean_gradient(X, Y, "per-sample")), rtol=1e-12)
    np.testing.assert_allclose(
        batch, ag_grad(_oracle_cost(net))(_theta(net), X, Y), rtol=1e-9, atol=1e-12
    )


def test_update_is_one_step_of_l2_regularized_gradient_descent():
    net = Network([3, 4, 2], seed=2)
    X, Y = _sample(net, 5)
    eta, lmbda, n = 0.7, 2.0, 50
    nabla_b, nabla_w = net.backprop_batch(X, Y)
    expected_w = [(1 - eta * lmbda / n) * W - eta * nw for W, nw in zip(net.weights, nabla_w)]
    expected_b = [b - eta * nb for b, nb in zip(net.biases, nabla_b)]
    net.update(X, Y, eta, lmbda, n)
    for W, e in zip(net.weights, expected_w):
        np.testing.assert_allclose(W, e, rtol=1e-13)
    for b, e in zip(net.biases, expected_b):
        np.testing.assert_allclose(b, e, rtol=1e-13)


def test_per_sample_and_matrix_updates_agree():
    a = Network([3, 4, 2], "tanh", seed=4)
    b = Network([3, 4, 2], "tanh", seed=4)
    X, Y = _sample(a, 8)
    a.update(X, Y, 0.5, 1.0, 40, form="matrix")
    b.update(X, Y, 0.5, 1.0, 40, form="per-sample")
    for Wa, Wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(Wa, Wb, rtol=1e-12)


def test_feedforward_takes_one_sample_or_a_batch_and_keeps_the_dtype():
    net = Network([3, 4, 2], dtype=np.float32, seed=0)
    X = np.random.default_rng(0).standard_normal((5, 3))
    batch = net.feedforward(X)
    assert batch.shape == (5, 2) and batch.dtype == np.float32
    np.testing.assert_allclose(net.feedforward(X[1]), batch[1], rtol=1e-6)
    W, b = net.weights[0].astype(np.float64), net.biases[0].astype(np.float64)
    hidden = 1 / (1 + np.exp(-(X @ W.T + b)))
    W2, b2 = net.weights[1].astype(np.float64), net.biases[1].astype(np.float64)
    np.testing.assert_allclose(batch, 1 / (1 + np.exp(-(hidden @ W2.T + b2))), rtol=1e-5)


def test_softmax_outputs_are_probabilities():
    net = Network([3, 4, 5], cost="log_likelihood", seed=0)
    a = net.feedforward(np.random.default_rng(1).standard_normal((6, 3)) * 50)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(a >= 0)


def test_inits_have_the_stated_spread():
    normal = Network([400, 300, 1], init="normal", seed=0)
    scaled = Network([400, 300, 1], init="scaled", seed=0)
    assert normal.weights[0].std() == pytest.approx(1.0, rel=0.02)
    assert scaled.weights[0].std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert scaled.biases[0].std() == pytest.approx(1.0, rel=0.15)
    same = Network([400, 300, 1], init="scaled", seed=0)
    assert np.array_equal(same.weights[0], scaled.weights[0])


def test_total_cost_includes_the_l2_term():
    net = Network([2, 3, 2], seed=5)
    X, Y = _sample(net, 4)
    a = net.feedforward(X)
    plain = 0.5 * np.sum((a - Y) ** 2) / 4
    squares = sum(np.sum(W**2) for W in net.weights)
    assert net.total_cost(X, Y) == pytest.approx(plain, rel=1e-12)
    assert net.total_cost(X, Y, lmbda=3.0, n=10) == pytest.approx(plain + 1.5 / 10 * squares)


def test_targets_are_one_hot_or_the_label_for_one_output():
    assert Network([2, 3], seed=0).targets(np.array([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert Network([2, 1], seed=0).targets(np.array([1, 0])).tolist() == [[1.0], [0.0]]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(sizes=[3]), "at least two positive layer widths"),
        (dict(sizes=[3, 0, 2]), "at least two positive layer widths"),
        (dict(sizes=[3, 2], init="xavier"), "unknown init 'xavier'"),
        (dict(sizes=[3, 2], dtype=np.int32), "float32 or float64"),
        (dict(sizes=[3, 2], activation="swish"), "unknown activation 'swish'.*sigmoid"),
        (dict(sizes=[3, 2], cost="hinge"), "unknown cost 'hinge'.*quadratic"),
        (dict(sizes=[3, 2], activation="tanh", cost="cross_entropy"), "between 0 and 1"),
    ],
)
def test_bad_settings_get_one_sentence(kwargs, words):
    with pytest.raises(InputError, match=words):
        Network(**kwargs)


def test_unknown_backprop_form():
    net = Network([2, 2], seed=0)
    with pytest.raises(InputError, match="matrix or per-sample"):
        net.mean_gradient(np.zeros((1, 2)), np.zeros((1, 2)), "diagonal")


def test_labels_where_targets_belong_are_refused_not_broadcast():
    net = Network([4, 5, 10], seed=0)
    X = np.zeros((10, 4))
    with pytest.raises(InputError, match=r"targets of shape \(10, 10\).*net.targets\(labels\)"):
        net.backprop_batch(X, np.arange(10))
    with pytest.raises(InputError, match=r"targets of shape \(10,\)"):
        net.backprop(X[0], 3)
    _, nw = net.backprop_batch(X, net.targets(np.arange(10)))  # the way that works
    assert nw[0].shape == (5, 4)


def test_a_softmax_layer_of_one_unit_is_refused():
    with pytest.raises(InputError, match="at least 2 units"):
        Network([3, 4, 1], cost="log_likelihood")


def test_predict_takes_one_sample_too():
    net = Network([3, 4, 5], seed=1)
    X = np.random.default_rng(0).random((4, 3))
    assert net.predict(X[2]).tolist() == [net.predict(X)[2]]
