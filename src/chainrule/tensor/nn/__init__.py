"""``torch.nn`` for the tensor engine: modules, layers, losses, ``functional``, ``init`` and
``utils`` (``clip_grad_norm_``)."""

from chainrule.tensor.containers import ModuleDict, ModuleList
from chainrule.tensor.layers import (
    GELU,
    BatchNorm1d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from chainrule.tensor.modules import MLP, Activation, Linear, Module, Parameter, Sequential
from chainrule.tensor.nn import functional, init, utils

__all__ = [
    "GELU",
    "MLP",
    "Activation",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]
