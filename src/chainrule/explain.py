"""The chain rule for one weight or bias, written out with the numbers of one sample.

``explain(net, x, y, "W2[0,1]")`` follows the book's notation (``Network``): ``w^l_jk`` is
``W^l[j, k]``, the weight from neuron ``k`` of layer ``l-1`` into neuron ``j`` of layer ``l``;
layer 0 is the input, layer ``L`` the output; ``z^l = W^l a^{l-1} + b^l``, ``a^l = sigma(z^l)``.
The cost ``C`` is the one sample's cost, summed over the output units.

* In the output layer the derivative is a product of three local derivatives,
  ``dC/dw^L_jk = dC/da^L_j * da^L_j/dz^L_j * dz^L_j/dw^L_jk`` (BP1 then BP4), each shown with its
  value. (A softmax output with the log-likelihood cost merges the first two: ``a_j - y_j``.)
* In an earlier layer ``l`` the error of neuron ``j`` gathers the errors of every neuron ``i`` of
  layer ``l+1`` it feeds, ``delta^l_j = (sum_i w^{l+1}_ij delta^{l+1}_i) sigma'(z^l_j)`` (BP2); the
  terms of that sum are the paths back from the output, listed largest first.

The result holds the product of the factors, the engine's own gradient (``Network.backprop``) and
a central finite difference, and prints as plain text, Markdown or HTML.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from chainrule import functions
from chainrule.check import as_network
from chainrule.errors import InputError
from chainrule.models.registry import check_model
from chainrule.train import check_data

# What each activation's derivative is, in words of z and a = sigma(z).
DERIVATIVES = {
    "sigmoid": "a (1 - a)",
    "tanh": "1 - a^2",
    "relu": "1 if z > 0, else 0",
    "leaky_relu": f"1 if z > 0, else {functions.LEAKY_SLOPE}",
    "softplus": "sigmoid(z)",
    "identity": "1",
    "exp": "a",
    "log": "1 / z",
}
COST_DERIVATIVES = {
    "quadratic": "a - y",
    "cross_entropy": "(a - y) / (a (1 - a))",
}
PATHS_SHOWN = 6  # rows of the path table; the rest are summed in one line
NAME = re.compile(r"^\s*([Wb])\s*(\d+)\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$")


def _num(x: float) -> str:
    """A number for an equation: 6 significant digits, negative ones in parentheses."""
    text = f"{x + 0.0:.6g}"  # (+ 0.0 turns -0.0 into 0.0)
    return f"({text})" if x < 0 else text


def _all(n: int) -> str:
    return "the one neuron" if n == 1 else f"all {n} neurons"


def _derivative(sigma) -> str:
    return DERIVATIVES.get(sigma.name, f"{sigma.name}'(z)")


def _vector(v, limit: int = 8) -> str:
    shown = ", ".join(f"{x:.4g}" for x in v[:limit])
    return f"[{shown}{', ...' if len(v) > limit else ''}]"


@dataclass
class Explanation:
    """The chain rule for one parameter on one sample. ``text()``, ``markdown()``, ``html()``.

    ``factors``: ``(name, value)`` pairs whose product is ``product``; ``gradient``: the engine's
    ``dC/dw`` from ``Network.backprop``; ``numeric``: the central finite difference; ``paths``
    (earlier layers only): ``(i, w^{l+1}_ij, delta^{l+1}_i, product)`` largest first."""

    param: str
    product: float
    gradient: float
    numeric: float
    factors: list[tuple[str, float]]
    paths: list[tuple[int, float, float, float]] = field(default_factory=list)
    blocks: list[tuple] = field(default_factory=list, repr=False)

    def text(self) -> str:
        out = []
        for kind, *body in self.blocks:
            if kind == "title":
                out += [body[0], "=" * len(body[0])]
            elif kind == "heading":
                out += ["", body[0]]
            elif kind == "para":
                out += ["", *textwrap.wrap(body[0], 100)]
            elif kind == "math":
                out += ["    " + line for line in body[0]]
            elif kind == "table":
                out += ["    " + line for line in _aligned(*body)]
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        out = []
        for kind, *body in self.blocks:
            if kind == "title":
                out += [f"### {body[0]}", ""]
            elif kind == "heading":
                out += [f"**{body[0]}**", ""]
            elif kind == "para":
                out += [body[0], ""]
            elif kind == "math":
                out += ["```", *body[0], "```", ""]
            elif kind == "table":
                header, rows = body
                out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                out += ["| " + " | ".join(row) + " |" for row in rows] + [""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        out = ['<div class="chainrule-explain">']
        for kind, *body in self.blocks:
            if kind == "title":
                out.append(f"<h3>{e(body[0])}</h3>")
            elif kind == "heading":
                out.append(f"<h4>{e(body[0])}</h4>")
            elif kind == "para":
                out.append(f"<p>{e(body[0])}</p>")
            elif kind == "math":
                out.append("<pre>" + e("\n".join(body[0])) + "</pre>")
            elif kind == "table":
                header, rows = body
                cells = "".join(f"<th>{e(h)}</th>" for h in header)
                lines = [f"<tr>{cells}</tr>"]
                lines += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
                out.append("<table>" + "".join(lines) + "</table>")
        return "\n".join(out + ["</div>"])

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.text()


def _aligned(header, rows) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [header, *rows]]


# ---------------------------------------------------------------------------------- parsing
def parse_param(net, name: str) -> tuple[str, int, tuple[int, ...]]:
    """``"W2[0,1]"`` -> ``("W", 2, (0, 1))``, checked against ``net``'s layers (one sentence)."""
    sizes = net.sizes
    layers = range(1, len(sizes))
    match = NAME.match(str(name))
    ok = False
    if match:
        kind, layer = match[1], int(match[2])
        index = (int(match[3]),) if match[4] is None else (int(match[3]), int(match[4]))
        if layer in layers and len(index) == (2 if kind == "W" else 1):
            shape = (sizes[layer], sizes[layer - 1])[: len(index)]
            ok = all(i < n for i, n in zip(index, shape))
    if not ok:
        weights = ", ".join(f"W{l}[j,k] (j < {sizes[l]}, k < {sizes[l - 1]})" for l in layers)
        biases = ", ".join(f"b{l}[j] (j < {sizes[l]})" for l in layers)
        raise InputError(
            f"the network {sizes} has no parameter {name!r}; name a weight {weights}, or a bias "
            f"{biases}."
        )
    return kind, layer, index


