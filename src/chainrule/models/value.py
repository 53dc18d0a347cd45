"""The scalar engine as a ``Model`` (see chainrule.protocol), so that ``chainrule train xor
--engine value`` trains a network of Values through the same loop as the array engines: one graph
per mini-batch, one node per scalar operation.

The network starts from the same weights as ``Network(sizes, ..., seed=seed)`` (each neuron j of
layer l holds row j of W^l and b^l_j), so the three engines can be run side by side and compared
epoch by epoch. The cost is the quadratic cost of the shared table, written with Value
arithmetic: ``C = (1/m) sum_x sum_j (a_j - y_j)^2 / 2``.
"""

from __future__ import annotations

import random as _random

import numpy as np

from chainrule import functions
from chainrule.errors import InputError
from chainrule.network import Network
from chainrule.protocol import ModelBase
from chainrule.scalar.engine import Value, collector_paused
from chainrule.scalar.nn import Layer


class ValueNetwork(ModelBase):
    """``ValueNetwork(sizes, activation="sigmoid", cost="quadratic", init="normal", seed=None)``."""

    engine = "value"

    def __init__(
        self,
        sizes,
        activation="sigmoid",
        cost="quadratic",
        init="normal",
        dtype=np.float64,
        seed=None,
    ):
        if functions.cost(cost) is not functions.quadratic:
            raise InputError(
                "the Value engine trains with the quadratic cost only; use --engine network or "
                "tensor for cross_entropy and log_likelihood."
            )
        reference = Network(sizes, activation, cost, init, np.float64, seed)  # the same start
        self.sizes, self.init = reference.sizes, init
        self.activation, self.cost = reference.activation, reference.cost
        self.dtype = np.dtype(np.float64)  # Values are Python floats
        self.layers = [
            Layer(n_in, n_out, nonlin=True, activation=self.activation.name, rng=_random.Random(0))
            for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])
        ]
        self.set_parameters(reference.parameters())  # (the draws above are overwritten)

    def __repr__(self):
        return f"ValueNetwork({self.sizes}, activation={self.activation.name!r}, cost='quadratic')"

    def _outputs(self, x):
        a = [Value(float(v)) for v in x]
        for layer in self.layers:
            a = layer(a)
            a = a if isinstance(a, list) else [a]
        return a

    def loss(self, X, Y) -> Value:
        """The batch's quadratic cost as one Value: the root of a graph of scalar operations."""
        self._check_targets(np.shape(X), np.shape(Y))
        total = Value(0.0)
        for x, y in zip(X, Y):
            total = total + sum(self.cost.fn(a, float(t)) for a, t in zip(self._outputs(x), y))
        return total * (1.0 / len(X))

    def _leaves(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def _backward(self, X, Y) -> None:
        """Zero every parameter's grad, then backpropagate the batch's cost into them."""
        for p in self._leaves():
            p.grad = 0.0
        self.loss(X, Y).backward()

    def outputs(self, X):
        """``a^L`` ``(m, n_L)``: each sample's Values fed forward, their data read off."""
        with collector_paused():  # a Value graph has no cycles (see collector_paused)
            X = np.atleast_2d(self._inputs(X))
            return np.array([[v.data for v in self._outputs(x)] for x in X])

    def batch_cost(self, X, Y) -> float:
        """The batch's quadratic cost, the root Value's data."""
        with collector_paused():
            return self.loss(X, Y).data

    def gradient(self, X, Y) -> dict[str, np.ndarray]:
        """Backpropagate the batch's cost through the graph of Values; read each leaf's grad."""
        with collector_paused():
            self._backward(X, Y)
            grads = self._arrays(lambda v: v.grad)
            for p in self._leaves():
                p.grad = 0.0
        return grads

    def step(self, X, Y, lr, l2=0.0, n=None, l1=0.0):
        """One SGD step: ``w <- (1 - lr l2 / n) w - (lr l1 / n) sign(w) - lr dC/dw``,
        ``b <- b - lr dC/db``."""
        with collector_paused():
            self._backward(X, Y)  # checks the batch first
            decay = 1.0 - lr * l2 / (n or len(X))
            pull = lr * l1 / (n or len(X))
            for layer in self.layers:
                for neuron in layer.neurons:
                    for w in neuron.w:
                        w.data = decay * w.data - pull * np.sign(w.data) - lr * w.grad
                    neuron.b.data -= lr * neuron.b.grad

    def _arrays(self, read) -> dict[str, np.ndarray]:
        arrays = {}
        for l, layer in enumerate(self.layers, start=1):
            arrays[f"W{l}"] = np.array([[read(w) for w in n.w] for n in layer.neurons])
            arrays[f"b{l}"] = np.array([read(n.b) for n in layer.neurons])
        return arrays

    def parameters(self) -> dict[str, np.ndarray]:
        """``W1, b1, ...`` as arrays (copies: the numbers live in the Values)."""
        return self._arrays(lambda v: v.data)

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` arrays into the Values (the inverse of ``parameters``)."""
        self._checked(arrays)
        for l, layer in enumerate(self.layers, start=1):
            W, b = arrays[f"W{l}"], arrays[f"b{l}"]
            for j, neuron in enumerate(layer.neurons):
                for k, w in enumerate(neuron.w):
                    w.data = float(W[j, k])
                neuron.b.data = float(b[j])
