"""A gradient's size is a weight's influence on the cost.

Perturb the weight with the largest |dC/dw| and the one with the smallest by the same tiny eps:
the cost moves by about dC/dw * eps for each, so the ratio of the two moves is the ratio of the
two gradients.
"""

import numpy as np

from chainrule import Network


def main(out_dir=None, eps=1e-6):
    rng = np.random.default_rng(0)
    net = Network([4, 3, 2], "sigmoid", "quadratic", seed=3)
    X, Y = rng.standard_normal((5, 4)), rng.random((5, 2))
    _, nabla_w = net.backprop_batch(X, Y)
    names = [(l, idx) for l, g in enumerate(nabla_w) for idx in np.ndindex(g.shape)]
    grads = np.array([nabla_w[l][idx] for l, idx in names])
    picks = {"largest": int(np.argmax(np.abs(grads))), "smallest": int(np.argmin(np.abs(grads)))}

    before = net.total_cost(X, Y)
    moved = {}
    for which, i in picks.items():
        l, idx = names[i]
        net.weights[l][idx] += eps
        moved[which] = net.total_cost(X, Y) - before
        net.weights[l][idx] -= eps
        print(
            f"{which:8s} |gradient|: W{l + 1}[{idx[0]},{idx[1]}]  dC/dw = {grads[i]: .6e}"
            f"  cost moved {moved[which]: .6e}  (dC/dw * eps = {grads[i] * eps: .6e})"
        )
    grad_ratio = grads[picks["largest"]] / grads[picks["smallest"]]
    cost_ratio = moved["largest"] / moved["smallest"]
    print(f"ratio of gradients {grad_ratio:.2f}, ratio of cost moves {cost_ratio:.2f}")
    return {
        "gradients": {k: float(grads[i]) for k, i in picks.items()},
        "moved": moved,
        "gradient_ratio": float(grad_ratio),
        "cost_ratio": float(cost_ratio),
        "eps": eps,
    }


if __name__ == "__main__":
    main()
