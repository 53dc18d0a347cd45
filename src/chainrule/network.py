r"""The explicit-backprop network: the four equations of backpropagation, written out as code.

Notation is the book's (Nielsen, *Neural Networks and Deep Learning*, ch. 2), with one change
that numpy and PyTorch share: **samples are rows**.

* Layer ``l`` has ``n_l`` neurons. ``W^l`` has shape ``(n_l, n_{l-1})``: row ``j`` holds the
  weights *into* neuron ``j``, so ``w^l_jk`` connects neuron ``k`` of layer ``l-1`` to neuron ``j``
  of layer ``l``. ``b^l`` has shape ``(n_l,)``.
* One sample (vectors): ``z^l = W^l a^{l-1} + b^l`` and ``a^l = sigma(z^l)``.
* A mini-batch of ``m`` samples (rows): ``Z^l = A^{l-1} (W^l)^T + b^l``, shape ``(m, n_l)``.

The four equations (``(.)``, written $\odot$, is the elementwise product), for one sample:

|     | one sample |
| --- | --- |
| BP1 | $\delta^L = \nabla_a C \odot \sigma'(z^L)$ |
| BP2 | $\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)$ |
| BP3 | $\partial C / \partial b^l = \delta^l$ |
| BP4 | $\partial C / \partial W^l = \delta^l (a^{l-1})^T$ (an outer product) |

and for the whole mini-batch at once, one sample per row of $A$, $Z$ and $\Delta$:

|     | a mini-batch (rows) |
| --- | --- |
| BP1 | $\Delta^L = \nabla_A C \odot \sigma'(Z^L)$ |
| BP2 | $\Delta^l = (\Delta^{l+1} W^{l+1}) \odot \sigma'(Z^l)$ |
| BP3 | $\partial C / \partial b^l$ = the sum of the rows of $\Delta^l$ |
| BP4 | $\partial C / \partial W^l = (\Delta^l)^T A^{l-1}$ |

In the matrix form each layer costs one matrix product forward and two backward for the whole
batch, and BP4's product sums the per-sample outer products for free.
"""

from __future__ import annotations

import numpy as np

from chainrule import functions
from chainrule.errors import InputError
from chainrule.protocol import ModelBase, parameter_names

INITS = ("normal", "scaled")
DTYPES = (np.float32, np.float64)
BACKPROP = ("matrix", "per-sample")


def output_error(cost: functions.Cost, activation: functions.Activation | None):
    """BP1 for one pairing of cost and output activation: a function ``(z, a, y) -> delta^L``,
    ``delta^L = dC/da (.) sigma'(z^L)``, shaped like ``z``.

    ``activation=None`` means a softmax output layer. Two pairings simplify and are computed in the
    simplified form, which stays exact where ``a`` saturates at 0 or 1 (no 0/0):

    * cross-entropy cost with a sigmoid output: ``(a - y) / (a (1 - a)) * a (1 - a) = a - y``;
    * log-likelihood cost with a softmax output: ``delta^L = a - y`` (y one-hot).
    """
    if (activation is None) != (cost is functions.log_likelihood):
        raise InputError(
            "the log_likelihood cost and a softmax output layer go together; use both or neither."
        )
    if activation is None or (cost is functions.cross_entropy and activation is functions.sigmoid):
        return lambda z, a, y: a - y
    dC_da, sigma_prime = cost.derivative, activation.derivative
    return lambda z, a, y: dC_da(a, y) * sigma_prime(z, a)


