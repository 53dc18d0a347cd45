"""Where the parallelism is: the same epoch, per-sample loops against matrix mini-batches.

The book's loop backpropagates one sample at a time: a few small matrix-vector products per
layer, each paying Python's and numpy's fixed cost. The matrix form computes the samples of a
mini-batch together: each layer's work becomes one matrix-matrix product, which the BLAS library
spreads over vector units (and cores), so the fixed costs are paid once per batch. Larger batches
amortise them further (at the price of fewer steps per epoch).
"""

import numpy as np

from chainrule import Network
from chainrule.data import digits, load
from chainrule.errors import DataError
from chainrule.train import train


def samples_per_second(X, y, batch_size, backprop, repeats=3):
    best = 0.0
    for _ in range(repeats):
        net = Network(
            [X.shape[1], 30, 10], "sigmoid", "quadratic", dtype=np.float32, seed=1, form=backprop
        )
        history = train(net, X, y, epochs=1, batch_size=batch_size, lr=3.0)
        best = max(best, len(X) / history.epochs[0].epoch_seconds)
    return best


def main(out_dir=None, samples=5000):
    try:
        data = load("mnist", download=False)
    except DataError:
        data = digits()
    X, y = data.X_train[:samples], data.y_train[:samples]
    runs = {"per-sample, batch 10": samples_per_second(X, y, 10, "per-sample")}
    for size in (10, 100, 1000):
        runs[f"matrix, batch {size}"] = samples_per_second(X, y, size, "matrix")
    print(f"one epoch of {len(X)} {data.name} samples, Network([{X.shape[1]}, 30, 10]):")
    base = runs["per-sample, batch 10"]
    for name, rate in runs.items():
        print(f"  {name:22s} {rate:10,.0f} samples/s  ({rate / base:5.1f}x the per-sample loop)")
    print("why: within a layer, the matrix form multiplies the whole batch by W at once;")
    print("     the samples of a mini-batch are computed together, not one after another.")
    return {"dataset": data.name, "samples": len(X), "samples_per_second": runs}


if __name__ == "__main__":
    main()
