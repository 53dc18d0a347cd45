"""What the book's two networks share: chainrule's ``Network`` seen the book's way.

The book keeps one sample as a column: ``x`` of shape ``(n_0, 1)``, biases ``(n_l, 1)``, weights
``(n_l, n_{l-1})`` (row ``j`` holds the weights into neuron ``j``, as chainrule's). chainrule's
engine keeps samples as rows and biases as ``(n_l,)``; the weights are the very same arrays, and
the biases the book sees are ``(n_l, 1)`` views of the engine's, so both always agree.

A mini-batch of ``m`` columns ``x`` is stacked into the rows of one ``(m, n_0)`` matrix and goes
through the engine's matrix form of BP1-BP4 (``form="matrix"``), or sample by sample as the book
loops (``form="per-sample"``); both give the book's update.
"""

from __future__ import annotations

import numpy as np

from chainrule.errors import InputError
from chainrule.network import Network
from chainrule.protocol import labels_of

FORMS = ("matrix", "per-sample")


def stack(data, sizes, what: str = "the data"):
    """The ``x`` and ``y`` of a list of ``(x, y)`` pairs as matrices with one sample per row:
    ``X`` of shape ``(m, n_0)``; ``Y`` of shape ``(m, n_L)`` when every ``y`` is a target column
    of ``n_L`` numbers (the book's training data), or labels ``(m,)`` when every ``y`` is a whole
    number (its validation and test data). Each ``y``'s type decides, never the batch's size."""
    pairs = list(data)
    if not pairs:
        raise InputError(f"{what} is empty; give a list of (x, y) pairs.")
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        raise InputError(f"{what} must be a list of (x, y) pairs.")
    xs, ys = zip(*pairs)
    m, (n_in, n_out) = len(xs), (sizes[0], sizes[-1])
    try:  # float64 rows in one contiguous array: the engine's products need no cast or copy
        X = np.array(xs, dtype=np.float64).reshape(m, -1)
    except (TypeError, ValueError):
        X = None
    if X is None or X.shape[1] != n_in:
        raise InputError(f"each x in {what} must be a ({n_in}, 1) column of numbers.")
    labels = [_is_label(y) for y in ys]
    if all(labels):
        return X, np.array(ys, dtype=np.int64)
    if not any(labels) and all(np.size(y) == n_out for y in ys):
        try:
            return X, np.array(ys, dtype=np.float64).reshape(m, n_out)
        except (TypeError, ValueError):
            pass
    raise InputError(
        f"each y in {what} must be a ({n_out}, 1) column of numbers (vectorized_result(j)) or "
        f"a whole-number label j, all of one kind."
    )


def _is_label(y) -> bool:
    """A whole number (``int`` or a numpy integer, not a bool): a class label."""
    return isinstance(y, (int, np.integer)) and not isinstance(y, (bool, np.bool_))


def check_sgd(n: int, epochs, mini_batch_size, eta, lmbda=0.0) -> None:
    """One sentence for SGD's arguments that would fail deep inside or silently train nothing:
    an empty training set, ``epochs`` not a whole number >= 0, ``mini_batch_size`` not one
    >= 1, ``eta`` or ``lmbda`` not a finite number >= 0."""
    if n == 0:
        raise InputError("training_data is empty; give a list of (x, y) pairs to train on.")
    for name, value, low in (("epochs", epochs, 0), ("mini_batch_size", mini_batch_size, 1)):
        if not (_is_label(value) and value >= low):
            raise InputError(f"{name} must be a whole number >= {low}, not {value!r}.")
    for name, value in (("eta", eta), ("lmbda", lmbda)):
        ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        if not (ok and np.isfinite(value) and value >= 0):
            raise InputError(f"{name} must be a finite number >= 0, not {value!r}.")


