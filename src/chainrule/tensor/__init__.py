"""The tensor engine, and the one namespace that stands in for ``torch``::

    import chainrule.tensor as torch
    import chainrule.tensor.nn as nn
    import chainrule.tensor.nn.functional as F

``torch.tensor``, ``torch.zeros``, ``torch.randn``, ``torch.float64``, ``torch.no_grad``,
``torch.nn``, ``torch.nn.functional``, ``torch.nn.init``, ``torch.nn.utils``, ``torch.optim``,
``torch.optim.lr_scheduler``, ``torch.utils.data``, ``torch.device``, ``torch.cuda`` and
``torch.save``/``torch.load`` are reachable as from PyTorch. docs/from-pytorch.md lists what is
supported and what is not. The engine itself: ``core`` (Tensor, graph, backward) and the
``ops_*`` modules (each op's forward with its backward rule under it).
"""

from chainrule.tensor import (  # noqa: F401 - the ops attach themselves to Tensor
    creation,
    ops_convert,
    ops_elementwise,
    ops_inplace,
    ops_logic,
    ops_reduce,
    ops_shape,
    sampling,
)
from chainrule.tensor.core import Tensor, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.tensor.creation import *  # noqa: F403 - tensor, zeros, randn, float32, ...
from chainrule.tensor.ops_count import all, any, bincount, equal, histc, histogram, unique
from chainrule.tensor.ops_elementwise import (
    abs,
    allclose,
    clamp,
    clone,
    exp,
    log,
    maximum,
    minimum,
    relu,
    sigmoid,
    sqrt,
    tanh,
    where,
)
from chainrule.tensor.ops_elementwise import clamp as clip
from chainrule.tensor.ops_index import gather, index_select, masked_fill, scatter_add, tril, triu
from chainrule.tensor.ops_linalg import bmm, dot, einsum, inverse, mm, norm, outer, trace
from chainrule.tensor.ops_shape import cat, concatenate, matmul, stack
from chainrule.tensor.ops_sort import argsort, cumprod, cumsum, sort, topk
from chainrule.tensor.sampling import *  # noqa: F403 - randn, rand, normal, multinomial, ...


def _function(name: str, doc: str):
    def function(input, *args, **kwargs):
        return getattr(input if isinstance(input, Tensor) else Tensor(input), name)(*args, **kwargs)

    function.__name__, function.__doc__ = name, doc
    return function


sum = _function("sum", "``torch.sum(x, dim, keepdim)``: ``x.sum(dim, keepdim)``.")
mean = _function("mean", "``x.mean(dim, keepdim)``.")
var = _function("var", "``x.var(dim, unbiased, keepdim)`` (unbiased by default).")
std = _function("std", "``x.std(dim, unbiased, keepdim)`` (unbiased by default).")
argmax = _function("argmax", "``x.argmax(dim, keepdim)``.")
argmin = _function("argmin", "``x.argmin(dim, keepdim)``.")
logsumexp = _function("logsumexp", "``x.logsumexp(dim, keepdim)``.")
softmax = _function("softmax", "``x.softmax(dim)``.")
log_softmax = _function("log_softmax", "``x.log_softmax(dim)``.")
reshape = _function("reshape", "``x.reshape(shape)``.")
flatten = _function("flatten", "``x.flatten(start_dim, end_dim)``.")
unsqueeze = _function("unsqueeze", "``x.unsqueeze(dim)``.")
squeeze = _function("squeeze", "``x.squeeze(dim)``.")
permute = _function("permute", "``x.permute(dims)``.")
transpose = _function("transpose", "``x.transpose(dim0, dim1)``.")
pow = _function("pow", "``x ** exponent``.")


def max(input, dim=None, keepdim=False):
    """``torch.max(x)``, ``torch.max(x, dim)`` -> (values, indices), ``torch.max(a, b)``."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _function("max", "")(input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    """``torch.min(x)``, ``torch.min(x, dim)`` -> (values, indices), ``torch.min(a, b)``."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _function("min", "")(input, dim, keepdim)


from chainrule.tensor import linalg, nn, optim, utils  # noqa: E402 - torch.nn, ... need the above
from chainrule.tensor.device import backends, cuda, device  # noqa: E402 - torchnn's block
from chainrule.tensor.serialization import load, save  # noqa: E402

__all__ = [
    *creation.__all__,
    *sampling.__all__,
    "Tensor",
    "abs",
    "allclose",
    "clone",
    "argmax",
    "argmin",
    "cat",
    "clamp",
    "concatenate",
    "exp",
    "flatten",
    "is_grad_enabled",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "nn",
    "no_grad",
    "optim",
    "permute",
    "pow",
    "relu",
    "reshape",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
    # torchnn
    "backends",
    "cuda",
    "device",
    "load",
    "save",
    "utils",
    # torchops: the ops added for the course
    "all",
    "any",
    "argsort",
    "bincount",
    "bmm",
    "clip",
    "cumprod",
    "cumsum",
    "dot",
    "einsum",
    "equal",
    "gather",
    "histc",
    "histogram",
    "index_select",
    "inverse",
    "linalg",
    "masked_fill",
    "mm",
    "norm",
    "outer",
    "scatter_add",
    "sort",
    "topk",
    "trace",
    "tril",
    "triu",
    "unique",
]
