"""``chainrule.nn``: the tensor engine's ``torch.nn`` (``chainrule.tensor.nn``), plus the
chainrule-only names kept from before (``cost``, ``mse``, ``nll``, ``INITS``, ``init_``).
micrograd's scalar ``MLP(2, [16, 16, 1])`` is ``chainrule.scalar.nn.MLP``; this ``MLP`` takes
one list of sizes and says so when given micrograd's form."""

from chainrule.tensor import nn as _tensor_nn
from chainrule.tensor.functional import cost, cross_entropy, linear, mse, nll
from chainrule.tensor.modules import INITS, init_
from chainrule.tensor.nn import *  # noqa: F403 - all of torch.nn's names

__all__ = [
    *_tensor_nn.__all__,
    "INITS",
    "cost",
    "cross_entropy",
    "init_",
    "linear",
    "mse",
    "nll",
]
