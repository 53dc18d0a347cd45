"""Neurons, layers and MLPs made of ``Value`` objects, shaped like micrograd's ``nn`` module.

A neuron computes ``activation(w . x + b)``: one multiplication and one addition per input, then one
activation node, so its whole computation is visible in the graph. A layer is a list of neurons
that see the same inputs; an MLP is a list of layers, the last one linear (no activation), as in
micrograd: ``MLP(2, [16, 16, 1])``.

``MLP(2, [16, 16, 1])`` is micrograd's network: the same layers, the same parameters in the same
order, the same reprs, and (below) the same weights for the same seed.

Weights start uniform in ``[-1, 1]`` drawn from Python's ``random`` module, exactly as micrograd
draws them, so a micrograd script seeded with ``random.seed(...)`` gets the same network here.
Pass ``seed=`` for a private generator instead.
"""

from __future__ import annotations

import random as _random

from chainrule import functions
from chainrule.scalar.engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]

_NAMES = {"relu": "ReLU"}  # micrograd's spelling in reprs: MLP(2, [16, 16, 1]) prints as there


class Module:
    """What every model has: its parameters, and a way to clear their gradients."""

    def parameters(self) -> list[Value]:
        """Every Value that training adjusts (none for the bare Module)."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0; call it before each ``backward()``, which adds."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``activation(sum_i w_i x_i + b)`` with ``nin`` weights ``w`` and one bias ``b``."""

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu", rng=None):
        rng = rng or _random
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.activation = functions.activation(activation) if nonlin else functions.identity

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.apply(self.activation) if self.nonlin else act

    def parameters(self) -> list[Value]:
        """The weights ``w_1 .. w_nin``, then the bias ``b`` (micrograd's order)."""
        return self.w + [self.b]

    def __repr__(self) -> str:
        kind = _NAMES.get(self.activation.name, self.activation.name.capitalize())
        return f"{kind if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons, each seeing all ``nin`` inputs. One output comes back bare, not listed."""

    def __init__(self, nin: int, nout: int, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Each neuron's parameters, neuron after neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs; hidden layers use ``activation``, the last is
    linear. ``MLP(2, [16, 16, 1], activation="relu", seed=None)``."""

    def __init__(self, nin: int, nouts: list[int], activation: str = "relu", seed=None):
        functions.activation(activation)  # unknown names fail here, with the list of known ones
        rng = _random if seed is None else _random.Random(seed)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last, activation=activation, rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """Each layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
