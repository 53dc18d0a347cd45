"""The one training loop: epochs of shuffled mini-batches, evaluation, history, callbacks.

Batch, mini-batch and stochastic gradient descent are the same loop with a different batch size:
``batch_size=None`` uses all ``n`` samples per step (batch), ``m`` uses ``m`` (mini-batch), ``1``
uses one (stochastic). Each epoch visits every training sample once, in a fresh random order.

The loop talks to a model only through the Model protocol (chainrule.protocol), so every engine
trains through it: ``targets``, ``step(X, Y, lr, l2, n)`` (the hot path), ``evaluate`` and
``grad_norms`` (between epochs, outside the ``epoch_seconds`` that the history records) and
``parameters`` (to catch divergence).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

from chainrule.errors import ChainruleError, InputError, InputTypeError

NORM_SAMPLES = 1000  # gradient norms per layer are measured on this many training samples
MAX_WEIGHT = 1e12  # a weight this large means training diverged (see finite)


class TrainingDiverged(ChainruleError):
    """The cost became NaN or infinite: the learning rate is too large for this problem."""


class TrainingInterrupted(ChainruleError):
    """Training was asked to stop (Ctrl-C); it stopped between two steps, after a checkpoint."""


@dataclass
class Position:
    """Where training stands: the epoch under way (from 1), how many of its mini-batches are done,
    the random generator's state from just before this epoch's shuffle was drawn (so the same
    order can be drawn again), and the epoch's training seconds so far. Plain JSON."""

    epoch: int = 1
    batch: int = 0
    rng_state: dict | None = None
    seconds: float = 0.0


@dataclass
class Epoch:
    """What one epoch produced. Costs include the L2 term; accuracies are fractions 0-1."""

    epoch: int
    cost: float
    train_accuracy: float
    test_cost: float | None
    test_accuracy: float | None
    epoch_seconds: float
    grad_norms: list[float] = field(default_factory=list)


@dataclass
class History:
    """Every epoch's record, in order, plus the settings that produced them."""

    settings: dict
    epochs: list[Epoch] = field(default_factory=list)

    def column(self, name: str) -> list:
        """One field of every epoch, in order (e.g. ``"test_accuracy"``)."""
        return [getattr(e, name) for e in self.epochs]

    def best(self, name: str = "test_accuracy") -> float | None:
        """The largest value of a field over the epochs (None when it was never measured)."""
        values = [v for v in self.column(name) if v is not None]
        return max(values) if values else None

    def to_dict(self) -> dict:
        """Plain JSON: ``{"settings": ..., "epochs": [...]}``."""
        return {"settings": self.settings, "epochs": [asdict(e) for e in self.epochs]}

    @classmethod
    def from_dict(cls, saved: dict) -> History:
        """The inverse of ``to_dict`` (a diverged epoch's cost, JSON null, becomes NaN)."""
        nan = float("nan")
        epochs = [
            Epoch(**{k: (nan if v is None and k == "cost" else v) for k, v in e.items()})
            for e in saved["epochs"]
        ]
        return cls(dict(saved["settings"]), epochs)


def check_data(model, X, y, what: str = "training data") -> None:
    """One sentence for each way data can fail to fit ``model``: width, labels, NaN, emptiness."""
    try:
        X = np.asarray(X)  # no copy of an array that is already one (MNIST is 157 MB)
        if X.dtype.kind not in "fiub":
            X = X.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{what} must be numbers in a rectangular 2-D array (samples x features); it is not."
        ) from None
    n_in, n_out = model.sizes[0], model.sizes[-1]
    if X.ndim != 2 or len(X) == 0:
        raise InputError(
            f"{what} must be a non-empty 2-D array (samples x features), got shape {X.shape}."
        )
    if X.shape[1] != n_in:
        raise InputError(
            f"{what} has {X.shape[1]} features per sample but the network's input layer has "
            f"{n_in}; make the first layer size {X.shape[1]} (e.g. --layers {X.shape[1]} ...)."
        )
    if not (np.isfinite(X.min()) and np.isfinite(X.max())):  # NaN and inf show up here
        raise InputError(f"{what} contains NaN or infinite values; clean it first.")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise InputError(f"{what} has {len(X)} samples but {y.size} labels; they must match.")
    if y.ndim == 2:
        if y.shape[1] != n_out or not np.issubdtype(y.dtype, np.number):
            raise InputError(
                f"{what} targets have shape {y.shape} but the network has {n_out} output(s); "
                f"give labels of shape ({len(y)},) or targets of shape ({len(y)}, {n_out})."
            )
        if not np.all(np.isfinite(y)):
            raise InputError(f"{what} targets contain NaN or infinite values; clean them first.")
    elif y.ndim > 2:
        raise InputError(f"{what} labels must be 1-D (or targets 2-D), got shape {y.shape}.")
    else:
        if not np.issubdtype(y.dtype, np.integer):
            raise InputError(f"{what} labels must be whole class numbers, got dtype {y.dtype}.")
        classes = max(n_out, 2)
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise InputError(
                f"{what} labels run from {low} to {high} but the network's {n_out} "
                f"output(s) allow 0 to {classes - 1}; make the last layer size {high + 1}."
            )


