"""The three engines agree: the same network, weights and batch give the same cost and the same
gradients in the scalar Value MLP, the explicit Network and the Tensor MLP (float64, relative error
< 1e-10), and all three match central finite differences."""

import numpy as np
import pytest
from conftest import numeric_gradient

from chainrule import Value
from chainrule.models import TensorNetwork
from chainrule.network import Network
from chainrule.scalar import Layer


def _relative(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b))


def _value_layers(net):
    """Value layers holding the Network's weights: neuron j of layer l has w = W^l[j], b = b^l_j."""
    layers = []
    for W, b in zip(net.weights, net.biases):
        layer = Layer(W.shape[1], W.shape[0], nonlin=True, activation=net.activation.name)
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                w.data = float(W[j, k])
            neuron.b.data = float(b[j])
        layers.append(layer)
    return layers


def _value_cost_and_grads(net, X, Y):
    """The quadratic cost C = (1/m) sum_x ||a - y||^2 / 2 built from Values, and its gradients."""
    layers = _value_layers(net)
    total = Value(0.0)
    for x, y in zip(X, Y):
        a = [Value(float(v)) for v in x]
        for layer in layers:
            a = layer(a)
            a = a if isinstance(a, list) else [a]
        total = total + sum(0.5 * (aj - float(yj)) ** 2 for aj, yj in zip(a, y))
    cost = total * (1.0 / len(X))
    cost.backward()
    grads_w = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in layers]
    grads_b = [np.array([n.b.grad for n in layer.neurons]) for layer in layers]
    return cost.data, grads_b, grads_w


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_value_network_and_tensor_give_the_same_cost_and_gradients(activation):
    sizes = [4, 5, 3]
    net = Network(sizes, activation, "quadratic", "scaled", np.float64, seed=11)
    tnet = TensorNetwork(sizes, activation, "quadratic", "scaled", np.float64, seed=0)
    tnet.model.load_state_dict(
        {
            "0.weight": net.weights[0],
            "0.bias": net.biases[0],
            "1.weight": net.weights[1],
            "1.bias": net.biases[1],
        }
    )
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 4))
    Y = net.targets(rng.integers(0, 3, 6))

    # Network: BP1-BP4 in matrix form, the mean over the batch.
    nb, nw = net.backprop_batch(X, Y)
    cost_network = net.total_cost(X, Y)
    # Tensor: autograd over array operations.
    loss = tnet.loss(X, Y)
    loss.backward()
    params = dict(tnet.model.named_parameters())
    tb = [params["0.bias"].grad, params["1.bias"].grad]
    tw = [params["0.weight"].grad, params["1.weight"].grad]
    # Value: one node per scalar operation.
    cost_value, vb, vw = _value_cost_and_grads(net, X, Y)

    assert cost_value == pytest.approx(cost_network, rel=1e-12)
    assert float(loss.data) == pytest.approx(cost_network, rel=1e-12)
    for ours in (tb, vb):
        for a, b in zip(ours, nb):
            assert _relative(a, b) < 1e-10
    for ours in (tw, vw):
        for a, b in zip(ours, nw):
            assert _relative(a, b) < 1e-10

    # And the common answer is the right one: central finite differences on the cost.
    def cost_of(W1_flat):
        probe = Network(sizes, activation, "quadratic", "scaled", np.float64, seed=11)
        probe.weights[0][...] = W1_flat.reshape(net.weights[0].shape)
        return probe.total_cost(X, Y)

    numeric = numeric_gradient(cost_of, net.weights[0].ravel()).reshape(net.weights[0].shape)
    assert _relative(nw[0], numeric) < 1e-7


def test_tensor_and_network_train_identically():
    """Same seed, same data, same SGD: the two array engines end with the same weights."""
    from chainrule.data import digits
    from chainrule.train import train

    data = digits(dtype=np.float64)
    runs = []
    for cls in (Network, TensorNetwork):
        model = cls([64, 20, 10], "sigmoid", "cross_entropy", "scaled", np.float64, seed=4)
        history = train(
            model,
            data.X_train,
            data.y_train,
            epochs=2,
            batch_size=10,
            lr=0.5,
            l2=1.0,
            test=(data.X_test, data.y_test),
            seed=9,
        )
        runs.append((model, history))
    (net, h1), (tnet, h2) = runs
    np.testing.assert_allclose(h1.column("cost"), h2.column("cost"), rtol=1e-9)
    assert list(tnet.parameters()) == list(net.parameters()) == ["W1", "b1", "W2", "b2"]
    for name, array in net.parameters().items():
        np.testing.assert_allclose(tnet.parameters()[name], array, rtol=1e-9, atol=1e-12)


def test_all_three_engines_train_identically_through_one_loop():
    """Value, Network and Tensor, from the same start, through the same loop and batches."""
    from chainrule.data import moons
    from chainrule.models import ValueNetwork
    from chainrule.train import train

    data = moons(n_samples=40, dtype=np.float64)
    runs = {}
    for cls in (ValueNetwork, Network, TensorNetwork):
        model = cls([2, 3, 2], "tanh", "quadratic", "scaled", np.float64, seed=6)
        runs[cls.__name__] = (
            model,
            train(
                model, data.X_train, data.y_train, epochs=3, batch_size=8, lr=0.3, l2=0.5, seed=2
            ),
        )
    reference = runs["Network"][1].column("cost")
    for name in ("ValueNetwork", "TensorNetwork"):
        np.testing.assert_allclose(runs[name][1].column("cost"), reference, rtol=1e-10)
    final = runs["Network"][0].parameters()
    value = runs["ValueNetwork"][0].parameters()
    for name, array in final.items():
        np.testing.assert_allclose(value[name], array, rtol=1e-10, atol=1e-13)
