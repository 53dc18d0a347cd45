"""Neurons, layers and MLPs of Values: their gradients against HIPS autograd, their shape and API
against micrograd's, and the demo's promise (moons learned to 100% within 100 steps)."""

import random

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad

from chainrule import Value
from chainrule.errors import InputError
from chainrule.scalar import MLP, Layer, Neuron
from chainrule.scalar.demo import max_margin_loss, moons, train_moons


def _weights(model):
    """The MLP's weights as numpy arrays: W (n_out, n_in) and b (n_out,) per layer."""
    return [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
        )
        for layer in model.layers
    ]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_gradients_match_autograd(activation):
    model = MLP(3, [4, 5, 2], activation=activation, seed=7)
    X = np.array([[0.5, -1.2, 0.3], [1.1, 0.4, -0.7]])
    targets = np.array([[0.2, -0.1], [0.0, 0.5]])

    out = [model([Value(x) for x in row]) for row in X]
    loss = sum((o - t) ** 2 for row, trow in zip(out, targets) for o, t in zip(row, trow))
    model.zero_grad()
    loss.backward()

    act = {
        "relu": lambda z: anp.where(z > 0, z, 0.0),
        "tanh": anp.tanh,
        "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
    }[activation]
    params = _weights(model)
    flat = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in params])

    def f(theta):
        a, i = X, 0
        for k, (W, b) in enumerate(params):
            Wk = theta[i : i + W.size].reshape(W.shape)
            i += W.size
            bk = theta[i : i + b.size]
            i += b.size
            z = a @ Wk.T + bk
            a = z if k == len(params) - 1 else act(z)
        return anp.sum((a - targets) ** 2)

    assert loss.data == pytest.approx(float(f(flat)), rel=1e-12)
    expected = ag_grad(f)(flat)
    ours = np.concatenate(
        [
            np.concatenate(
                [[w.grad for n in layer.neurons for w in n.w], [n.b.grad for n in layer.neurons]]
            )
            for layer in model.layers
        ]
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_mlp_has_micrographs_shape_and_api():
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert [len(layer.neurons) for layer in model.layers] == [16, 16, 1]
    assert all(n.nonlin for n in model.layers[0].neurons)
    assert not model.layers[-1].neurons[0].nonlin  # the last layer is linear
    out = model([1.0, -2.0])  # plain numbers work as inputs; one output comes back bare
    assert isinstance(out, Value)
    assert repr(model).startswith("MLP of [Layer of [ReLUNeuron(2)")
    assert repr(model).endswith("Layer of [LinearNeuron(16)]]")
    assert repr(Neuron(3, activation="tanh")) == "TanhNeuron(3)"
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)


def test_weights_are_drawn_like_micrograds():
    # micrograd draws each neuron's weights with random.uniform(-1, 1), then its bias is 0:
    # a script seeded with random.seed gets the same numbers in the same order.
    random.seed(42)
    expected = [random.uniform(-1, 1) for _ in range(3 * 2)]
    random.seed(42)
    layer = Layer(3, 2)
    assert [w.data for n in layer.neurons for w in n.w] == expected
    assert all(n.b.data == 0.0 for n in layer.neurons)
    # seed= uses a private generator: same seed, same net, global state untouched.
    state = random.getstate()
    a, b = MLP(2, [3, 1], seed=5), MLP(2, [3, 1], seed=5)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert random.getstate() == state


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1], seed=1)
    model([0.5, 0.5]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_unknown_activation_lists_known_ones():
    with pytest.raises(InputError, match="unknown activation 'gelu'.*relu"):
        MLP(2, [3, 1], activation="gelu")


def test_max_margin_loss_matches_its_formula():
    model = MLP(2, [4, 1], seed=3)
    X, y = moons(n_samples=20)
    loss, accuracy = max_margin_loss(model, X, y, alpha=1e-3)
    scores = [model(x).data for x in X]
    hinge = np.mean([max(0.0, 1 - yi * s) for yi, s in zip(y, scores)])
    reg = 1e-3 * sum(p.data**2 for p in model.parameters())
    assert loss.data == pytest.approx(hinge + reg, rel=1e-12)
    assert accuracy == np.mean([(yi > 0) == (s > 0) for yi, s in zip(y, scores)])


def test_moons_demo_reaches_full_training_accuracy_within_100_steps():
    _, history = train_moons(steps=100, seed=1337)
    losses = [loss for loss, _ in history]
    assert max(acc for _, acc in history) == 1.0
    assert history[-1][1] == 1.0
    assert losses[-1] < 0.1 * losses[0]
