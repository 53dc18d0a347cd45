"""``chainrule.nn``: modules and losses for the tensor engine, with PyTorch's names."""

from chainrule.tensor.functional import cost, cross_entropy, linear, mse, nll
from chainrule.tensor.modules import (
    INITS,
    MLP,
    Activation,
    Linear,
    Module,
    Parameter,
    Sequential,
    init_,
)

__all__ = [
    "INITS",
    "MLP",
    "Activation",
    "Linear",
    "Module",
    "Parameter",
    "Sequential",
    "cost",
    "cross_entropy",
    "init_",
    "linear",
    "mse",
    "nll",
]
