"""``torch.nn.init``: refill a tensor in place (outside the graph), returning it.

Fan-in / fan-out of a ``(out, in)`` weight are ``in`` / ``out``. ``kaiming_*`` use the gain of
relu, sqrt(2), by default; ``xavier_*`` gain 1. Random numbers come from the global generator
(``manual_seed``) or ``generator=``.
"""

from __future__ import annotations

import math

from chainrule.errors import InputError
from chainrule.tensor.core import Tensor, mark_changed
from chainrule.tensor.creation import _rng

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0)}


def calculate_gain(nonlinearity: str) -> float:
    """The recommended init gain for ``nonlinearity`` (torch.nn.init.calculate_gain)."""
    if nonlinearity not in _GAINS:
        raise InputError(
            f"unknown nonlinearity {nonlinearity!r}: choose one of {', '.join(_GAINS)}."
        )
    return _GAINS[nonlinearity]


def _fill(tensor: Tensor, values) -> Tensor:
    tensor._data[...] = values
    mark_changed(tensor)
    return tensor


def _fans(tensor: Tensor):
    if tensor.ndim < 2:
        raise InputError(f"fan in/out need a weight of 2 or more dimensions, got {tensor.shape}.")
    receptive = tensor._data[0, 0].size
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` in place from U(a, b); returns it (torch.nn.init.uniform_)."""
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` in place from N(mean, std^2); returns it (torch.nn.init.normal_)."""
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    """Fill ``tensor`` in place with ``val``; returns it (torch.nn.init.constant_)."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill ``tensor`` in place with 0; returns it (torch.nn.init.zeros_)."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill ``tensor`` in place with 1; returns it (torch.nn.init.ones_)."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan_in, fan_out = _fans(tensor)
    fan = {"fan_in": fan_in, "fan_out": fan_out}.get(mode)
    if fan is None:
        raise InputError(f"mode must be fan_in or fan_out, got {mode!r}.")
    gain = (
        math.sqrt(2.0 / (1 + a**2))
        if nonlinearity == "leaky_relu"
        else calculate_gain(nonlinearity)
    )
    return gain / math.sqrt(fan)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al.)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = sqrt(3) gain / sqrt(fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)