def train(
    model,
    X,
    y,
    epochs: int = 30,
    batch_size: int | None = 10,
    lr: float = 3.0,
    l2: float = 0.0,
    test=None,
    seed: int | None = 0,
    callbacks=(),
    progress=None,
    checkpoint=None,
    resume=None,
    stop=None,
) -> History:
    """Train ``model`` on ``(X, y)`` by mini-batch gradient descent and return its ``History``.

    ``test = (X_test, y_test)`` is evaluated after each epoch. ``callbacks`` are called with each
    epoch's ``Epoch`` record; ``progress(batches_done, batches_total)`` (if given) is called
    every few batches.

    Nothing lost: ``checkpoint`` (an object with ``every``, a number of mini-batches or None, and
    ``save(position, history)``) is called every ``every`` mini-batches and after each epoch (when
    ``every`` is set) and when stopping, with finite weights only. ``resume = (position,
    history)`` continues a run from a checkpoint and ends exactly where the uninterrupted run
    would (same shuffles, same batches). ``stop()`` is
    asked after every mini-batch; when it says True, training checkpoints and raises
    ``TrainingInterrupted``. Raises ``TrainingDiverged`` as soon as the weights or the cost stop
    being finite (checked every few mini-batches and after each epoch).
    """
    if not (hasattr(model, "step") and hasattr(model, "sizes") and hasattr(model, "targets")):
        raise InputTypeError(f"train needs a chainrule model (a Network, ...), got {model!r}.")
    if type(epochs) is not int or epochs < 0:
        raise InputError(f"epochs must be a whole number, 0 or more, got {epochs!r}.")
    if batch_size is not None and not isinstance(batch_size, numbers.Integral):
        raise InputError(f"the batch size must be a whole number (or None), got {batch_size!r}.")
    if test is not None and not (isinstance(test, (tuple, list)) and len(test) == 2):
        raise InputError("test must be a pair (X_test, y_test).")
    check_data(model, X, y)
    X = np.ascontiguousarray(X, dtype=model.dtype)
    y = np.asarray(y)
    n = len(X)
    if test is not None:
        check_data(model, test[0], test[1], "test data")
    batch_size = n if batch_size is None else int(batch_size)
    if not 1 <= batch_size <= n:
        raise InputError(
            f"batch size {batch_size} does not fit {n} training samples; choose 1 to {n} "
            "(or none for full-batch descent)."
        )
    if not (isinstance(lr, numbers.Real) and lr > 0 and math.isfinite(lr)):
        raise InputError(f"the learning rate must be a positive number, got {lr}.")
    if not (isinstance(l2, numbers.Real) and l2 >= 0 and math.isfinite(l2)):
        raise InputError(f"the L2 strength must be zero or positive, got {l2}.")
    lr, l2 = float(lr), float(l2)

    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "l2": l2,
        "seed": seed,
        "samples": n,
    }
    position, history = resume if resume is not None else (Position(), History(settings))
    rng = np.random.default_rng(seed)
    loop = Loop(
        model, X, y, model.targets(y), test, batch_size, lr, l2, rng, progress, checkpoint, stop
    )
    while position.epoch <= epochs:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            record = loop.epoch(position, history)
        history.epochs.append(record)
        for callback in callbacks:
            callback(record)
        guard(model, lr, record.epoch, cost=record.cost)
        # The next epoch starts from the generator as this one left it: a checkpoint written now
        # must carry that state, or a resume would draw this epoch's shuffle again.
        position = Position(record.epoch + 1, rng_state=loop.rng.bit_generator.state)
        if checkpoint is not None and checkpoint.every:
            checkpoint.save(position, history)
    return history


def finite(model) -> bool:
    """True while every parameter is finite and below ``MAX_WEIGHT`` in size. (Engines whose
    cost saturates, a clipped cross-entropy say, can keep a finite cost while the weights run
    off to 1e29; no network that learns has a weight that large, so all engines stop alike.)"""
    return all(
        np.isfinite(big := float(np.max(np.abs(p), initial=0.0))) and big < MAX_WEIGHT
        for p in model.parameters().values()
    )


def guard(model, lr: float, epoch: int, step: int | None = None, cost: float | None = None):
    """The one divergence rule: raise ``TrainingDiverged`` when the ``cost`` (if given) is NaN or
    infinite or a weight is not ``finite``; ``step`` (None: the epoch's end) says where."""
    bad_cost = cost is not None and not math.isfinite(cost)
    if bad_cost or not finite(model):
        raise diverged(lr, epoch, step, cost if bad_cost else None)


