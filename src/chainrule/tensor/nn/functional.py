"""``torch.nn.functional`` for the tensor engine: losses, activations (``gelu`` too),
``one_hot``, ``embedding``, ``linear``, ``layer_norm``, ``batch_norm``, ``dropout``."""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, as_tensor
from chainrule.tensor.functional import cross_entropy, dropout, gelu, linear
from chainrule.tensor.functional import mse as mse_loss
from chainrule.tensor.functional import nll as nll_loss
from chainrule.tensor.normalization import batch_norm, layer_norm
from chainrule.tensor.ops_elementwise import relu, sigmoid, tanh

__all__ = [
    "batch_norm",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "layer_norm",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def softmax(input, dim: int) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (shifted by the max, so it never overflows)."""
    return as_tensor(input).softmax(dim)


def log_softmax(input, dim: int) -> Tensor:
    """``x_i - logsumexp_j(x_j)`` along ``dim``: the log of softmax, computed stably."""
    return as_tensor(input).log_softmax(dim)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape -> int64 rows of zeros with a 1 at each label (one more
    dimension of size ``num_classes``; -1: the largest label + 1)."""
    labels = tensor._data if isinstance(tensor, Tensor) else xp.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise InputError(f"one_hot needs integer labels, got {labels.dtype}.")
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise InputError(
            f"one_hot labels run from {labels.min()} to {labels.max()}, outside 0..{n - 1}."
        )
    return Tensor(xp.eye(n, dtype=xp.int64)[labels])


def embedding(input, weight: Tensor) -> Tensor:
    """The rows of ``weight`` picked by integer ``input`` (``weight[input]``)."""
    return weight[input]
