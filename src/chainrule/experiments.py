"""Experiments that need several training runs: a learning-rate sweep, and batch vs mini-batch
vs stochastic descent on the same problem (their pictures are drawn by chainrule.viz.sweeps).

Both take ``make_model``, a function of no arguments that returns a fresh model (any engine), so
that every run starts from the same weights, and train it with ``chainrule.train.train``.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

from chainrule.errors import InputError
from chainrule.train import TrainingDiverged, train

BLOW_UP = 100.0  # a cost this many times its starting value counts as diverged


class _BlewUp(Exception):
    """Raised from a callback to stop a run whose cost exploded while still finite."""


@dataclass
class Sweep:
    """Costs per learning rate: ``costs[rate][e]`` is the training cost after ``e`` epochs
    (``e = 0``: before training). ``diverged[rate] = e`` says that rate's run blew up in epoch
    ``e``; its cost list then ends at ``e`` with that epoch's cost, or ``inf`` where the weights
    overflowed before the epoch ended."""

    rates: list[float]
    costs: dict[float, list[float]]
    diverged: dict[float, int] = field(default_factory=dict)
    epochs: int = 0


def learning_rate_sweep(
    make_model, X, y, rates, epochs: int = 10, batch_size: int | None = 10, seed: int = 0
) -> Sweep:
    """Train a fresh ``make_model()`` for each learning rate in ``rates`` on ``(X, y)``.

    A run diverges when its cost becomes NaN or infinite (``TrainingDiverged``) or grows past
    ``BLOW_UP`` times its starting cost; it is stopped there and recorded, never raised."""
    rates = [float(r) for r in rates]
    if not rates:
        raise InputError("a learning-rate sweep needs at least one rate.")
    sweep = Sweep(rates, {}, epochs=epochs)
    for rate in rates:
        model = make_model()
        start = model.evaluate(X, y)[0]
        costs = [start]

        def record(epoch, costs=costs, start=start):
            costs.append(epoch.cost)
            if math.isfinite(epoch.cost) and epoch.cost > BLOW_UP * start:
                raise _BlewUp

        try:
            train(model, X, y, epochs=epochs, batch_size=batch_size, lr=rate, seed=seed,
                  callbacks=[record])  # fmt: skip
        except _BlewUp:
            sweep.diverged[rate] = len(costs) - 1
        except TrainingDiverged:
            if len(costs) == 1 or math.isfinite(costs[-1]):  # stopped inside an epoch
                costs.append(math.inf)
            sweep.diverged[rate] = len(costs) - 1
        sweep.costs[rate] = costs
    return sweep


# ------------------------------------------------------------------------------ descent kinds
@dataclass
class DescentRun:
    """One kind of descent: the cost (on a fixed evaluation set) against the examples seen and
    against the seconds spent in training steps (evaluation time left out)."""

    name: str
    batch_size: int
    examples: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)


def compare_descent(
    make_model,
    X,
    y,
    batch_sizes=(None, 10, 1),
    epochs: int = 3,
    lr: float = 0.5,
    seed: int = 0,
    eval_samples: int = 500,
) -> list[DescentRun]:
    """Batch (``None``: all ``n`` samples per step), mini-batch (``m``) and stochastic (``1``)
    descent on the same data, from the same start, at the same learning rate.

    The cost is measured on the first ``eval_samples`` samples about a hundred times an epoch
    (through ``train``'s ``progress`` hook: once per step for full-batch descent); the clock is
    paused while it is measured and while ``train`` evaluates between epochs."""
    n = len(X)
    X_eval, y_eval = X[:eval_samples], y[:eval_samples]
    runs = []
    for size in batch_sizes:
        m = n if size is None else int(size)
        name = "batch" if m == n else "stochastic" if m == 1 else "mini-batch"
        run = DescentRun(f"{name} ({m} per step)", m)
        model = make_model()
        state = {"epochs": 0, "train": 0.0, "since": 0.0}

        def measure(done, run=run, model=model, m=m, state=state):
            run.examples.append(state["epochs"] * n + min(done * m, n))
            run.seconds.append(state["train"])
            run.costs.append(model.evaluate(X_eval, y_eval)[0])

        def progress(done, total, state=state, measure=measure):
            state["train"] += time.perf_counter() - state["since"]
            measure(done)
            state["since"] = time.perf_counter()

        def next_epoch(record, state=state):
            state["epochs"] += 1
            state["since"] = time.perf_counter()  # train's own evaluation is not training

        measure(0)
        state["since"] = time.perf_counter()
        with contextlib.suppress(TrainingDiverged):  # the curve shows it: its last costs explode
            train(model, X, y, epochs=epochs, batch_size=size, lr=lr, seed=seed,
                  callbacks=[next_epoch], progress=progress)  # fmt: skip
        runs.append(run)
    return runs
