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

import re
from dataclasses import dataclass, field

import numpy as np

from chainrule import functions
from chainrule.check import as_network
from chainrule.errors import InputError
from chainrule.explanation import Explanation
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
@dataclass
class _Pass:
    """One sample through the network, for parameter ``p`` of layer ``l``, neuron ``j``, input
    ``k``: ``z[l]``, ``a[l]`` per layer (``a[0] = x``), and ``delta[m]`` from the output (BP1)
    down to layer ``l`` (BP2)."""

    net: object
    x: np.ndarray
    target: np.ndarray
    kind: str
    l: int
    index: tuple
    z: list = field(default_factory=list)
    a: list = field(default_factory=list)
    delta: dict = field(default_factory=dict)

    @property
    def L(self) -> int:
        return len(self.net.sizes) - 1

    @property
    def j(self) -> int:
        return self.index[0]

    @property
    def k(self) -> int:
        return self.index[-1]  # (the column of a weight; for a bias, unused)

    @property
    def softmax(self) -> bool:
        return self.net.output is None

    @property
    def p(self) -> str:
        """The parameter as the book writes it: ``w^2_01`` (``w^1_3,700``) or ``b^2_0``."""
        j, k, l = self.j, self.k, self.l
        jk = f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"
        return f"w^{l}_{jk}" if self.kind == "W" else f"b^{l}_{j}"

    @property
    def dz_dp(self) -> float:
        """``dz^l_j/dp``: the input the weight multiplies, or 1 for a bias."""
        return float(self.a[self.l - 1][self.k]) if self.kind == "W" else 1.0

    def dz_rows(self, equation: str) -> str:
        text = f"a^{self.l - 1}_{self.k} = {self.dz_dp:.6g}" if self.kind == "W" else "1"
        why = "the input this weight multiplies" if self.kind == "W" else "z adds the bias once"
        return f"dz^{self.l}_{self.j}/d{self.p} = {text}   ({why}{equation})"


def _forward(net, x, target, kind, l, index) -> _Pass:
    """The forward pass of one sample, then BP1 and BP2 down to layer ``l``."""
    run = _Pass(net, x, target, kind, l, index)
    zs, acts = net.forward(x[None])
    run.z = [None] + [v[0] for v in zs]  # z[l], a[l] for layers l = 1..L; a[0] = x
    run.a = [x] + [v[0] for v in acts[1:]]
    L, sigma = run.L, net.activation
    dC_da = net.cost.derivative(run.a[L], target)
    bp1 = run.a[L] - target if run.softmax else dC_da * sigma.derivative(run.z[L], run.a[L])
    run.delta = {L: bp1}
    for m in range(L - 1, l - 1, -1):  # BP2 down to layer l
        run.delta[m] = (net.weights[m].T @ run.delta[m + 1]) * sigma.derivative(run.z[m], run.a[m])
    return run


def _introduction(run: _Pass, name: str) -> list:
    net, sigma, L, l, j, k = run.net, run.net.activation, run.L, run.l, run.j, run.k
    source = f"input {k}" if l == 1 else f"neuron {k} of layer {l - 1}"
    what = (
        f"{run.p} connects {source} to neuron {j} of layer {l}"
        if run.kind == "W"
        else f"{run.p} is the bias of neuron {j} of layer {l}"
    )
    out_name = "softmax" if run.softmax else sigma.name
    cost = float(np.sum(net.cost.fn(run.a[L], run.target)))
    return [
        ("title", f"The chain rule for {name} on one sample"),
        (
            "para",
            f"The network {net.sizes} with {sigma.name} hidden layers, a {out_name} output and "
            f"the {net.cost.name} cost; sample x = {_vector(run.x)}, target y = "
            f"{_vector(run.target)}. {what} (layer 0 is the input, layer {L} the output).",
        ),
        ("heading", "Forward pass"),
        (
            "math",
            [
                f"z^{l}_{j} = sum_k w^{l}_{j}k a^{l - 1}_k + b^{l}_{j} = {run.z[l][j]:.6g}",
                f"a^{l}_{j} = {sigma.name if l < L else out_name}(z^{l}_{j}) = {run.a[l][j]:.6g}",
                f"C = {cost:.6g}   (this sample's cost, summed over the output units)",
            ],
        ),
    ]


def _output_layer(run: _Pass):
    """BP1 then BP4 (or BP3): ``dC/da * da/dz * dz/dp``, factor by factor."""
    net, sigma, L, j, p = run.net, run.net.activation, run.L, run.j, run.p
    if run.softmax:
        factors = [(f"dC/dz^{L}_{j}", float(run.delta[L][j])), (f"dz^{L}_{j}/d{p}", run.dz_dp)]
        rows = [
            f"dC/dz^{L}_{j} = a^{L}_{j} - y_{j} = {factors[0][1]:.6g}   (softmax with the "
            "log-likelihood: dC/da and da/dz merge)",
        ]
    else:
        dC_da = float(net.cost.derivative(run.a[L], run.target)[j])
        sigma_L = float(sigma.derivative(run.z[L], run.a[L])[j])
        factors = [
            (f"dC/da^{L}_{j}", dC_da),
            (f"da^{L}_{j}/dz^{L}_{j}", sigma_L),
            (f"dz^{L}_{j}/d{p}", run.dz_dp),
        ]
        rows = [
            f"dC/da^{L}_{j} = {COST_DERIVATIVES[net.cost.name]} = {dC_da:.6g}   "
            f"({net.cost.name} cost, a = a^{L}_{j}, y = y_{j})",
            f"da^{L}_{j}/dz^{L}_{j} = {sigma.name}'(z^{L}_{j}) = {_derivative(sigma)} = "
            f"{sigma_L:.6g}",
        ]
    rows.append(run.dz_rows(""))
    return factors, [("heading", "The output layer: dC/dw = dC/da * da/dz * dz/dw"), ("math", rows)]


