"""What the page draws, computed on the server: heat maps of the output and of every neuron over
the data's square, and the frame that carries them to the browser as JSON.

A heat map of ``size x size`` pixels evaluates the network on a grid of points (row 0 at the
top, the largest ``x2``), so a picture costs one forward pass over ``size^2`` samples. Values go
to the page as one byte per pixel, base64: ``t = 0 .. 255`` on the colour scale from orange
(low) to blue (high); what ``t`` means for each map is said next to it (``range``).

Every neuron's map needs the hidden activations, which only an engine that explains per layer
exposes (``Network.forward`` returns each ``z^l`` and ``a^l``); a model of another engine is
mirrored in one with the same weights (``chainrule.models.registry.as_explainer``). The maps are
painted by a float32 copy: a pixel holds 8 bits, far coarser than float32's rounding, and tanh
and exp run about four times faster in float32 (the cost of a frame is mostly the 10,000 points
of the output map going through the activations).
"""

from __future__ import annotations

import base64

import numpy as np

from chainrule.models.registry import as_explainer
from chainrule.playground.dataset import features

OUTPUT_SIZE = 100
NEURON_SIZE = 32
# The range each activation's values lie in; None: scaled to the map's largest |value|.
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softmax": (0.0, 1.0)}


def grid(domain, size: int) -> np.ndarray:
    """``size^2`` points ``(size^2, 2)`` covering ``domain = (x1min, x1max, x2min, x2max)``,
    row by row from the top."""
    x1 = np.linspace(domain[0], domain[1], size)
    x2 = np.linspace(domain[3], domain[2], size)
    a, b = np.meshgrid(x1, x2)
    return np.stack([a.ravel(), b.ravel()], axis=1)


def encode(values: np.ndarray, low: float, high: float) -> str:
    """Values as bytes ``0 .. 255`` over ``[low, high]`` (clipped), base64 text."""
    scale = 255.0 / (high - low) if high > low else 0.0
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)  # (a diverged network)
    t = np.clip((values - low) * scale, 0, 255).astype(np.uint8)
    return base64.b64encode(t.tobytes()).decode("ascii")


class Painter:
    """The grids for one data square and feature list, made once; ``output(model)`` and
    ``neurons(model)`` paint the maps of any engine's model."""

    def __init__(self, domain, names, regression: bool, classes: int):
        self.regression, self.classes = regression, classes
        self.big = features(grid(domain, OUTPUT_SIZE), names).astype(np.float32)
        self.small = features(grid(domain, NEURON_SIZE), names).astype(np.float32)
        self.net = None  # the float32 copy that paints
        # The inputs' maps never change: each feature scaled to its own largest |value|.
        self.inputs = [encode(f, -s, s) for f in self.small.T for s in [_scale(f)]]

    def painter(self, model):
        """The float32 Network that paints ``model`` (made once, its weights refreshed)."""
        self.net = as_explainer(model, "float32", self.net)
        return self.net

    def output(self, model) -> dict:
        """The output over the square: for one output unit ``a`` itself (classification: 0 .. 1,
        the decision at 0.5; regression: -1 .. 1); for several, the winning class and its
        activation (``class`` and ``confidence``)."""
        a = self.painter(model).feedforward(self.big)
        if a.shape[1] == 1:
            low = -1.0 if self.regression else 0.0
            return {"kind": "value", "data": encode(a[:, 0], low, 1.0), "range": [low, 1.0]}
        top = a.argmax(axis=1)
        strength = a[np.arange(len(a)), top]
        return {
            "kind": "classes",
            "class": base64.b64encode(top.astype(np.uint8).tobytes()).decode("ascii"),
            "data": encode(strength, 1.0 / a.shape[1], 1.0),
        }

    def neurons(self, model) -> list[list[str]]:
        """Every neuron's activation ``a^l_j`` over the square, layer by layer (layer 0: the
        input features), ``NEURON_SIZE^2`` bytes each."""
        net = self.painter(model)
        _, activations = net.forward(self.small)
        maps = [self.inputs]
        names = [net.activation.name] * (len(net.sizes) - 2)
        names.append("softmax" if net.output is None else net.output.name)
        for a, name in zip(activations[1:], names):
            maps.append([encode(col, *_range(name, col)) for col in a.T])
        return maps


def _scale(values) -> float:
    return float(np.max(np.abs(values), initial=0.0)) or 1.0


def _range(name: str, values) -> tuple[float, float]:
    if name in RANGES:
        return RANGES[name]
    s = _scale(values)
    return -s, s
