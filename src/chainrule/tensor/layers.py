"""PyTorch's layer and loss modules over the tensor ops: ``Embedding``, ``BatchNorm1d``,
``Tanh/ReLU/Sigmoid``, ``Flatten``, ``CrossEntropyLoss/MSELoss/NLLLoss``.

Each is written from the differentiable ops (its gradient comes from theirs), except the
activations, which use the shared table's fused rule.
"""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, as_tensor, no_grad
from chainrule.tensor.creation import _rng, get_default_dtype
from chainrule.tensor.functional import cross_entropy, mse, nll
from chainrule.tensor.modules import Activation, Module, Parameter

__all__ = [
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Embedding",
    "Flatten",
    "MSELoss",
    "NLLLoss",
    "ReLU",
    "Sigmoid",
    "Tanh",
]


class Embedding(Module):
    """A table ``weight`` of ``(num_embeddings, embedding_dim)`` rows from N(0, 1); calling it
    on integer indices of any shape looks the rows up (``weight[X]``), and the backward pass
    adds each row's gradient back into the rows it came from."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=None, generator=None):
        super().__init__()
        data = _rng(generator).standard_normal((num_embeddings, embedding_dim))
        self.weight = Parameter(data.astype(get_default_dtype() if dtype is None else dtype))

    def forward(self, indices):
        """``weight[indices]``, shape ``(*indices.shape, dim)``; backward scatter-adds."""
        index = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
        if index.dtype.kind not in "iu":
            raise InputError(f"Embedding needs integer indices, got {index.dtype}.")
        n = self.weight.shape[0]
        if index.size and (index.min() < -n or index.max() >= n):
            raise InputError(
                f"Embedding indices run from {index.min()} to {index.max()}, the "
                f"table has {n} rows (0 to {n - 1})."
            )
        return self.weight[index]

    def __repr__(self):
        return f"Embedding({self.weight.shape[0]}, {self.weight.shape[1]})"


class BatchNorm1d(Module):
    """``y = weight * (x - mean) / sqrt(var + eps) + bias`` over the batch (dimension 0) of
    ``(m, features)``. Training: the batch's own mean and biased variance, and running
    estimates updated as ``r <- (1 - momentum) r + momentum * batch`` (the running variance
    with the unbiased batch variance, as PyTorch). ``eval()``: the running estimates."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=None):
        super().__init__()
        dtype = get_default_dtype() if dtype is None else dtype
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(xp.ones(num_features, dtype=dtype))
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
        self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
        self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=xp.int64)))

    def forward(self, x):
        """``(x - mean) / sqrt(var + eps) * weight + bias`` over the batch: the batch's
        statistics (biased var) in training, updating the running ones; those in eval."""
        x = as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.weight.shape[0]:
            raise InputError(
                f"BatchNorm1d({self.weight.shape[0]}) expects input of shape (batch, "
                f"{self.weight.shape[0]}), got {x.shape}."
            )
        if self.training:
            if x.shape[0] < 2:
                raise InputError("BatchNorm1d in training needs a batch of at least 2 rows.")
            mean = x.mean(0, keepdim=True)
            var = x.var(0, keepdim=True, unbiased=False)
            with no_grad():
                m = self.momentum
                self.running_mean._data[...] = (1 - m) * self.running_mean._data + m * mean._data[0]
                unbiased = var._data[0] * (x.shape[0] / (x.shape[0] - 1))
                self.running_var._data[...] = (1 - m) * self.running_var._data + m * unbiased
                self.num_batches_tracked._data[...] += 1
        else:
            mean, var = self.running_mean, self.running_var
        return self.weight * (x - mean) / (var + self.eps) ** 0.5 + self.bias

    def __repr__(self):
        return f"BatchNorm1d({self.weight.shape[0]}, eps={self.eps}, momentum={self.momentum})"


def _activation(name: str, doc: str):
    class Layer(Activation):
        __doc__ = doc

        def __init__(self):
            super().__init__(name)

        def __repr__(self):
            return f"{type(self).__name__}()"

    return Layer


Tanh = _activation("tanh", "``tanh(x)`` elementwise, as a layer.")
ReLU = _activation("relu", "``max(x, 0)`` elementwise, as a layer.")
Sigmoid = _activation("sigmoid", "``1 / (1 + e^-x)`` elementwise, as a layer.")
Tanh.__name__, ReLU.__name__, Sigmoid.__name__ = "Tanh", "ReLU", "Sigmoid"
Tanh.__qualname__, ReLU.__qualname__, Sigmoid.__qualname__ = "Tanh", "ReLU", "Sigmoid"


class Flatten(Module):
    """``(m, d1, d2, ...) -> (m, d1 * d2 * ...)``."""

    def forward(self, x):
        """``x`` reshaped to ``(N, prod(rest))``, keeping the first dimension."""
        return as_tensor(x).flatten(1)


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def __repr__(self):
        return f"{type(self).__name__}()"


class CrossEntropyLoss(_Loss):
    """``cross_entropy(logits, target, reduction)`` as a module."""

    def forward(self, input, target):
        """``cross_entropy(input, target)``: logits ``(N, C)``, labels ``(N,)``."""
        return cross_entropy(input, target, self.reduction)


class NLLLoss(_Loss):
    """``nll_loss(log_probs, target, reduction)`` as a module."""

    def forward(self, input, target):
        """``nll_loss(input, target)``: log-probabilities ``(N, C)``, labels ``(N,)``."""
        return nll(input, target, self.reduction)


class MSELoss(_Loss):
    """``mse_loss(input, target, reduction)`` as a module."""

    def forward(self, input, target):
        """``mse_loss(input, target)``: the mean of ``(input - target)^2``."""
        return mse(input, target, self.reduction)
