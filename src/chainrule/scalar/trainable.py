"""The scalar engine speaking the training loop's protocol (see train.py), so that
``chainrule train xor --engine value`` trains a network of Values through the same loop as the
array engines: one graph per mini-batch, one node per scalar operation.

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
from chainrule.network import Network, labels_of
from chainrule.scalar.engine import Value, collector_paused
from chainrule.scalar.nn import Layer


class ValueNetwork:
    """``ValueNetwork(sizes, activation="sigmoid", cost="quadratic", init="normal", seed=None)``."""

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

    targets = Network.targets

    def _outputs(self, x):
        a = [Value(float(v)) for v in x]
        for layer in self.layers:
            a = layer(a)
            a = a if isinstance(a, list) else [a]
        return a

    def loss(self, X, Y) -> Value:
        """The batch's quadratic cost as one Value: the root of a graph of scalar operations."""
        total = Value(0.0)
        for x, y in zip(X, Y):
            total = total + sum(self.cost.fn(a, float(t)) for a, t in zip(self._outputs(x), y))
        return total * (1.0 / len(X))

    def _weights(self, layer):
        return [w for n in layer.neurons for w in n.w]

    def parameters(self):
        """``W1, b1, ...`` as arrays, like ``Network.parameters``."""
        params = {}
        for l, layer in enumerate(self.layers, start=1):
            params[f"W{l}"] = np.array([[w.data for w in n.w] for n in layer.neurons])
            params[f"b{l}"] = np.array([n.b.data for n in layer.neurons])
        return params

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` arrays into the Values (the inverse of ``parameters``)."""
        for l, layer in enumerate(self.layers, start=1):
            W, b = arrays[f"W{l}"], arrays[f"b{l}"]
            for j, neuron in enumerate(layer.neurons):
                for k, w in enumerate(neuron.w):
                    w.data = float(W[j, k])
                neuron.b.data = float(b[j])

    def update(self, X, Y, eta, lmbda=0.0, n=None, form="matrix"):
        """One SGD step: ``w <- (1 - eta lmbda / n) w - eta dC/dw`` (the book's rule)."""
        decay = 1.0 - eta * lmbda / (n or len(X))
        with collector_paused():  # a Value graph has no cycles (see collector_paused)
            params = [p for layer in self.layers for p in layer.parameters()]
            for p in params:
                p.grad = 0.0
            self.loss(X, Y).backward()
            for layer in self.layers:
                weights = set(map(id, self._weights(layer)))
                for p in layer.parameters():
                    shrink = decay if id(p) in weights else 1.0
                    p.data = shrink * p.data - eta * p.grad

    def predict(self, X):
        a = np.array([[v.data for v in self._outputs(x)] for x in np.atleast_2d(X)])
        return (a[:, 0] > 0.5).astype(np.int64) if a.shape[1] == 1 else a.argmax(axis=1)

    def evaluate(self, X, y, lmbda=0.0, n=None):
        with collector_paused():
            cost = self.loss(X, self.targets(y)).data
        if lmbda:
            squares = sum(w.data**2 for layer in self.layers for w in self._weights(layer))
            cost += 0.5 * lmbda / (n or len(X)) * squares
        return cost, float(np.mean(self.predict(X) == labels_of(y)))

    def grad_norms(self, X, Y):
        with collector_paused():
            params = [p for layer in self.layers for p in layer.parameters()]
            for p in params:
                p.grad = 0.0
            self.loss(X, Y).backward()
            norms = [
                float(np.sqrt(sum(w.grad**2 for w in self._weights(layer))))
                for layer in self.layers
            ]
            for p in params:
                p.grad = 0.0
        return norms
