"""Batch, mini-batch and stochastic descent on one problem.

Full-batch descent takes one careful step per pass over the data; mini-batch (10) and stochastic
(1) descent take many noisy ones. Measured against the examples seen and against time, the
drunken stumble gets there first.
"""

from pathlib import Path

import numpy as np

from chainrule import Network
from chainrule.data import digits
from chainrule.experiments import compare_descent
from chainrule.viz import plot_descent

OUT = Path(__file__).resolve().parents[2] / "docs" / "tour"


def first_reaching(run, level):
    """(examples seen, seconds) when the run's cost first falls to ``level``, or None."""
    for examples, seconds, cost in zip(run.examples, run.seconds, run.costs):
        if cost <= level:
            return examples, seconds
    return None


def main(out_dir=None):
    data = digits(dtype=np.float64)
    X, y = data.X_train[:600], data.y_train[:600]
    runs = compare_descent(
        lambda: Network([64, 30, 10], "sigmoid", "cross_entropy", "scaled", seed=1), X, y, epochs=3
    )
    batch_final = runs[0].costs[-1]
    reached = {}
    for run in runs:
        reached[run.name] = first_reaching(run, batch_final)
        examples, seconds = reached[run.name]
        print(
            f"{run.name:24s} final cost {run.costs[-1]:.4f}; reached the batch run's final cost "
            f"{batch_final:.4f} after {examples} examples, {seconds * 1e3:.1f} ms"
        )
    picture = plot_descent(runs, Path(out_dir or OUT) / "13_descent_kinds.png")
    return {
        "final": {r.name: r.costs[-1] for r in runs},
        "reached": reached,
        "names": [r.name for r in runs],
        "pictures": [picture],
    }


if __name__ == "__main__":
    main()
