"""The tensor engine as a ``Model`` (see chainrule.protocol): an MLP of ``Linear`` layers and its
optimizer, so ``chainrule train --engine tensor`` trains the same network the same way as
``Network``.

The cost is the same as ``Network``'s: ``quadratic`` or ``cross_entropy`` from the shared table on
the output activations (summed over units, averaged over samples), or ``log_likelihood``: a
softmax output with the negative log-likelihood, computed from the logits (``cross_entropy``).
L2 regularization shrinks the weights (not the biases) as in the book:
``W <- W - lr (dC/dW + (l2 / n) W)``; L1 adds ``(l1 / n) sign(W)`` to the gradient the same way.
"""

from __future__ import annotations

import numpy as np

from chainrule import functions
from chainrule.errors import InputError
from chainrule.protocol import ModelBase, parameter_names
from chainrule.tensor import Tensor, no_grad
from chainrule.tensor.functional import cost, cross_entropy, output_gradient
from chainrule.tensor.modules import MLP
from chainrule.tensor.optim import SGD, Adam

OPTIMIZERS = ("sgd", "adam")


class TensorNetwork(ModelBase):
    """``TensorNetwork(sizes, activation, cost, init, dtype, seed, optimizer="sgd", lr=None)``.

    With ``lr=None`` plain SGD follows the learning rate the loop passes to ``step``; Adam (or a
    fixed ``lr``) keeps its own rate."""

    engine = "tensor"

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
        self._tensors = [p for _, p in self.model.named_parameters()]  # W1, b1, W2, ... in order
        self._names = parameter_names(len(self.sizes) - 1)
        self.weights = self._tensors[0::2]
        self.fixed_lr = lr
        self.optimizer = (
            Adam(self._tensors, lr or 1e-3)
            if optimizer == "adam"
            else SGD(self._tensors, lr or 0.1, momentum=momentum)
        )

    def __repr__(self):
        return (
            f"TensorNetwork({self.sizes}, activation={self.activation.name!r}, "
            f"cost={self.cost.name!r}, optimizer={type(self.optimizer).__name__})"
        )

    def describe(self) -> dict:
        """The header fields of ModelBase plus the optimizer's name."""
        return {**super().describe(), "optimizer": type(self.optimizer).__name__.lower()}

    def loss(self, X, Y) -> Tensor:
        """The cost of the batch as a one-element tensor (the root of the graph)."""
        self._check_targets(np.shape(X), np.shape(Y))
        out = self.model.forward(Tensor(X))
        if self.cost is functions.log_likelihood:
            return cross_entropy(out, Y)
        return cost(out, Y, self.cost)

    def step(self, X, Y, lr, l2=0.0, n=None, l1=0.0):
        """One optimizer step on the mini-batch: zero the gradients, backward, add the penalties'
        terms ``(l2 / n) W + (l1 / n) sign(W)`` to each weight's gradient, step. The backward
        pass starts at the output with ``dC/da``
        (:func:`~chainrule.tensor.functional.output_gradient`, BP1's first factor), as
        ``Network`` does: a step has no use for the cost's value, so it is not computed
        (``loss(X, Y).backward()`` gives the same gradients)."""
        opt = self.optimizer
        group = opt.param_groups[0]
        if self.fixed_lr is None and group["lr"] != lr:
            group["lr"] = lr
        if not len(X):  # the one check on the hot path; the layers name wrong shapes
            self._check_targets(np.shape(X), np.shape(Y))
        opt.zero_grad()
        out = self.model.forward(Tensor(X))
        out.backward(output_gradient(out, Y, self.cost))
        if l2 or l1:
            per = 1.0 / (n or len(X))
            for W in self.weights:  # dC/dW + (l2 / n) W + (l1 / n) sign(W), in place
                W.grad._data += per * (l2 * W._data + l1 * np.sign(W._data))
        opt.step()

    def outputs(self, X):
        """``a^L`` ``(m, n_L)`` (softmax applied for the log-likelihood), no graph recorded."""
        with no_grad():
            out = self.model(Tensor(np.atleast_2d(self._inputs(X))))._data
        return functions.softmax(out) if self.cost is functions.log_likelihood else out

    def batch_cost(self, X, Y) -> float:
        """The cost of :meth:`loss` as a float, no graph recorded."""
        with no_grad():
            return float(self.loss(np.asarray(X, dtype=self.dtype), Y).item())

    def gradient(self, X, Y) -> dict[str, np.ndarray]:
        """The autograd gradient of ``batch_cost``; the optimizer's gradients are left cleared."""
        self.optimizer.zero_grad()
        self.loss(np.asarray(X, dtype=self.dtype), Y).backward()
        grads = {name: np.array(p.grad) for name, p in zip(self._names, self._tensors)}
        self.optimizer.zero_grad()
        return grads

    def parameters(self) -> dict[str, np.ndarray]:
        """``W1, b1, ...``: the tensors' own arrays (``W^l`` is ``Linear.weight``, ``(n_l,
        n_{l-1})``, as PyTorch stores it)."""
        return {name: p._data for name, p in zip(self._names, self._tensors)}

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` into the tensors' own arrays."""
        self._checked(arrays)
        for name, p in zip(self._names, self._tensors):
            p._data[...] = arrays[name]

    def optimizer_state(self) -> dict:
        """The optimizer's state, flat: ``"lr"``, and ``"<index>.<key>"`` -> number or array."""
        state = self.optimizer.state_dict()
        flat = {"lr": state["lr"]}
        for i, entries in state["state"].items():
            for key, value in entries.items():
                flat[f"{i}.{key}"] = value
        return flat

    def load_optimizer_state(self, flat: dict) -> None:
        """Restore what :meth:`optimizer_state` returned."""
        state: dict = {}
        for key, value in flat.items():
            if key != "lr":
                i, name = key.split(".", 1)
                state.setdefault(i, {})[name] = value
        self.optimizer.load_state_dict({"lr": flat["lr"], "state": state})
