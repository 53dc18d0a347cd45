"""Pictures of the experiments in chainrule.experiments: a learning-rate sweep on one log-scale
figure, and batch vs mini-batch vs stochastic descent against examples seen and wall time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from chainrule.viz.plots import plt, save_figure


def plot_sweep(sweep, path: str | Path, title: str | None = None) -> Path:
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


def plot_descent(runs, path: str | Path) -> Path:
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
