"""Pictures that need several training runs: a learning-rate sweep, and batch vs mini-batch vs
stochastic descent on the same problem.

Both take ``make_model``, a function of no arguments that returns a fresh model (any engine), so
that every run starts from the same weights, and train it with ``chainrule.train.train``.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.train import TrainingDiverged, train
from chainrule.viz.plots import plt, save_figure

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


def plot_sweep(sweep: Sweep, path: str | Path, title: str | None = None) -> Path:
    """Cost per epoch for every rate on one log-scale figure. A diverged rate's curve is drawn up
    to its last finite cost, then shoots up to the top of the plot at the epoch where it blew up,
    ending in a red cross; its legend entry says when."""
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = [plt.cm.tab10(i % 10) for i in range(len(sweep.rates))]
    for rate, color in zip(sweep.rates, colors):
        costs = np.array(sweep.costs[rate], dtype=float)
        shown = np.flatnonzero(np.isfinite(costs))
        label = f"eta = {rate:g}"
        if rate in sweep.diverged:
            label += f" (diverged in epoch {sweep.diverged[rate]})"
        ax.semilogy(shown, costs[shown], marker=".", color=color, label=label)
        if rate in sweep.diverged:
            top = ("data", "axes fraction")  # x in epochs, y at the top edge of the plot
            ax.annotate(
                "",
                xy=(sweep.diverged[rate], 0.97),
                xycoords=top,
                xytext=(shown[-1], costs[shown[-1]]),
                textcoords="data",
                arrowprops={"arrowstyle": "-", "linestyle": "--", "color": color, "lw": 1.5},
            )
            ax.plot(sweep.diverged[rate], 0.97, "x", color="red", markersize=12, mew=3,
                    transform=ax.get_xaxis_transform())  # fmt: skip
    ax.set(
        xlabel="epoch",
        ylabel="cost (log scale)",
        title=title or "Learning rates: too small crawls, too large diverges",
    )
    ax.set_xlim(0, max(sweep.epochs, 1))
    if sweep.diverged:  # head-room above the finite costs, so a blow-up is seen as one
        finite = [c for costs in sweep.costs.values() for c in costs if math.isfinite(c)]
        ax.set_ylim(top=30 * max(finite))
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


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


def plot_descent(runs: list[DescentRun], path: str | Path) -> Path:
    """Two panels: cost against training examples seen (left) and against wall-clock seconds of
    training (right), one curve per kind of descent."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    ylabel = "cost (on the evaluation samples)"
    for run in runs:
        left.plot(
            run.examples, run.costs, marker="." if len(run.costs) < 30 else "", label=run.name
        )
        right.plot(
            run.seconds, run.costs, marker="." if len(run.costs) < 30 else "", label=run.name
        )
    left.set(xlabel="training examples seen", ylabel=ylabel, title="Cost against examples seen")
    right.set(xlabel="seconds of training", ylabel=ylabel, title="Cost against wall time")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("Batch vs mini-batch vs stochastic gradient descent, same rate, same start")
    fig.tight_layout()
    return save_figure(fig, path)
