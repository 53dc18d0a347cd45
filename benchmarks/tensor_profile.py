"""Where a Tensor-engine training step's time goes, against the explicit Network's step.

One SGD step of [784, 30, 10] (float32, sigmoid, quadratic cost) on one batch of 10 MNIST-sized
rows, timed in pieces (median of repeated runs, microseconds): the forward pass that builds the
graph, backward(), the optimizer step; and, for each, the same numpy operations written bare (the
floor no engine can beat). What is left is the engine's Python overhead: creating nodes, the
topological sort, dispatching backward rules, accumulating leaf gradients.

Run: python benchmarks/tensor_profile.py
"""

from __future__ import annotations

import statistics
import timeit

import numpy as np
from _report import write_section
from scipy.special import expit

from chainrule.models import TensorNetwork
from chainrule.network import Network
from chainrule.tensor import Tensor
from chainrule.tensor.functional import output_gradient

REPEAT, NUMBER = 7, 5000


def micros(fn) -> float:
    return statistics.median(timeit.repeat(fn, repeat=REPEAT, number=NUMBER)) / NUMBER * 1e6


def main():
    rng = np.random.default_rng(0)
    X = rng.random((10, 784), dtype=np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 10)]
    net = Network([784, 30, 10], dtype=np.float32, seed=1)
    tnet = TensorNetwork([784, 30, 10], dtype=np.float32, seed=1)
    params = tnet.model.parameters()
    W1, b1, W2, b2 = (p.data.copy() for p in params)
    ones = np.ones(10, dtype=np.float32)
    lr = 1e-9  # tiny steps: the weights stay put while we time

    def forward_floor():
        a1 = expit(X @ W1.T + b1)
        return a1, expit(a1 @ W2.T + b2)

    a1, a2 = forward_floor()

    def backward_floor():
        g2 = (a2 - Y) * (1 / 10)
        g2 *= a2 * (1 - a2)
        g1 = (g2 @ W2) * (a1 * (1 - a1))
        return g2.T @ a1, np.dot(ones, g2), g1.T @ X, np.dot(ones, g1)

    grads = backward_floor()

    def step_floor():
        for p, g in zip((W1, b1, W2, b2), (grads[2], grads[3], grads[0], grads[1])):
            p -= lr * g

    rows = [
        ("Network.step (the whole step)", micros(lambda: net.step(X, Y, lr)), None),
        ("Tensor: the whole step", micros(lambda: tnet.step(X, Y, lr)), None),
        (
            "Tensor: forward (builds the graph)",
            micros(lambda: tnet.model.forward(Tensor(X))),
            micros(forward_floor),
        ),
    ]
    out = tnet.model.forward(Tensor(X))  # built after the steps above moved the weights

    def backward():
        for p in params:
            p.grad = None
        out.backward(output_gradient(out, Y, tnet.cost), retain_graph=True)

    rows.append(("Tensor: backward()", micros(backward), micros(backward_floor)))
    rows.append(("Tensor: optimizer step", micros(tnet.optimizer.step), micros(step_floor)))
    lines = [
        "One SGD step of `[784, 30, 10]`, float32, sigmoid + quadratic, batch 10; median of "
        f"{REPEAT} x {NUMBER} runs, microseconds. 'numpy floor': the same array operations "
        "written bare.",
        "",
        "| piece | engine (us) | numpy floor (us) | overhead (us) |",
        "| --- | --- | --- | --- |",
    ]
    for name, t, floor in rows:
        extra = "" if floor is None else f"{floor:.1f} | {t - floor:.1f}"
        lines.append(f"| {name} | {t:.1f} | {extra or '- | -'} |")
        print(f"{name:40s} {t:6.1f} us" + ("" if floor is None else f"  floor {floor:6.1f} us"))
    lines += [
        "",
        "The Tensor step starts backward at the output with dC/da, as Network does (no loss "
        "value is computed); its optimizer multiplies each gradient by the rate, where Network "
        "folds the rate into dC/da once. The rest is Python work per node: creating the node, "
        "reading the graph's order, calling each backward rule, handing leaf gradients over. "
        "Fusing each activation into its Linear layer keeps the graph at two nodes per step.",
    ]
    write_section("Tensor engine: where a step's time goes", "\n".join(lines))


if __name__ == "__main__":
    main()
