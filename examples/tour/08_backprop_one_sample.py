"""Backprop for one sample, the way the book writes it.

Feed forward keeping every z and activation; the output error delta^L = (a^L - y) * sigma'(z^L)
(BP1, quadratic cost); each earlier layer's error from the one after it,
delta^l = (W^{l+1})^T delta^{l+1} * sigma'(z^l) (BP2); then dC/db^l = delta^l (BP3) and
dC/dW^l = delta^l (a^{l-1})^T (BP4). Written out here, it gives Network.backprop's numbers.
"""

import numpy as np

from chainrule import Network


def sigmoid_prime(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


def main(out_dir=None):
    net = Network([3, 4, 2], "sigmoid", "quadratic", seed=1)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0])
    zs, activations = net.forward(x)  # every z^l and a^l
    for l, (z, a) in enumerate(zip(zs, activations[1:]), start=1):
        print(f"layer {l}: z = {np.round(z, 4)}  a = {np.round(a, 4)}")

    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])  # BP1
    deltas = [delta]
    for l in range(len(zs) - 2, -1, -1):  # BP2, from the last hidden layer back
        delta = (net.weights[l + 1].T @ delta) * sigmoid_prime(zs[l])
        deltas.insert(0, delta)
    for l, d in enumerate(deltas, start=1):
        print(f"delta^{l} = {np.round(d, 6)}")
    nabla_b = deltas  # BP3
    nabla_w = [np.outer(d, a) for d, a in zip(deltas, activations[:-1])]  # BP4

    engine_b, engine_w = net.backprop(x, y)
    err = max(
        float(np.max(np.abs(mine - theirs)))
        for mine, theirs in zip(nabla_b + nabla_w, engine_b + engine_w)
    )
    print(f"largest difference from Network.backprop: {err:.1e}")
    return {
        "nabla_b": nabla_b,
        "nabla_w": nabla_w,
        "backprop": (engine_b, engine_w),
        "max_diff": err,
    }


if __name__ == "__main__":
    main()
