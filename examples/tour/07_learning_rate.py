"""The learning rate: a small step converges, a large one overshoots and blows up.

One problem (a linear network [64, 30, 10] fitting 500 of the bundled 8x8 digits, quadratic cost),
one starting point, four learning rates, one picture. The smallest rate crawls, the next does
best, the two largest overshoot the minimum further each step until the cost overflows: the
sweep reports that (epoch by epoch) instead of crashing.
"""

from pathlib import Path

import numpy as np

from chainrule import Network
from chainrule.data import digits
from chainrule.experiments import learning_rate_sweep
from chainrule.viz import plot_sweep

OUT = Path(__file__).resolve().parents[2] / "docs" / "tour"
RATES = [0.003, 0.03, 0.1, 0.3]


def main(out_dir=None):
    data = digits(dtype=np.float64)
    X, y = data.X_train[:500], data.y_train[:500]
    sweep = learning_rate_sweep(
        lambda: Network([64, 30, 10], "identity", "quadratic", "scaled", seed=1),
        X,
        y,
        rates=RATES,
        epochs=10,
    )
    final = {}
    for rate in RATES:
        costs = sweep.costs[rate]
        final[rate] = costs[-1]
        if rate in sweep.diverged:
            print(f"lr {rate:<6g} cost {costs[0]:.3f} -> diverged in epoch {sweep.diverged[rate]}")
        else:
            print(
                f"lr {rate:<6g} cost {costs[0]:.3f} -> {costs[-1]:.3f} after {sweep.epochs} epochs"
            )
    picture = plot_sweep(sweep, Path(out_dir or OUT) / "07_learning_rate.png")
    return {
        "start": sweep.costs[RATES[0]][0],
        "final": final,
        "diverged": dict(sweep.diverged),
        "pictures": [picture],
    }


if __name__ == "__main__":
    main()
