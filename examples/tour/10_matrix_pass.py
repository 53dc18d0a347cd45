"""The same gradient as one matrix pass over the mini-batch, and how much faster.

Stack the mini-batch's samples as rows of X: each layer's z for every sample is one matrix
product, Z = A W^T + b, and BP4's per-sample outer products summed are one product Delta^T A. The
gradient equals example 9's average to rounding; the biases' gradient is Delta's rows summed.
"""

import time

import numpy as np

from chainrule import Network
from chainrule.data import digits


def best_time(f, repeats=20):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main(out_dir=None):
    data = digits(dtype=np.float64)
    net = Network([64, 30, 10], "sigmoid", "quadratic", seed=1)
    X, Y = data.X_train[:100], net.targets(data.y_train[:100])

    loop_b, loop_w = net.mean_gradient(X, Y, form="per-sample")  # backprop per sample, averaged
    mat_b, mat_w = net.backprop_batch(X, Y)  # one matrix pass
    rel = max(
        float(np.max(np.abs(p - q)) / np.max(np.abs(p)))
        for p, q in zip(loop_b + loop_w, mat_b + mat_w)
    )
    sum_b, _ = net.backprop_batch(X, Y, scale=1.0)  # unscaled: BP3's row sums
    per_sample_sum = sum(net.backprop(x, y)[0][-1] for x, y in zip(X, Y))
    bias_diff = float(np.max(np.abs(sum_b[-1] - per_sample_sum)))

    t_loop = best_time(lambda: net.mean_gradient(X, Y, form="per-sample"))
    t_matrix = best_time(lambda: net.backprop_batch(X, Y))
    print(f"mini-batch of {len(X)}: largest relative difference, loop vs matrix: {rel:.1e}")
    print(f"output biases: sum of the per-sample deltas vs Delta's rows summed: {bias_diff:.1e}")
    print(
        f"per-sample loop {t_loop * 1e3:.3f} ms, matrix pass {t_matrix * 1e3:.3f} ms: "
        f"{t_loop / t_matrix:.0f}x faster"
    )
    return {
        "max_rel_diff": rel,
        "bias_sum_diff": bias_diff,
        "loop_seconds": t_loop,
        "matrix_seconds": t_matrix,
        "speedup": t_loop / t_matrix,
    }


if __name__ == "__main__":
    main()
