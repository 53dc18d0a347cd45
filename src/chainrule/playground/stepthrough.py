"""One update, stage by stage, for one sample: the forward pass layer by layer, then the four
backprop equations, then the step. Every number comes from the explicit ``Network``, and every
stage carries its ingredients beside its result, as a table the page typesets (KaTeX):

* forward, layer ``l = 1 .. L``: ``z^l = W^l a^{l-1} + b^l`` and ``a^l = sigma(z^l)``
  (``Network.forward``); rows ``j``: ``(W^l a^{l-1})_j``, ``b^l_j``, ``z^l_j``, ``a^l_j``;
* the cost ``C(a^L, y)``; rows ``j``: ``a^L_j``, ``y_j``;
* BP1 ``delta^L = grad_a C (.) sigma'(z^L)``; rows: ``(grad_a C)_j``, ``sigma'(z^L_j)``, their
  product (a softmax output with the log-likelihood: ``delta^L = a^L - y``);
* BP2 ``delta^l = ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l)`` for ``l = L-1 .. 1``; rows:
  ``((W^{l+1})^T delta^{l+1})_j``, ``sigma'(z^l_j)``, their product. ``delta^l`` is what
  ``Network.backprop(x, y)`` returns as ``nabla_b[l-1]`` (BP3 says ``dC/db^l = delta^l``);
* BP3 / BP4 per layer: ``dC/db^l = delta^l`` and ``dC/dW^l = delta^l (a^{l-1})^T``; rows ``j``:
  ``delta^l_j`` and ``delta^l_j a^{l-1}_k`` for each ``k`` (``a^{l-1}`` is in the equation);
* the update with learning rate ``eta`` and the penalties' rates ``l1, l2`` over ``n`` training
  points: ``w -> w - eta dC/dw - (eta / n)(l1 sign(w) + l2 w)``, ``b -> b - eta dC/db``; one row
  per parameter: old value, ``eta dC/dp``, the penalty's step (when a rate is set), new value.

A stage is ``{"stage", "layer", "tex", "columns": [[tex, kind], ...], "rows": [[tex, v, ...]],
"result": the index of the result column}`` plus the raw vectors the drawing labels (``z, a,
delta, nabla_b, nabla_w, W, b``).
"""

from __future__ import annotations

import numpy as np

NAMES = {"identity": r"\mathrm{id}", "leaky\\_relu": r"\mathrm{leaky}"}


def _fn(name: str) -> str:
    escaped = name.replace("_", r"\_")
    return NAMES.get(escaped, rf"\mathrm{{{escaped}}}")


def _stage(stage, layer, tex, columns, rows, result=None, **raw) -> dict:
    return {
        "stage": stage,
        "layer": layer,
        "tex": tex,
        "equation": tex,
        "columns": columns,
        "rows": rows,
        "result": result,
        **raw,
    }


def _by_neuron(*columns) -> list:
    """Rows ``[j, column_0[j], column_1[j], ...]`` with ``j`` as TeX."""
    return [[f"j={j}", *(float(c[j]) for c in columns)] for j in range(len(columns[0]))]