def diverged(lr: float, epoch: int, step: int | None = None, cost=None) -> TrainingDiverged:
    """The one sentence for a run that diverged (every front end says this and only adds to it)."""
    where = f"in epoch {epoch}" if step is None else f"at step {step} of epoch {epoch}"
    what = (
        f"the cost became {cost}"
        if cost is not None
        else f"the weights became NaN, infinite or larger than {MAX_WEIGHT:g}"
    )
    return TrainingDiverged(
        f"training diverged {where} with learning rate {lr}: {what}; try a smaller learning "
        f"rate, e.g. {lr / 10:g}."
    )


@dataclass
class Loop:
    """One training run's fixed parts: the model, the training data (``Y``: its targets), the
    optional test pair, the batch size, the learning rate and the L2 and L1 strengths (read at
    every step, so they may change between steps), and the random generator that shuffles each
    epoch.

    ``steps`` is the loop itself, one mini-batch step at a time; ``epoch`` runs the rest of an
    epoch and measures it; ``train`` drives ``epoch`` and the playground drives ``steps``. The
    optional hooks: ``progress(done, total)``, ``checkpoint`` (see ``train``), ``stop()``."""

    model: object
    X: np.ndarray
    y: np.ndarray
    Y: np.ndarray
    test: tuple | None
    batch_size: int
    lr: float
    l2: float
    rng: np.random.Generator
    progress: object = None
    checkpoint: object = None
    stop: object = None
    l1: float = 0.0

    def batches(self) -> int:
        """Mini-batches per epoch: ``ceil(n / batch_size)``."""
        return math.ceil(len(self.X) / self.batch_size)

    def steps(self, position: Position, history: History) -> Iterator[int]:
        """The rest of epoch ``position.epoch``, from mini-batch ``position.batch`` on: one step
        of ``model.step(X_batch, Y_batch, lr, l2, n[, l1])`` per mini-batch of a shuffle of the
        ``n`` samples, yielding how many of the epoch's mini-batches are done after each.

        The shuffle is drawn from ``rng`` as it stood when the epoch began
        (``position.rng_state``, recorded here on the epoch's first call), so a later call with
        the same position draws the same order. Every few steps (and at the epoch's last) the
        weights are checked (``guard``) and ``progress`` told; a checkpoint is saved every
        ``checkpoint.every`` steps, and when ``stop()`` says True (then ``TrainingInterrupted``)."""
        model, X, Y, n, size = self.model, self.X, self.Y, len(self.X), self.batch_size
        if position.rng_state is None:
            position.rng_state = self.rng.bit_generator.state  # so a resume can redraw the order
        else:
            self.rng.bit_generator.state = position.rng_state
        order = self.rng.permutation(n)
        n_batches = self.batches()
        every = max(1, n_batches // 100)
        save_every = (self.checkpoint.every or 0) if self.checkpoint is not None else 0
        start = time.perf_counter() - position.seconds
        for k in range(position.batch, n_batches):
            batch = order[k * size : (k + 1) * size]
            # .take(rows, axis=0) gathers the same rows as X[batch], with less indexing overhead
            l1 = {"l1": self.l1} if self.l1 else {}  # a model without L1 needs never see it
            model.step(X.take(batch, axis=0), Y.take(batch, axis=0), self.lr, self.l2, n, **l1)
            done = k + 1
            if done % every == 0 or done == n_batches:
                if self.progress is not None:
                    self.progress(done, n_batches)
                guard(model, self.lr, position.epoch, done)
            stopping = self.stop is not None and self.stop()
            if (save_every and done % save_every == 0 and done < n_batches) or stopping:
                here = Position(
                    position.epoch, done, position.rng_state, time.perf_counter() - start
                )
                if self.checkpoint is not None and finite(model):
                    self.checkpoint.save(here, history)
                if stopping:
                    raise TrainingInterrupted(f"stopped at step {done} of epoch {position.epoch}")
            yield done

    def epoch(self, position: Position, history: History) -> Epoch:
        """The rest of the epoch (``steps``), then its record: the cost and accuracy on the
        training and test data (with the L2 term) and the gradient norms per layer on the first
        ``NORM_SAMPLES`` training samples, measured outside ``epoch_seconds``."""
        start = time.perf_counter() - position.seconds
        for _ in self.steps(position, history):
            pass
        seconds = time.perf_counter() - start
        model, X, n = self.model, self.X, len(self.X)
        cost, train_accuracy = model.evaluate(X, self.y, self.l2, n)
        test_cost = test_accuracy = None
        if self.test is not None:
            test_cost, test_accuracy = model.evaluate(self.test[0], self.test[1], self.l2, n)
        sample = slice(0, min(n, NORM_SAMPLES))
        norms = model.grad_norms(X[sample], self.Y[sample])
        return Epoch(position.epoch, cost, train_accuracy, test_cost, test_accuracy, seconds, norms)