class Network(ModelBase):
    """A feed-forward network trained by backpropagation; a ``Model`` (chainrule.protocol).

    ``Network(sizes, activation="sigmoid", cost="quadratic", init="normal", dtype=np.float64,
    seed=None, form="matrix")``; ``sizes = [784, 30, 10]`` means 784 inputs, a hidden layer
    of 30, 10 outputs.

    * ``activation``: any entry of ``chainrule.functions`` (sigmoid, tanh, relu, ...), used by
      every layer; with ``cost="log_likelihood"`` the output layer is a softmax instead.
    * ``cost``: ``quadratic`` ``C = ||a - y||^2 / 2``, ``cross_entropy``, or ``log_likelihood``.
    * ``init``: ``normal`` draws weights and biases from N(0, 1) (the book's first network);
      ``scaled`` draws weights from N(0, 1/n_in) so that ``z`` starts small (chapter 3).
    * ``form``: the form of backprop, ``matrix`` (one pass over the mini-batch) or
      ``per-sample`` (the book's loop over the samples of a mini-batch); the same gradient, at
      different speeds (``chainrule train --backprop``).

    The methods named as in the book (``update(X, Y, eta, lmbda, n)``, ``backprop``,
    ``feedforward``) keep the book's ``eta`` and ``lmbda``; the protocol's ``step(X, Y, lr, l2,
    n)`` is the same update under the names the rest of chainrule uses.
    """

    engine = "network"

    def __init__(
        self,
        sizes,
        activation="sigmoid",
        cost="quadratic",
        init="normal",
        dtype=np.float64,
        seed=None,
        form="matrix",
    ):
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = [sizes]  # refused just below, in one sentence
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise InputError(
                f"sizes must list at least two positive layer widths, e.g. [784, 30, 10]; "
                f"got {sizes}."
            )
        if init not in INITS:
            raise InputError(f"unknown init {init!r}: choose one of {', '.join(INITS)}.")
        if np.dtype(dtype) not in [np.dtype(d) for d in DTYPES]:
            raise InputError(f"dtype must be float32 or float64, got {np.dtype(dtype).name}.")
        if form not in BACKPROP:
            raise InputError(f"unknown backprop form {form!r}: choose matrix or per-sample.")
        self.form = form
        self.sizes = [int(n) for n in sizes]
        self.activation = functions.activation(activation)
        self.cost = functions.cost(cost)
        # The output layer's activation; None stands for softmax (the log-likelihood's partner).
        self.output = functions.output_layer(self.cost, self.activation, self.sizes[-1])
        self._output_error = output_error(self.cost, self.output)  # BP1
        # Each layer's activation function, the output layer's last (softmax where it is None).
        out_fn = functions.softmax if self.output is None else self.output.forward
        self._sigmas = [self.activation.forward] * (len(self.sizes) - 2) + [out_fn]
        self.init = init
        self.dtype = np.dtype(dtype)
        self._ones_cache = {}
        rng = np.random.default_rng(seed)
        self.weights = []
        self.biases = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            scale = 1.0 if init == "normal" else 1.0 / np.sqrt(n_in)
            self.weights.append((rng.standard_normal((n_out, n_in)) * scale).astype(self.dtype))
            self.biases.append(rng.standard_normal(n_out).astype(self.dtype))

    def __repr__(self) -> str:
        out = "softmax" if self.output is None else self.output.name
        return (
            f"Network({self.sizes}, activation={self.activation.name!r}, output={out!r}, "
            f"cost={self.cost.name!r}, init={self.init!r}, dtype={self.dtype.name})"
        )

    # ------------------------------------------------------------------------------ forward
    def feedforward(self, X):
        """The output activations ``a^L``: shape ``(m, n_L)`` for ``X`` of shape ``(m, n_0)``, or
        ``(n_L,)`` for one sample of shape ``(n_0,)``."""
        a = self._inputs(X)
        for W, b, sigma in zip(self.weights, self.biases, self._sigmas):
            a = sigma(a @ W.T + b)
        return a

    def forward(self, X):
        """Feed forward keeping every ``z^l`` and ``a^l``, as backprop needs: returns
        ``(zs, activations)``, ``activations[0] = X`` and ``activations[l] = sigma(zs[l-1])``."""
        activations = [X]
        zs = []
        for W, b, sigma in zip(self.weights, self.biases, self._sigmas):
            z = activations[-1] @ W.T
            z += b  # in place: one array fewer per layer on the hot path
            zs.append(z)
            activations.append(sigma(z))
        return zs, activations

    # ------------------------------------------------------------------------------ backward
    def backprop(self, x, y):
        """BP1-BP4 for **one** sample: ``x`` shape ``(n_0,)``, target ``y`` shape ``(n_L,)``.

        Returns ``(nabla_b, nabla_w)``, the gradient of this sample's cost ``C_x``: lists shaped
        like ``biases`` and ``weights``."""
        self._check_targets(np.shape(x), np.shape(y), one=True)
        zs, activations = self.forward(x)
        nabla_b = [None] * len(self.weights)
        nabla_w = [None] * len(self.weights)
        sigma_prime = self.activation.derivative  # of the hidden layers; BP1 handles the output
        delta = self._output_error(zs[-1], activations[-1], y)  # BP1
        nabla_b[-1] = delta  # BP3
        nabla_w[-1] = np.outer(delta, activations[-2])  # BP4
        for l in range(2, len(self.sizes)):
            delta = (self.weights[-l + 1].T @ delta) * sigma_prime(zs[-l], activations[-l])  # BP2
            nabla_b[-l] = delta  # BP3
            nabla_w[-l] = np.outer(delta, activations[-l - 1])  # BP4
        return nabla_b, nabla_w

    def backprop_batch(self, X, Y, scale=None):
        """BP1-BP4 for a whole mini-batch as matrices (see ``_backprop_batch``), shapes checked."""
        X, Y = np.asarray(X), np.asarray(Y)
        self._check_targets(X.shape, Y.shape)
        return self._backprop_batch(X, Y, scale)

    def _backprop_batch(self, X, Y, scale=None):
        """BP1-BP4 for a whole mini-batch as matrices: ``X`` shape ``(m, n_0)``, ``Y`` ``(m, n_L)``.

        Returns ``(nabla_b, nabla_w)`` equal to ``scale`` times the *sum* of the per-sample
        gradients; the default ``scale = 1/m`` gives their mean. ``Delta^L`` is multiplied by
        ``scale`` once: BP2 is linear in ``Delta``, so every product after it comes out scaled
        (this is how ``update`` folds the learning rate in for free)."""
        m = len(X)
        zs, activations = self.forward(X)
        nabla_b = [None] * len(self.weights)
        nabla_w = [None] * len(self.weights)
        sigma_prime = self.activation.derivative
        delta = self._output_error(zs[-1], activations[-1], Y)  # BP1
        delta *= (1.0 / m) if scale is None else scale
        ones = self._ones(m)  # BP3 sums Delta's rows as the product 1^T Delta: (m,) . (m, n_l)
        nabla_b[-1] = np.dot(ones, delta)  # BP3: (n_L,)
        nabla_w[-1] = delta.T @ activations[-2]  # BP4: (n_L, m) @ (m, n_{L-1})
        for l in range(2, len(self.sizes)):
            # BP2: (m, n_{l+1}) @ (n_{l+1}, n_l), times sigma'(Z^l) elementwise
            delta = (delta @ self.weights[-l + 1]) * sigma_prime(zs[-l], activations[-l])
            nabla_b[-l] = np.dot(ones, delta)  # BP3
            nabla_w[-l] = delta.T @ activations[-l - 1]  # BP4
        return nabla_b, nabla_w

    def _ones(self, m: int):
        """A vector of m ones (cached): ``np.dot(ones, Delta)`` sums the rows of a small ``Delta``
        about twice as fast as ``Delta.sum(axis=0)``, which matters at a few microseconds a step."""
        ones = self._ones_cache.get(m)
        if ones is None:
            ones = self._ones_cache[m] = np.ones(m, dtype=self.dtype)
        return ones

    def mean_gradient(self, X, Y, form: str = "matrix"):
        """The mini-batch's mean gradient ``(nabla_b, nabla_w)``, by either form of backprop:
        ``"matrix"`` (one pass over the batch) or ``"per-sample"`` (``backprop`` on each row,
        then the average: the book's ``update_mini_batch``)."""
        if form == "matrix":
            return self.backprop_batch(X, Y)
        if form != "per-sample":
            raise InputError(f"unknown backprop form {form!r}: choose matrix or per-sample.")
        self._check_targets(np.shape(X), np.shape(Y))
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(W) for W in self.weights]
        for x, y in zip(X, Y):
            delta_b, delta_w = self.backprop(x, y)
            for nb, nw, db, dw in zip(nabla_b, nabla_w, delta_b, delta_w):
                nb += db
                nw += dw
        m = len(X)
        return [nb / m for nb in nabla_b], [nw / m for nw in nabla_w]

    def update(self, X, Y, eta: float, lmbda: float = 0.0, n: int | None = None, form=None, l1=0.0):
        """One step of gradient descent on the mini-batch ``(X, Y)``, in place:

            W -> (1 - eta * lmbda / n) W - (eta * l1 / n) sign(W) - eta * dC/dW
            b -> b - eta * dC/db

        (L2 regularization shrinks the weights, L1 pulls each towards 0 by a constant step, the
        biases are left alone; ``n`` is the training-set size; ``form`` overrides the network's
        own ``form`` for this step.)"""
        form = form or self.form
        if np.ndim(Y) != 2:  # labels (m,) would broadcast against (m, n_L) when m == n_L
            self._check_targets(np.shape(X), np.shape(Y))
        try:  # no other check on this hot path; a failure is explained after the fact
            if form == "matrix":
                nabla_b, nabla_w = self._backprop_batch(X, Y, scale=eta / len(X))  # eta folded in
            else:
                nabla_b, nabla_w = self.mean_gradient(X, Y, form)
                nabla_b = [eta * nb for nb in nabla_b]
                nabla_w = [eta * nw for nw in nabla_w]
            decay = 1.0 - eta * lmbda / (n or len(X))
            pull = eta * l1 / (n or len(X))
        except (ValueError, TypeError, ZeroDivisionError, IndexError) as e:
            if isinstance(e, InputError):
                raise
            self._check_targets(np.shape(X), np.shape(Y))  # says what is wrong with the shapes
            raise InputError(
                f"update needs numbers: eta {eta!r}, lmbda {lmbda!r}, n {n!r} ({e})."
            ) from None
        for W, b, nw, nb in zip(self.weights, self.biases, nabla_w, nabla_b):
            if l1:
                nw = nw + pull * np.sign(W)  # (the sign before the step)
            if lmbda:
                W *= decay
            W -= nw
            b -= nb

    # ------------------------------------------------------------------------------ the protocol
    def step(self, X, Y, lr: float, l2: float = 0.0, n: int | None = None, l1: float = 0.0) -> None:
        """The protocol's update: :meth:`update` with ``eta = lr``, ``lmbda = l2`` and ``l1``
        (passed only when set, so a subclass that overrides ``update`` with the book's
        signature keeps working)."""
        self.update(X, Y, lr, l2, n, **({"l1": l1} if l1 else {}))

    def outputs(self, X):
        """The output activations ``a^L``, ``(m, n_L)`` (the protocol's name for feedforward)."""
        return self.feedforward(X)

    def batch_cost(self, X, Y) -> float:
        """``C = (1/m) sum_x C_x``, each ``C_x`` summed over the output units (float64 sum)."""
        self._check_targets(np.shape(X), np.shape(Y))
        a = self.feedforward(X)
        return float(np.sum(self.cost.fn(a, Y), dtype=np.float64)) / len(X)

    def total_cost(self, X, Y, lmbda: float = 0.0, n: int | None = None) -> float:
        """The book's ``total_cost``: ``C + (lmbda / 2n) sum_w w^2``."""
        return self.batch_cost(X, Y) + self.l2_penalty(lmbda, n or len(X))

    def gradient(self, X, Y) -> dict[str, np.ndarray]:
        """The mean gradient of ``batch_cost(X, Y)`` by BP1-BP4 in matrix form, named
        ``W1, b1, ...`` (``mean_gradient`` gives it as the book's ``(nabla_b, nabla_w)``)."""
        nabla_b, nabla_w = self.backprop_batch(X, Y)
        return dict(zip(parameter_names(len(nabla_w)), _interleave(nabla_w, nabla_b)))

    def parameters(self) -> dict[str, np.ndarray]:
        """The weights and biases by name: ``W1, b1, W2, b2, ...`` (the arrays themselves)."""
        return dict(zip(parameter_names(len(self.weights)), _interleave(self.weights, self.biases)))

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` into the network's own arrays (converted to its dtype)."""
        for name, array in self._checked(arrays).items():
            array[...] = arrays[name]


def _interleave(weights, biases) -> list:
    """``[W1, b1, W2, b2, ...]`` from the two lists."""
    return [a for pair in zip(weights, biases) for a in pair]
