"""The page's settings: their defaults, their checks, and what they imply for the output layer.

Settings are plain JSON (they live in the page's URL): the data (``data, points, noise, ratio,
classes, seed``), the features, the network (``layers, activation, cost, init, engine``) and the
training (``lr, batch, l1, l2``: the learning rate, the mini-batch size and the rates of the L1
and L2 penalties). ``merge`` checks every value and says in one sentence what is wrong, naming
the setting as the page labels it.
"""

from __future__ import annotations

import numbers

from chainrule import functions
from chainrule.data import planar
from chainrule.errors import InputError
from chainrule.models.registry import DEFAULT_ENGINE, ENGINES, engine_info
from chainrule.playground.dataset import DATA_SETS, FEATURES

DEFAULTS = {
    "data": "circle",
    "points": 500,
    "noise": 0.0,
    "ratio": 0.5,
    "classes": 3,
    "seed": 1,
    "features": ["x1", "x2"],
    "layers": [4, 2],
    "activation": "tanh",
    "cost": "quadratic",
    "init": "scaled",
    "engine": DEFAULT_ENGINE,
    "lr": 0.1,
    "batch": 10,
    "l1": 0.0,
    "l2": 0.0,
}
# What the page calls each setting (for the sentences that refuse a value).
LABELS = {
    "data": "data set",
    "points": "the number of points",
    "ratio": "the training share",
    "classes": "the number of classes",
    "lr": "the learning rate",
    "batch": "the batch size",
    "l1": "the L1 rate",
    "l2": "the L2 rate",
    "init": "initial weights",
}
DATA = ("data", "points", "noise", "ratio", "classes", "seed")
NETWORK = ("features", "layers", "activation", "cost", "init", "seed")
ACTIVATIONS = list(functions.LAYER_ACTIVATIONS)
COSTS = list(functions.COSTS)
MAX_LAYERS, MAX_WIDTH = 6, 8


def merge(current: dict, changes: dict) -> dict:
    """``current`` (or the defaults) with ``changes`` applied, every value checked."""
    if not isinstance(changes, dict):
        raise InputError("settings must be a JSON object of name: value.")
    unknown = sorted(set(changes) - set(DEFAULTS))
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}.")
    s = {**DEFAULTS, **current, **changes}
    _choice(s, "data", [*DATA_SETS, "csv"])
    _choice(s, "activation", ACTIVATIONS)
    _choice(s, "cost", COSTS)
    _choice(s, "engine", list(ENGINES))
    _choice(s, "init", engine_info(s["engine"]).inits)
    _whole(s, "points", 10, 2000)
    _whole(s, "classes", 2, planar.MAX_CLASSES)
    _whole(s, "seed", 0, 2**31)
    _whole(s, "batch", 1, 2000)
    _number(s, "noise", 0, 1)
    _number(s, "ratio", 0.1, 0.9)
    _number(s, "lr", 1e-6, 1e6)
    _number(s, "l1", 0, 100)
    _number(s, "l2", 0, 100)
    features, layers = s["features"], s["layers"]
    if not (isinstance(features, list) and features and set(features) <= set(FEATURES)):
        raise InputError(f"choose at least one feature from {', '.join(FEATURES)}.")
    s["features"] = [f for f in FEATURES if f in features]  # one order, no repeats
    if not (
        isinstance(layers, list)
        and len(layers) <= MAX_LAYERS
        and all(_is_whole(n) and 1 <= n <= MAX_WIDTH for n in layers)
    ):
        raise InputError(
            f"hidden layers must be a list of at most {MAX_LAYERS} widths from 1 to {MAX_WIDTH}."
        )
    return s


def output_layer(s: dict, problem) -> tuple[str, int, list[str]]:
    """``(cost, output units, notes)`` for these settings on this problem (see
    ``chainrule.playground.session``'s docstring); notes say what was changed and why."""
    notes = []
    cost = s["cost"]
    if problem.regression:
        if cost != "quadratic":
            notes.append("regression uses the quadratic cost (targets in [-1, 1]).")
        if s["activation"] != "tanh":
            notes.append(
                f"the output layer uses the hidden activation ({s['activation']}); tanh fits "
                "targets in [-1, 1]."
            )
        return "quadratic", 1, notes
    costs = engine_info(s["engine"]).costs
    if costs is not None:  # an engine with its own few costs: the first, one-hot targets
        notes.append(
            f"the {s['engine']} engine takes only the {' or '.join(costs)} cost"
            + (
                "; one output per class, one-hot targets, no softmax."
                if problem.classes > 2
                else "."
            )
        )
        return costs[0], problem.classes if problem.classes > 2 else 1, notes
    if problem.classes > 2:
        if cost != "log_likelihood":
            notes.append(
                f"{problem.classes} classes: a softmax output with the log-likelihood cost."
            )
        return "log_likelihood", problem.classes, notes
    if cost == "log_likelihood":
        return cost, 2, notes
    if cost == "cross_entropy" and s["activation"] != "sigmoid":
        notes.append("the cross-entropy cost needs a sigmoid output; using the quadratic cost.")
        return "quadratic", 1, notes
    return cost, 1, notes


def batch_kind(batch: int, n: int) -> str:
    """The name of gradient descent with this batch size on ``n`` training points."""
    if batch >= n:
        return "batch"
    return "stochastic" if batch == 1 else "mini-batch"


def _is_whole(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _choice(s, name, choices) -> None:
    if s[name] not in choices:
        label = LABELS.get(name, name)
        raise InputError(f"unknown {label} {s[name]!r}: choose one of {', '.join(choices)}.")


def _whole(s, name, low, high) -> None:
    if not (_is_whole(s[name]) and low <= s[name] <= high):
        raise InputError(
            f"{_subject(name)} must be a whole number from {low} to {high}, not {s[name]!r}; "
            "the previous value is back."
        )
    s[name] = int(s[name])


def _subject(name: str) -> str:
    label = LABELS.get(name, name)
    return label[0].upper() + label[1:]


def _number(s, name, low, high) -> None:
    x = s[name]
    if not (isinstance(x, numbers.Real) and not isinstance(x, bool) and low <= x <= high):
        raise InputError(
            f"{_subject(name)} must be a number from {low:g} to {high:g}, not {x!r}; "
            "the previous value is back."
        )
    s[name] = float(x)


def choices() -> dict:
    """What the page's menus offer."""
    return {
        "data": [*DATA_SETS, "csv"],
        "features": list(FEATURES),
        "activation": list(ACTIVATIONS),
        "cost": list(COSTS),
        "engine": list(ENGINES),
        "max_layers": MAX_LAYERS,
        "max_width": MAX_WIDTH,
    }
