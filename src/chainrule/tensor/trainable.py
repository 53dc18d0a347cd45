"""A tensor-engine MLP and its optimizer, speaking the training loop's protocol (see train.py), so
``chainrule train --engine tensor`` trains the same network the same way as ``Network``.

The cost is the same as ``Network``'s: ``quadratic`` or ``cross_entropy`` from the shared table on
the output activations (summed over units, averaged over samples), or ``log_likelihood``: a
softmax output with the negative log-likelihood, computed from the logits (``cross_entropy``).
L2 regularization shrinks the weights (not the biases) as in the book:
``W <- W - eta (dC/dW + (lmbda / n) W)``.
"""

from __future__ import annotations

import numpy as np

from chainrule import functions
from chainrule.errors import InputError
from chainrule.network import labels_of
from chainrule.tensor.functional import cost, cross_entropy
from chainrule.tensor.modules import MLP
from chainrule.tensor.optim import SGD, Adam
from chainrule.tensor.tensor import Tensor, no_grad

OPTIMIZERS = ("sgd", "adam")


class TensorNetwork:
    """``TensorNetwork(sizes, activation, cost, init, dtype, seed, optimizer="sgd", lr=None)``."""

    def __init__(
        self,
        sizes,
        activation="sigmoid",
        cost="quadratic",
        init="normal",
        dtype=np.float32,
        seed=None,
        optimizer="sgd",
        lr=None,
        momentum=0.0,
    ):
        self.cost = functions.cost(cost)
        self.activation = functions.activation(activation)
        softmax = functions.output_layer(self.cost, self.activation, sizes[-1]) is None
        if optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {optimizer!r}: choose one of sgd, adam.")
        self.model = MLP(
            sizes,
            self.activation.name,
            None if softmax else self.activation.name,
            init,
            dtype,
            seed,
        )
        self.sizes, self.dtype, self.init = list(sizes), np.dtype(dtype), init
        self.weights = [p for name, p in self.model.named_parameters() if name.endswith("weight")]
        self.fixed_lr = lr  # Adam keeps its own rate; SGD follows the loop's eta when lr is None
        params = self.model.parameters()
        self.optimizer = (
            Adam(params, lr or 1e-3)
            if optimizer == "adam"
            else SGD(params, lr or 0.1, momentum=momentum)
        )

    def __repr__(self):
        return (
            f"TensorNetwork({self.sizes}, activation={self.activation.name!r}, "
            f"cost={self.cost.name!r}, optimizer={type(self.optimizer).__name__})"
        )

    def loss(self, X, Y) -> Tensor:
        """The cost of the batch as a one-element tensor (the root of the graph)."""
        out = self.model.forward(Tensor(X))
        if self.cost is functions.log_likelihood:
            return cross_entropy(out, Y)
        return cost(out, Y, self.cost)

    def targets(self, y):
        """One-hot rows ``(m, n_L)`` (or the label itself for a single output unit)."""
        y = np.asarray(y)
        if y.ndim == 2:
            return y.astype(self.dtype, copy=False)
        if self.sizes[-1] == 1:
            return y.astype(self.dtype)[:, None]
        return np.eye(self.sizes[-1], dtype=self.dtype)[y]

    def update(self, X, Y, eta, lmbda=0.0, n=None, form="matrix"):
        """One optimizer step on the mini-batch (``form`` is Network's; a tensor graph is always
        one matrix pass)."""
        opt = self.optimizer
        if self.fixed_lr is None and opt._lr != eta:
            opt.lr = eta
        opt.zero_grad()
        self.loss(X, Y).backward()
        if lmbda:
            for W in self.weights:
                W.grad = W.grad + (lmbda / (n or len(X))) * W.data
        opt.step()

    def predict(self, X):
        with no_grad():
            a = self.model(Tensor(np.atleast_2d(X))).data
        return (a[:, 0] > 0.5).astype(np.int64) if a.shape[1] == 1 else a.argmax(axis=1)

    def evaluate(self, X, y, lmbda=0.0, n=None):
        with no_grad():
            value = float(self.loss(np.asarray(X, dtype=self.dtype), self.targets(y)).item())
        if lmbda:
            squares = sum(float(np.sum(W.data.astype(np.float64) ** 2)) for W in self.weights)
            value += 0.5 * lmbda / (n or len(X)) * squares
        return value, float(np.mean(self.predict(X) == labels_of(y)))

    def grad_norms(self, X, Y):
        loss = self.loss(X, Y)
        for W in self.weights:
            W.grad = None
        loss.backward()
        norms = [float(np.linalg.norm(W.grad)) for W in self.weights]
        self.optimizer.zero_grad()
        return norms

    def parameters(self):
        return {name: p.data for name, p in self.model.named_parameters()}
