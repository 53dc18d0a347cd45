"""Where the parallelism is: the samples of a mini-batch, inside one process and across several.

A mini-batch's gradient is the average of its samples' gradients, so the samples can be worked on
together. Inside one process, the matrix form computes them at once: each layer's work becomes
one matrix-matrix product, which the BLAS library spreads over vector units (and cores), so
Python's and numpy's fixed costs are paid once per batch instead of once per sample. It computes
the same gradient as the book's per-sample loop (to rounding), only faster.

Across processes (``mpiexec -n 2 python examples/tour/16_parallelism.py``) the same average is
split by rows: each rank takes rows r, r+K, ... of the batch, computes their mean gradient g_r,
and one Allreduce forms sum_r (m_r / m) g_r, which is the whole batch's gradient again.
"""

import sys

import numpy as np

from chainrule import Network, distributed
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


def dataset(samples):
    try:
        data = load("mnist", download=False)
    except DataError:
        data = digits()
    return data.name, data.X_train[:samples], data.y_train[:samples]


def largest_difference(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def one_process(name, X, y):
    """The same batch gradient by the per-sample loop and by the matrix form; then speeds."""
    net = Network([X.shape[1], 30, 10], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    batch, Y = X[:100].astype(np.float64), net.targets(y[:100])
    nabla_b, nabla_w = net.mean_gradient(batch, Y, form="per-sample")
    per_sample = {f"W{l}": w for l, w in enumerate(nabla_w, 1)}
    per_sample |= {f"b{l}": b for l, b in enumerate(nabla_b, 1)}
    difference = largest_difference(net.gradient(batch, Y), per_sample)

    runs = {"per-sample, batch 10": samples_per_second(X, y, 10, "per-sample")}
    for size in (10, 100, 1000):
        runs[f"matrix, batch {size}"] = samples_per_second(X, y, size, "matrix")
    print(f"one epoch of {len(X)} {name} samples, Network([{X.shape[1]}, 30, 10]):")
    base = runs["per-sample, batch 10"]
    for label, rate in runs.items():
        print(f"  {label:22s} {rate:10,.0f} samples/s  ({rate / base:5.1f}x the per-sample loop)")
    print("why: within a layer, the matrix form multiplies the whole batch by W at once;")
    print("     the samples of a mini-batch are computed together, not one after another.")
    print(f"same gradient: per-sample loop and matrix form differ by at most {difference:.1e}")
    return {"samples_per_second": runs, "largest_difference": difference}


def many_processes(name, X, y):
    """Under mpiexec: the batch's gradient shared by the ranks, against one process's."""
    comm = distributed.world()
    net = Network([X.shape[1], 30, 10], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    batch, Y = X[:1000].astype(np.float64), net.targets(y[:1000])
    shared = distributed.Replica(net, comm).mean_gradient(batch, Y)
    difference = largest_difference(net.gradient(batch, Y), shared)
    ranks = comm.Get_size()
    if comm.Get_rank() == 0:
        rows = [len(distributed.shard(batch, r, ranks)) for r in range(ranks)]
        print(f"{ranks} ranks share a batch of {len(batch)} {name} samples, rows {rows};")
        print(f"one Allreduce of {sum(a.size for a in shared.values())} numbers sums their parts;")
        print(f"the shared gradient differs from one process's by at most {difference:.1e}")
    return {"ranks": ranks, "largest_difference": difference}


def main(out_dir=None, samples=5000):
    name, X, y = dataset(samples)
    result = many_processes(name, X, y) if distributed.launched() else one_process(name, X, y)
    return {"dataset": name, "samples": len(X), **result}


if __name__ == "__main__":
    main(*sys.argv[1:2])
