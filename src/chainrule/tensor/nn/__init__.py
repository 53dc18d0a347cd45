"""``torch.nn`` for the tensor engine: modules, layers, losses, ``functional`` and ``init``."""

from chainrule.tensor.layers import (
    BatchNorm1d,
    CrossEntropyLoss,
    Embedding,
    Flatten,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Tanh,
)
from chainrule.tensor.modules import MLP, Activation, Linear, Module, Parameter, Sequential
from chainrule.tensor.nn import functional, init

__all__ = [
    "MLP",
    "Activation",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Embedding",
    "Flatten",
    "Linear",
    "MSELoss",
    "Module",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
    "init",
]