def _earlier_layer(run: _Pass):
    """BP2 from the output down to layer ``l``, the paths back through layer ``l + 1`` listed
    largest first, then BP4 (or BP3)."""
    net, sigma, L, l, j, p = run.net, run.net.activation, run.L, run.l, run.j, run.p
    W = net.weights[l]  # W^{l+1}
    contributions = W[:, j] * run.delta[l + 1]
    total = float(contributions.sum())
    sigma_l = float(sigma.derivative(run.z[l], run.a[l])[j])
    factors = [
        (f"sum_i w^{l + 1}_i{j} delta^{l + 1}_i", total),
        (f"{sigma.name}'(z^{l}_{j})", sigma_l),
        (f"dz^{l}_{j}/d{p}", run.dz_dp),
    ]
    bp1 = "a - y" if run.softmax else f"dC/da (.) {sigma.name}'(z^{L})"
    back = [f"delta^{L} = {bp1} = {_vector(run.delta[L])}   (BP1)"]
    back += [
        f"delta^{m} = (W^{m + 1})^T delta^{m + 1} (.) {sigma.name}'(z^{m}) = "
        f"{_vector(run.delta[m])}   (BP2)"
        for m in range(L - 1, l, -1)
    ]
    order = np.argsort(-np.abs(contributions), kind="stable")
    paths = [
        (int(i), float(W[i, j]), float(run.delta[l + 1][i]), float(contributions[i])) for i in order
    ]
    header = ("i", f"w^{l + 1}_i{j}", f"delta^{l + 1}_i", "product", "share")
    blocks = [
        ("heading", f"An earlier layer: the error delta flows back from layer {L}"),
        ("math", back),
        (
            "para",
            f"Neuron {j} of layer {l} feeds {_all(net.sizes[l + 1])} of layer {l + 1}; "
            f"each path back through neuron i carries w^{l + 1}_i{j} * delta^{l + 1}_i "
            "(largest first):",
        ),
        ("table", header, _path_rows(paths)),
        (
            "math",
            [
                f"sum_i w^{l + 1}_i{j} delta^{l + 1}_i = {total:.6g}",
                f"delta^{l}_{j} = {_num(total)} * {sigma.name}'(z^{l}_{j}) = {_num(total)} * "
                f"{_num(sigma_l)} = {total * sigma_l:.6g}   (BP2; {sigma.name}' = "
                f"{_derivative(sigma)})",
                run.dz_rows(f": {'BP4' if run.kind == 'W' else 'BP3'}"),
            ],
        ),
    ]
    return factors, paths, blocks


def _path_rows(paths) -> list:
    """The first ``PATHS_SHOWN`` paths, each with its share of the total; the rest in one row."""
    size = sum(abs(c) for *_, c in paths) or 1.0
    rows = [
        (str(i), f"{w:.6g}", f"{d:.6g}", f"{c:.6g}", f"{abs(c) / size:.0%}")
        for i, w, d, c in paths[:PATHS_SHOWN]
    ]
    if len(paths) > PATHS_SHOWN:
        rest = paths[PATHS_SHOWN:]
        share = sum(abs(c) for *_, c in rest) / size
        total = f"{sum(c for *_, c in rest):.6g}"
        rows.append((f"{len(rest)} more", "", "", total, f"{share:.0%}"))
    return rows


def explain(net, x, y, param: str, eps: float = 1e-6) -> Explanation:
    """Write out ``dC/d(param)`` for one sample ``x`` (shape ``(n_0,)``) with label or target
    ``y`` (an int, or a vector of shape ``(n_L,)``), in a ``Network`` (any engine's model is
    turned into one with the same weights; the numbers are computed in float64)."""
    net = as_network(check_model(net))
    kind, l, index = parse_param(net, param)
    name = f"{kind}{l}[{','.join(map(str, index))}]"
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape != (net.sizes[0],):
        raise InputError(f"the sample must have {net.sizes[0]} numbers, got {x.size}.")
    y = np.asarray([y]) if np.ndim(y) == 0 else np.asarray(y)[None]
    check_data(net, x[None], y, "the sample")  # a label of the outputs, or a target row
    target = net.targets(y)[0]
    run = _forward(net, x, target, kind, l, index)
    blocks = _introduction(run, name)
    if l == run.L:
        factors, more = _output_layer(run)
        paths = []
    else:
        factors, paths, more = _earlier_layer(run)
    blocks += more

    p = run.p
    product = float(np.prod([v for _, v in factors])) + 0.0
    chain = " * ".join(n for n, _ in factors)
    values = " * ".join(_num(v) for _, v in factors)
    blocks += [
        ("heading", "The product"),
        ("math", [f"dC/d{p} = {chain}", f"{' ' * len(f'dC/d{p}')} = {values} = {product:.10g}"]),
    ]
    nabla_b, nabla_w = net.backprop(x, target)
    gradient = float((nabla_w if kind == "W" else nabla_b)[l - 1][index]) + 0.0
    numeric = _finite_difference(net, x, target, kind, l, index, eps) + 0.0
    checks = [
        ("chain rule product (above)", f"{product:.10g}"),
        ("backprop (the engine)", f"{gradient:.10g}"),
        (f"finite difference (eps {eps:g})", f"{numeric:.10g}"),
    ]
    blocks += [("heading", "Check"), ("table", ("", "dC/d" + p), checks)]
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