def stages(net, x, target, lr: float, l1: float = 0.0, l2: float = 0.0, n: int = 1) -> list:
    """The stages of one update of ``net`` (a float64 ``Network``) on sample ``x`` ``(n_0,)``
    with target row ``target`` ``(n_L,)``, in the order they happen; ``l1, l2`` and ``n`` are the
    training's penalty rates and training-set size (the update's weight decay)."""
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    L = len(net.sizes) - 1
    zs, acts = net.forward(x[None])
    z = [None] + [v[0] for v in zs]
    a = [x] + [v[0] for v in acts[1:]]
    nabla_b, nabla_w = net.backprop(x, target)
    softmax = net.output is None
    out_name = "softmax" if softmax else net.output.name
    hidden = _fn(net.activation.name)
    found = []
    for l in range(1, L + 1):
        sigma = _fn(out_name) if l == L else hidden
        Wa = net.weights[l - 1] @ a[l - 1]
        found.append(
            _stage(
                "forward",
                l,
                rf"z^{{{l}}} = W^{{{l}}} a^{{{l - 1}}} + b^{{{l}}}, \quad "
                rf"a^{{{l}}} = {sigma}(z^{{{l}}})",
                [[rf"(W^{{{l}}}a^{{{l - 1}}})_j", "Wa"], [rf"b^{{{l}}}_j", "b"]]
                + [[rf"z^{{{l}}}_j", "z"], [rf"a^{{{l}}}_j", "a"]],
                _by_neuron(Wa, net.biases[l - 1], z[l], a[l]),
                3,
                z=z[l].tolist(),
                a=a[l].tolist(),
            )
        )
    cost = float(np.sum(net.cost.fn(a[L], target)))
    cost_name = net.cost.name.replace("_", r"\_")
    found.append(
        _stage(
            "cost",
            L,
            rf"C = \mathrm{{{cost_name}}}(a^{{{L}}}, y) = {cost:.6g}",
            [[rf"a^{{{L}}}_j", "a"], [r"y_j", "y"]],
            _by_neuron(a[L], target),
            cost=cost,
            y=target.tolist(),
        )
    )
    for l in range(L, 0, -1):
        delta = nabla_b[l - 1]
        if l == L and softmax:
            tex = rf"\text{{BP1: }}\delta^{{{L}}} = a^{{{L}}} - y"
            tex += r"\quad\text{(softmax, log-likelihood)}"
            columns = [[rf"a^{{{L}}}_j", "a"], ["y_j", "y"], [rf"\delta^{{{L}}}_j", "delta"]]
            rows = _by_neuron(a[L], target, delta)
        elif l == L:
            grad = net.cost.derivative(a[L], target)
            prime = net.output.derivative(z[L], a[L])
            tex = rf"\text{{BP1: }}\delta^{{{L}}} = \nabla_a C \odot {_fn(out_name)}'(z^{{{L}}})"
            columns = [
                [r"(\nabla_a C)_j", "grad_a"],
                [rf"{_fn(out_name)}'(z^{{{L}}}_j)", "sigma_prime"],
                [rf"\delta^{{{L}}}_j", "delta"],
            ]
            rows = _by_neuron(grad, prime, delta)
        else:
            back = net.weights[l].T @ nabla_b[l]
            prime = net.activation.derivative(z[l], a[l])
            tex = (
                rf"\text{{BP2: }}\delta^{{{l}}} = ((W^{{{l + 1}}})^T \delta^{{{l + 1}}}) "
                rf"\odot {hidden}'(z^{{{l}}})"
            )
            columns = [
                [rf"((W^{{{l + 1}}})^T\delta^{{{l + 1}}})_j", "back"],
                [rf"{hidden}'(z^{{{l}}}_j)", "sigma_prime"],
                [rf"\delta^{{{l}}}_j", "delta"],
            ]
            rows = _by_neuron(back, prime, delta)
        found.append(
            _stage("BP1" if l == L else "BP2", l, tex, columns, rows, 2, delta=delta.tolist())
        )
    for l in range(L, 0, -1):
        previous = ", ".join(f"{v:.4g}" for v in a[l - 1])
        columns = [[rf"\delta^{{{l}}}_j = \partial C/\partial b^{{{l}}}_j", "dC/db"]] + [
            [rf"\partial C/\partial w^{{{l}}}_{{j{k}}}", f"dC/dW[:,{k}]"]
            for k in range(net.sizes[l - 1])
        ]
        found.append(
            _stage(
                "BP3/BP4",
                l,
                rf"\text{{BP3: }}\frac{{\partial C}}{{\partial b^{{{l}}}}} = \delta^{{{l}}}, \quad"
                rf"\text{{BP4: }}\frac{{\partial C}}{{\partial w^{{{l}}}_{{jk}}}} = "
                rf"a^{{{l - 1}}}_k \delta^{{{l}}}_j, \quad a^{{{l - 1}}} = ({previous})",
                columns,
                [
                    [f"j={j}", float(nabla_b[l - 1][j]), *map(float, nabla_w[l - 1][j])]
                    for j in range(net.sizes[l])
                ],
                nabla_b=nabla_b[l - 1].tolist(),
                nabla_w=nabla_w[l - 1].tolist(),
            )
        )
    found.append(_update(net, nabla_b, nabla_w, lr, l1, l2, n))
    return found


def _update(net, nabla_b, nabla_w, lr, l1, l2, n) -> dict:
    """The update's stage: every weight and bias, old, ``eta dC/dp``, the penalty, new."""
    penalised = bool(l1 or l2)
    rows, new_W, new_b = [], [], []
    for l, (W, b, gW, gb) in enumerate(zip(net.weights, net.biases, nabla_w, nabla_b), start=1):
        decay = lr / n * (l1 * np.sign(W) + l2 * W)
        nW, nb = W - lr * gW - decay, b - lr * gb
        new_W.append(nW.tolist())
        new_b.append(nb.tolist())
        for j, k in np.ndindex(W.shape):
            row = [rf"w^{{{l}}}_{{{j}{k}}}", float(W[j, k]), float(lr * gW[j, k])]
            rows.append(row + ([float(decay[j, k])] if penalised else []) + [float(nW[j, k])])
        for j in range(len(b)):
            row = [rf"b^{{{l}}}_{{{j}}}", float(b[j]), float(lr * gb[j])]
            rows.append(row + ([0.0] if penalised else []) + [float(nb[j])])
    penalty = (
        r" - \tfrac{\eta}{n}(\lambda_1 \operatorname{sign} w + \lambda_2 w)" if penalised else ""
    )
    rates = rf"\eta = {lr:g}" + (
        rf",\ \lambda_1 = {l1:g},\ \lambda_2 = {l2:g},\ n = {n}" if penalised else ""
    )
    columns = [["\\text{old}", "old"], [r"\eta\,\partial C/\partial p", "step"]]
    if penalised:
        columns.append(
            [r"\tfrac{\eta}{n}(\lambda_1 \operatorname{sign} w + \lambda_2 w)", "penalty"]
        )
    columns.append(["\\text{new}", "new"])
    return _stage(
        "update",
        None,
        rf"w \to w - \eta\,\frac{{\partial C}}{{\partial w}}{penalty}, \quad "
        rf"b \to b - \eta\,\frac{{\partial C}}{{\partial b}} \qquad ({rates})",
        columns,
        rows,
        len(columns) - 1,
        W=new_W,
        b=new_b,
    )
