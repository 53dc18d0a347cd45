"""The Model protocol: the one contract between the engines and everything above them.

The training loop, the model files and checkpoints, ``check``, ``explain``, the playground and
the command line talk to a model only through the names below, so every engine trains, saves,
checks and explains the same way. Three engines implement it: ``Network`` (the four equations by
hand), ``TensorNetwork`` (Tensor autograd) and ``ValueNetwork`` (scalar autograd); the registry
(``chainrule.models``) maps their names to their classes.

Shapes (samples are rows): ``X`` is ``(m, n_0)``; labels ``y`` are ``(m,)`` whole numbers;
targets ``Y`` are ``(m, n_L)``. Parameters are named as in the book, ``W1, b1, W2, b2, ...``:
``W^l`` has shape ``(n_l, n_{l-1})`` (row ``j`` holds the weights into neuron ``j``), ``b^l`` has
shape ``(n_l,)``; layer 1 is the first hidden layer.

An engine writes four things itself: the output activations ``a^L`` (``outputs``), the mean cost
``C = (1/m) sum_x C_x`` of a batch (``batch_cost``), its gradient by name (``gradient``) and one
gradient-descent step (``step``), plus reading and writing its parameters. Everything that is the
same for every engine is written once, in :class:`ModelBase`: labels to targets, the predict
rule, the penalties (L1 ``(l1 / n) sum_w |w|`` and L2 ``(l2 / 2n) sum_w w^2``, over the weights,
``n`` the training-set size), ``evaluate`` and the gradient norms per layer.

This module sits on the ground floor (it imports only numpy and the errors) so that an engine
can implement the protocol itself: ``Network`` is the book's class *and* a model, with no adapter
in between.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from chainrule.errors import InputError

__all__ = ["Model", "ModelBase", "labels_of", "parameter_names"]


@runtime_checkable
class Model(Protocol):
    """What every trainable engine provides. ``engine`` is its name in the registry."""

    engine: str
    sizes: list[int]
    dtype: np.dtype
    init: str

    def outputs(self, X) -> np.ndarray:
        """The output activations ``a^L``, shape ``(m, n_L)``, for inputs ``X`` ``(m, n_0)``."""

    def batch_cost(self, X, Y) -> float:
        """``C = (1/m) sum_x C_x`` on inputs ``X`` and targets ``Y`` (no L2 term)."""

    def gradient(self, X, Y) -> dict[str, np.ndarray]:
        """``dC/dW^l`` and ``dC/db^l`` of ``batch_cost(X, Y)``, named ``W1, b1, ...``."""

    def step(self, X, Y, lr: float, l2: float = 0.0, n: int | None = None, l1: float = 0.0) -> None:
        """One gradient-descent step on the mini-batch ``(X, Y)``, in place: for plain SGD
        ``W -> (1 - lr l2 / n) W - (lr l1 / n) sign(W) - lr dC/dW`` and ``b -> b - lr dC/db``
        (the gradient of ``C + (l1 / n) sum |w| + (l2 / 2n) sum w^2``; ``sign(0) = 0``)."""

    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters by name, ``W1, b1, ...``, as numpy arrays."""

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` arrays (shaped as ``parameters()``) into the model."""

    def optimizer_state(self) -> dict:
        """The optimizer's state as flat ``name -> number or array`` ({} for plain SGD)."""

    def load_optimizer_state(self, state: dict) -> None:
        """Restore what ``optimizer_state`` returned."""

    def targets(self, y) -> np.ndarray:
        """Labels ``(m,)`` as targets ``(m, n_L)`` (see :meth:`ModelBase.targets`)."""

    def predict(self, X) -> np.ndarray:
        """Class labels ``(m,)`` (see :meth:`ModelBase.predict`)."""

    def evaluate(
        self, X, y, l2: float = 0.0, n: int | None = None, l1: float = 0.0
    ) -> tuple[float, float]:
        """``(cost with the penalties, accuracy)`` (see :meth:`ModelBase.evaluate`)."""

    def grad_norms(self, X, Y) -> list[float]:
        """``||dC/dW^l||`` per layer (see :meth:`ModelBase.grad_norms`)."""

    def describe(self) -> dict:
        """``engine, sizes, activation, cost, init, dtype``: what builds a twin."""


def labels_of(y) -> np.ndarray:
    """Class labels from labels ``(m,)`` or from target rows ``(m, n_L)``: the most active unit,
    or ``y > 0.5`` for a single unit (the same rule as :meth:`ModelBase.predict`)."""
    y = np.asarray(y)
    return _rule(y) if y.ndim == 2 else y


def _rule(a: np.ndarray) -> np.ndarray:
    """The predict rule on output rows ``(m, n_L)``: argmax, or ``a > 0.5`` for one unit."""
    return (a[:, 0] > 0.5).astype(np.int64) if a.shape[1] == 1 else a.argmax(axis=1)


def parameter_names(layers: int) -> list[str]:
    """``["W1", "b1", ..., "WL", "bL"]`` for a network of ``layers`` weight layers."""
    return [f"{kind}{l}" for l in range(1, layers + 1) for kind in "Wb"]


class ModelBase:
    """What is the same for every engine, written once on top of the four engine methods."""

    engine = ""
    sizes: list[int]
    dtype: np.dtype

    def targets(self, y) -> np.ndarray:
        """Labels ``(m,)`` as the output layer's targets ``(m, n_L)``: one-hot rows, or for one
        output unit the label itself (0 or 1). Targets already shaped ``(m, n_L)`` pass."""
        y = np.asarray(y)
        n_out = self.sizes[-1]
        if y.ndim == 2:
            return y.astype(self.dtype, copy=False)
        classes = max(n_out, 2)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise InputError(
                f"labels must be whole class numbers of shape (m,), got {y.dtype} {y.shape}; "
                f"or give targets of shape (m, {n_out})."
            )
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise InputError(
                f"labels run from {y.min()} to {y.max()} but the network's {n_out} output(s) "
                f"allow 0 to {classes - 1}."
            )
        if n_out == 1:
            return y.astype(self.dtype)[:, None]
        Y = np.zeros((len(y), n_out), dtype=self.dtype)
        Y[np.arange(len(y)), y] = 1
        return Y

    def _inputs(self, X):
        """``X`` as an array of the network's dtype, ``(m, n_0)`` or one sample ``(n_0,)``."""
        try:
            a = np.asarray(X, dtype=self.dtype)
        except (TypeError, ValueError):
            raise InputError(
                f"inputs must be numbers in a rectangular array of shape (m, {self.sizes[0]}); "
                "they are not."
            ) from None
        if a.ndim not in (1, 2) or a.shape[-1] != self.sizes[0]:
            raise InputError(
                f"inputs must have shape (m, {self.sizes[0]}) (or ({self.sizes[0]},) for one "
                f"sample), got {a.shape}."
            )
        return a

    def _check_targets(self, x_shape, y_shape, one=False):
        """Targets must be rows of the output layer's width (labels go through ``targets``),
        one per sample, and a batch must hold at least one sample."""
        n_in, n_out = self.sizes[0], self.sizes[-1]
        rows = x_shape[0] if x_shape else 0
        want_x, want_y = ((n_in,), (n_out,)) if one else ((rows, n_in), (rows, n_out))
        if not one and rows == 0:
            raise InputError(f"a mini-batch needs at least one sample, got shape {tuple(x_shape)}.")
        if len(x_shape) != len(want_x) or x_shape[-1] != n_in or tuple(y_shape) != want_y:
            raise InputError(
                f"backprop needs inputs of shape {want_x} and targets of shape {want_y}, got "
                f"{tuple(x_shape)} and {tuple(y_shape)}; turn labels into targets with "
                "net.targets(labels)."
            )

    def _checked(self, arrays) -> dict[str, np.ndarray]:
        """The model's own parameter arrays, once ``arrays`` is known to hold one of each name
        and shape (``set_parameters`` then copies without a half-done failure)."""
        own = self.parameters()
        try:
            given = {name: np.shape(arrays[name]) for name in own}
        except (KeyError, TypeError, IndexError, ValueError):
            given = None
        if given is None or any(given[name] != a.shape for name, a in own.items()):
            shapes = ", ".join(f"{name} {a.shape}" for name, a in own.items())
            raise InputError(f"set_parameters needs arrays named and shaped {shapes}.")
        return own

    def predict(self, X) -> np.ndarray:
        """Class labels ``(m,)``: the most active output unit, or ``a > 0.5`` for one unit."""
        return _rule(np.asarray(self.outputs(np.atleast_2d(X))))

    def l2_penalty(self, l2: float, n: int) -> float:
        """``(l2 / 2n) sum_w w^2`` over every weight (not the biases), summed in float64."""
        if not l2:
            return 0.0
        weights = [a for name, a in self.parameters().items() if name.startswith("W")]
        squares = sum(float(np.sum(np.square(W, dtype=np.float64))) for W in weights)
        return 0.5 * l2 / n * squares

    def l1_penalty(self, l1: float, n: int) -> float:
        """``(l1 / n) sum_w |w|`` over every weight (not the biases), summed in float64."""
        if not l1:
            return 0.0
        weights = [a for name, a in self.parameters().items() if name.startswith("W")]
        return l1 / n * sum(float(np.sum(np.abs(W), dtype=np.float64)) for W in weights)

    def evaluate(
        self, X, y, l2: float = 0.0, n: int | None = None, l1: float = 0.0
    ) -> tuple[float, float]:
        """``(cost, accuracy)`` on labelled data: ``C + (l1 / n) sum |w| + (l2 / 2n) sum w^2``
        (``n`` is the training-set size, by default ``len(X)``) and the fraction classified
        correctly."""
        n = n or len(X)
        cost = self.batch_cost(X, self.targets(y)) + self.l2_penalty(l2, n) + self.l1_penalty(l1, n)
        return cost, float(np.mean(self.predict(X) == labels_of(y)))

    def grad_norms(self, X, Y) -> list[float]:
        """``||dC/dW^l||`` for each layer (Frobenius norm) on the samples given: how fast each
        layer learns (in a deep sigmoid net the earlier layers learn far slower)."""
        gradient = self.gradient(X, Y)
        return [float(np.linalg.norm(gradient[f"W{l}"])) for l in range(1, len(self.sizes))]

    def optimizer_state(self) -> dict:
        """Plain SGD keeps no state between steps."""
        return {}

    def load_optimizer_state(self, state: dict) -> None:
        """Plain SGD has nothing to restore."""

    def describe(self) -> dict:
        """What builds an untrained twin: ``engine, sizes, activation, cost, init, dtype``."""
        return {
            "engine": self.engine,
            "sizes": list(self.sizes),
            "activation": self.activation.name,
            "cost": self.cost.name,
            "init": self.init,
            "dtype": np.dtype(self.dtype).name,
        }