# ---------------------------------------------------------------------------------- explaining
def explain(net, x, y, param: str, eps: float = 1e-6) -> Explanation:
    """Write out ``dC/d(param)`` for one sample ``x`` (shape ``(n_0,)``) with label or target
    ``y`` (an int, or a vector of shape ``(n_L,)``), in a ``Network`` (any engine's model is
    turned into one with the same weights; the numbers are computed in float64)."""
    net = as_network(check_model(net))
    kind, l, index = parse_param(net, param)
    j = index[0]
    name = f"{kind}{l}[{','.join(map(str, index))}]"
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape != (net.sizes[0],):
        raise InputError(f"the sample must have {net.sizes[0]} numbers, got {x.size}.")
    y = np.asarray([y]) if np.ndim(y) == 0 else np.asarray(y)[None]
    check_data(net, x[None], y, "the sample")  # a label of the outputs, or a target row
    target = net.targets(y)[0]
    L = len(net.sizes) - 1
    zs, acts = net.forward(x[None])
    z = [None] + [v[0] for v in zs]  # z[l], a[l] for layers l = 1..L; a[0] = x
    a = [x] + [v[0] for v in acts[1:]]
    W = [None] + net.weights
    sigma = net.activation
    softmax = net.output is None
    cost = float(np.sum(net.cost.fn(a[L], target)))

    blocks = [("title", f"The chain rule for {name} on one sample")]
    k = index[-1]  # (the column of a weight; for a bias, unused)
    jk = f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"  # w^2_01, but w^1_3,700
    source = f"input {k}" if l == 1 else f"neuron {k} of layer {l - 1}"
    what = (
        f"w^{l}_{jk} connects {source} to neuron {j} of layer {l}"
        if kind == "W"
        else f"b^{l}_{j} is the bias of neuron {j} of layer {l}"
    )
    out_name = "softmax" if softmax else sigma.name
    blocks.append(
        (
            "para",
            f"The network {net.sizes} with {sigma.name} hidden layers, a {out_name} output and the "
            f"{net.cost.name} cost"
            f"; sample x = {_vector(x)}, target y = {_vector(target)}. {what} (layer 0 is "
            f"the input, layer {L} the output).",
        )
    )
    blocks += [
        ("heading", "Forward pass"),
        (
            "math",
            [
                f"z^{l}_{j} = sum_k w^{l}_{j}k a^{l - 1}_k + b^{l}_{j} = {z[l][j]:.6g}",
                f"a^{l}_{j} = {sigma.name if l < L else out_name}(z^{l}_{j}) = {a[l][j]:.6g}",
                f"C = {cost:.6g}   (this sample's cost, summed over the output units)",
            ],
        ),
    ]

    # BP1: the output layer's error, factor by factor.
    dC_da = net.cost.derivative(a[L], target)
    sigma_L = None if softmax else sigma.derivative(z[L], a[L])
    delta = {L: a[L] - target if softmax else dC_da * sigma_L}
    for m in range(L - 1, l - 1, -1):  # BP2 down to layer l
        delta[m] = (W[m + 1].T @ delta[m + 1]) * sigma.derivative(z[m], a[m])
    dz_dp = a[l - 1][k] if kind == "W" else 1.0
    dz_text = f"a^{l - 1}_{k} = {dz_dp:.6g}" if kind == "W" else "1"
    dz_why = "the input this weight multiplies" if kind == "W" else "z adds the bias once"
    p = f"w^{l}_{jk}" if kind == "W" else f"b^{l}_{j}"

    paths = []
    if l == L:
        if softmax:
            factors = [(f"dC/dz^{L}_{j}", float(delta[L][j])), (f"dz^{L}_{j}/d{p}", dz_dp)]
            rows = [
                f"dC/dz^{L}_{j} = a^{L}_{j} - y_{j} = {factors[0][1]:.6g}   (softmax with the "
                "log-likelihood: dC/da and da/dz merge)",
            ]
        else:
            factors = [
                (f"dC/da^{L}_{j}", float(dC_da[j])),
                (f"da^{L}_{j}/dz^{L}_{j}", float(sigma_L[j])),
                (f"dz^{L}_{j}/d{p}", dz_dp),
            ]
            rows = [
                f"dC/da^{L}_{j} = {COST_DERIVATIVES[net.cost.name]} = {factors[0][1]:.6g}   "
                f"({net.cost.name} cost, a = a^{L}_{j}, y = y_{j})",
                f"da^{L}_{j}/dz^{L}_{j} = {sigma.name}'(z^{L}_{j}) = {_derivative(sigma)} = "
                f"{factors[1][1]:.6g}",
            ]
        rows.append(f"dz^{L}_{j}/d{p} = {dz_text}   ({dz_why})")
        blocks += [("heading", "The output layer: dC/dw = dC/da * da/dz * dz/dw"), ("math", rows)]
    else:
        contributions = W[l + 1][:, j] * delta[l + 1]
        total = float(contributions.sum())
        sigma_l = float(sigma.derivative(z[l], a[l])[j])
        factors = [
            (f"sum_i w^{l + 1}_i{j} delta^{l + 1}_i", total),
            (f"{sigma.name}'(z^{l}_{j})", sigma_l),
            (f"dz^{l}_{j}/d{p}", dz_dp),
        ]
        bp1 = "a - y" if softmax else f"dC/da (.) {sigma.name}'(z^{L})"
        back = [f"delta^{L} = {bp1} = {_vector(delta[L])}   (BP1)"]
        back += [
            f"delta^{m} = (W^{m + 1})^T delta^{m + 1} (.) {sigma.name}'(z^{m}) = "
            f"{_vector(delta[m])}   "
            "(BP2)"
            for m in range(L - 1, l, -1)
        ]
        blocks += [
            ("heading", f"An earlier layer: the error delta flows back from layer {L}"),
            ("math", back),
            (
                "para",
                f"Neuron {j} of layer {l} feeds {_all(net.sizes[l + 1])} of layer {l + 1}; "
                f"each path back through neuron i carries w^{l + 1}_i{j} * delta^{l + 1}_i "
                "(largest first):",
            ),
        ]
        order = np.argsort(-np.abs(contributions), kind="stable")
        size = float(np.abs(contributions).sum()) or 1.0
        paths = [
            (int(i), float(W[l + 1][i, j]), float(delta[l + 1][i]), float(contributions[i]))
            for i in order
        ]
        table = [
            (str(i), f"{w:.6g}", f"{d:.6g}", f"{c:.6g}", f"{abs(c) / size:.0%}")
            for i, w, d, c in paths[:PATHS_SHOWN]
        ]
        if len(paths) > PATHS_SHOWN:
            rest = paths[PATHS_SHOWN:]
            share = sum(abs(c) for *_, c in rest) / size
            table.append(
                (f"{len(rest)} more", "", "", f"{sum(c for *_, c in rest):.6g}", f"{share:.0%}")
            )
        header = ("i", f"w^{l + 1}_i{j}", f"delta^{l + 1}_i", "product", "share")
        blocks.append(("table", header, table))
        blocks.append(
            (
                "math",
                [
                    f"sum_i w^{l + 1}_i{j} delta^{l + 1}_i = {total:.6g}",
                    f"delta^{l}_{j} = {_num(total)} * {sigma.name}'(z^{l}_{j}) = {_num(total)} * "
                    f"{_num(sigma_l)} = {total * sigma_l:.6g}   (BP2; {sigma.name}' = "
                    f"{_derivative(sigma)})",
                    f"dz^{l}_{j}/d{p} = {dz_text}   ({dz_why}: {'BP4' if kind == 'W' else 'BP3'})",
                ],
            )
        )

    product = float(np.prod([v for _, v in factors])) + 0.0
    chain = " * ".join(n for n, _ in factors)
    blocks += [
        ("heading", "The product"),
        (
            "math",
            [
                f"dC/d{p} = {chain}",
                f"{' ' * len(f'dC/d{p}')} = {' * '.join(_num(v) for _, v in factors)} = "
                f"{product:.10g}",
            ],
        ),
    ]

    nabla_b, nabla_w = net.backprop(x, target)
    gradient = float((nabla_w if kind == "W" else nabla_b)[l - 1][index]) + 0.0
    numeric = _finite_difference(net, x, target, kind, l, index, eps) + 0.0
    blocks += [
        ("heading", "Check"),
        (
            "table",
            ("", "dC/d" + p),
            [
                ("chain rule product (above)", f"{product:.10g}"),
                ("backprop (the engine)", f"{gradient:.10g}"),
                (f"finite difference (eps {eps:g})", f"{numeric:.10g}"),
            ],
        ),
    ]
    return Explanation(name, product, gradient, numeric, factors, paths, blocks)


def _finite_difference(net, x, target, kind, l, index, eps) -> float:
    """``(C(p + eps) - C(p - eps)) / 2 eps`` for this sample's cost; ``p`` restored exactly."""
    array = (net.weights if kind == "W" else net.biases)[l - 1]
    original = array[index]

    def cost():
        return float(np.sum(net.cost.fn(net.feedforward(x[None])[0], target)))

    try:
        array[index] = original + eps
        up = cost()
        array[index] = original - eps
        down = cost()
    finally:
        array[index] = original
    return (up - down) / (2 * eps)
