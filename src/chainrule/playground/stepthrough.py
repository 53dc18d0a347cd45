"""One update, stage by stage, for one sample: the forward pass layer by layer, then the four
backprop equations, then the step. Every number comes from the explicit ``Network``.

* forward, layer ``l = 1 .. L``: ``z^l = W^l a^{l-1} + b^l`` and ``a^l = sigma(z^l)``
  (``Network.forward``);
* backward: BP1 ``delta^L = grad_a C (.) sigma'(z^L)`` at the output, then BP2 ``delta^l =
  ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l)`` for ``l = L-1 .. 1``; ``delta^l`` is what
  ``Network.backprop(x, y)`` returns as ``nabla_b[l-1]`` (BP3 says ``dC/db^l = delta^l``);
* BP3 / BP4 per layer: ``dC/db^l = delta^l`` and ``dC/dW^l = delta^l (a^{l-1})^T``;
* the update with learning rate ``eta``: ``W -> W - eta dC/dW``, ``b -> b - eta dC/db``.
"""

from __future__ import annotations

import numpy as np


def stages(net, x, target, lr: float) -> list[dict]:
    """The stages of one update of ``net`` (a float64 ``Network``) on sample ``x`` ``(n_0,)``
    with target row ``target`` ``(n_L,)``, in the order they happen."""
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    L = len(net.sizes) - 1
    zs, activations = net.forward(x[None])
    nabla_b, nabla_w = net.backprop(x, target)
    out_name = "softmax" if net.output is None else net.output.name
    found = [
        {
            "stage": "forward",
            "layer": l,
            "equation": f"z^{l} = W^{l} a^{l - 1} + b^{l};  a^{l} = "
            f"{out_name if l == L else net.activation.name}(z^{l})",
            "z": zs[l - 1][0].tolist(),
            "a": activations[l][0].tolist(),
        }
        for l in range(1, L + 1)
    ]
    cost = float(np.sum(net.cost.fn(activations[-1][0], target)))
    found.append(
        {
            "stage": "cost",
            "layer": L,
            "equation": f"C = {net.cost.name}(a^{L}, y)",
            "cost": cost,
            "y": target.tolist(),
        }
    )
    for l in range(L, 0, -1):
        name = "BP1" if l == L else "BP2"
        equation = (
            f"BP1: delta^{L} = grad_a C (.) {out_name}'(z^{L})"
            if l == L
            else f"BP2: delta^{l} = ((W^{l + 1})^T delta^{l + 1}) (.) {net.activation.name}'(z^{l})"
        )
        if l == L and net.output is None:
            equation = f"BP1: delta^{L} = a^{L} - y  (softmax with the log-likelihood)"
        found.append(
            {"stage": name, "layer": l, "equation": equation, "delta": nabla_b[l - 1].tolist()}
        )
    for l in range(L, 0, -1):
        found.append(
            {
                "stage": "BP3/BP4",
                "layer": l,
                "equation": f"BP3: dC/db^{l} = delta^{l};  "
                f"BP4: dC/dW^{l} = delta^{l} (a^{l - 1})^T",
                "nabla_b": nabla_b[l - 1].tolist(),
                "nabla_w": nabla_w[l - 1].tolist(),
            }
        )
    found.append(
        {
            "stage": "update",
            "layer": None,
            "equation": f"W -> W - eta dC/dW;  b -> b - eta dC/db  (eta = {lr:g})",
            "W": [(W - lr * g).tolist() for W, g in zip(net.weights, nabla_w)],
            "b": [(b - lr * g).tolist() for b, g in zip(net.biases, nabla_b)],
        }
    )
    return found
