"""A mini-batch's gradient is the average of its samples' gradients.

The cost of a mini-batch is the mean of its samples' costs, C = (1/m) sum_x C_x, so its gradient
is the mean of theirs. Network.backprop gives each sample's gradient (the book's loop); the tensor
engine, given the same weights, differentiates the mean cost of the whole batch directly.
"""

import numpy as np

from chainrule import Network, Tensor


def main(out_dir=None):
    rng = np.random.default_rng(0)
    net = Network([4, 5, 3], "sigmoid", "quadratic", seed=2)
    X, Y = rng.standard_normal((8, 4)), rng.random((8, 3))
    m = len(X)

    per_sample = [net.backprop(x, y) for x, y in zip(X, Y)]
    avg_w = [sum(g[1][l] for g in per_sample) / m for l in range(2)]
    avg_b = [sum(g[0][l] for g in per_sample) / m for l in range(2)]

    Ws = [Tensor(W, requires_grad=True) for W in net.weights]
    bs = [Tensor(b, requires_grad=True) for b in net.biases]
    a = Tensor(X)
    for W, b in zip(Ws, bs):
        a = (a @ W.T + b).sigmoid()
    cost = ((a - Tensor(Y)) ** 2).sum() / (2 * m)  # the mean of C_x = ||a - y||^2 / 2
    cost.backward()

    rel = max(
        float(np.max(np.abs(mine - t.grad)) / np.max(np.abs(t.grad)))
        for mine, t in zip(avg_w + avg_b, Ws + bs)
    )
    print(f"dC/dW2 as the average of {m} per-sample gradients:\n{np.round(avg_w[1], 6)}")
    print(f"dC/dW2 of the mean cost (tensor engine):\n{np.round(Ws[1].grad, 6)}")
    print(f"largest relative difference over every weight and bias: {rel:.1e}")
    return {
        "average": (avg_b, avg_w),
        "batch": ([b.grad for b in bs], [W.grad for W in Ws]),
        "max_rel_diff": rel,
    }


if __name__ == "__main__":
    main()