class ColumnNetwork:
    """``sizes``, ``num_layers``, ``weights``, ``biases``, ``feedforward`` and ``backprop`` as the
    book has them, over a chainrule :class:`~chainrule.network.Network` of sigmoid neurons."""

    def __init__(self, sizes, cost: str, form: str = "matrix"):
        if form not in FORMS:
            raise InputError(f"unknown form {form!r}: choose one of {', '.join(FORMS)}.")
        self.form = form
        self.engine = Network(sizes, activation="sigmoid", cost=cost)
        self.sizes = list(sizes)
        self.num_layers = len(self.sizes)

    @property
    def weights(self) -> list[np.ndarray]:
        """``w^l`` of shape ``(n_l, n_{l-1})``, one per layer after the input layer."""
        return self.engine.weights

    @weights.setter
    def weights(self, weights) -> None:
        self.engine.weights = self._checked(weights, [W.shape for W in self.engine.weights])

    @property
    def biases(self) -> list[np.ndarray]:
        """``b^l`` of shape ``(n_l, 1)`` (views of the engine's ``(n_l,)`` biases)."""
        return [b[:, None] for b in self.engine.biases]

    @biases.setter
    def biases(self, biases) -> None:
        shapes = [(len(b), 1) for b in self.engine.biases]
        self.engine.biases = [b[:, 0] for b in self._checked(biases, shapes)]

    def large_weight_initializer(self) -> None:
        """Weights and biases from N(0, 1), drawn with ``np.random.randn`` in the book's order
        (all biases, then all weights): the first network's start."""
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(self.sizes[:-1], self.sizes[1:])]

    def _checked(self, arrays, shapes) -> list[np.ndarray]:
        try:
            arrays = [np.array(a, dtype=np.float64) for a in arrays]
            got = [a.shape for a in arrays]
        except (TypeError, ValueError):  # not a list, ragged, not numbers
            got = "something else"
        if got != shapes:
            raise InputError(
                f"expected arrays of shapes {shapes} for a network of sizes {self.sizes}, got "
                f"{got}."
            )
        return arrays

    def feedforward(self, a):
        """The output ``a^L`` for an input column ``a`` of shape ``(n_0, 1)``: ``(n_L, 1)``
        (columns side by side, ``(n_0, m)``, give ``(n_L, m)``)."""
        return self.engine.feedforward(np.asarray(a).T).T

    def backprop(self, x, y):
        """``(nabla_b, nabla_w)``: the gradient of the cost ``C_x`` of one sample, ``x`` of shape
        ``(n_0, 1)``, ``y`` of shape ``(n_L, 1)``; layer by layer shaped like ``biases``
        ``(n_l, 1)`` and ``weights``. BP1-BP4 as in the book (chainrule's ``Network.backprop``)."""
        nabla_b, nabla_w = self.engine.backprop(np.asarray(x)[:, 0], np.asarray(y)[:, 0])
        return [nb[:, None] for nb in nabla_b], nabla_w

    def step(self, mini_batch, eta: float, lmbda: float = 0.0, n: int | None = None) -> None:
        """One step of gradient descent on ``mini_batch`` (a list of ``(x, y)`` columns; a
        whole-number ``y`` is the label of the one-hot target ``vectorized_result(y)``):
        ``w -> (1 - eta lmbda / n) w - (eta / m) sum_x nabla_w C_x``,
        ``b -> b - (eta / m) sum_x nabla_b C_x``."""
        X, Y = stack(mini_batch, self.sizes, "the mini-batch")
        self.engine.update(X, self.targets(Y), eta, lmbda, n, form=self.form)

    def targets(self, Y) -> np.ndarray:
        """Target rows ``(m, n_L)``: ``Y`` itself, or labels ``(m,)`` made one-hot (range
        checked: one sentence for a label the output layer has no unit for)."""
        return Y if Y.ndim == 2 else self.engine.targets(Y)

    def predictions(self, data, what: str = "the data") -> tuple[np.ndarray, np.ndarray]:
        """The network's digits for every ``x`` of ``data`` and the digits wanted (a ``(10, 1)``
        target counts as its most active unit; one output unit answers ``a > 0.5``), with every
        sample in one matrix product."""
        X, Y = stack(data, self.sizes, what)
        return labels_of(self.engine.feedforward(X)), labels_of(Y)
