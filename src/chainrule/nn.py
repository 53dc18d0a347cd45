"""``chainrule.nn``: the tensor engine's ``torch.nn`` (``chainrule.tensor.nn``), plus the
chainrule-only names kept from before (``MLP`` of a size list, ``cost``, ``mse``, ``nll``,
``INITS``). micrograd's scalar ``MLP(2, [16, 16, 1])`` is ``chainrule.scalar.nn.MLP``."""

from chainrule.tensor.functional import cost, cross_entropy, linear, mse, nll
from chainrule.tensor.modules import INITS, init_
from chainrule.tensor.nn import (
    MLP,
    Activation,
    BatchNorm1d,
    CrossEntropyLoss,
    Embedding,
    Flatten,
    Linear,
    Module,
    MSELoss,
    NLLLoss,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    functional,
    init,
)

__all__ = [
    "INITS",
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
    "cost",
    "cross_entropy",
    "functional",
    "init",
    "init_",
    "linear",
    "mse",
    "nll",
]
