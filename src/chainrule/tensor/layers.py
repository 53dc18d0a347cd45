"""PyTorch's layer and loss modules over the tensor ops: ``Embedding``, ``BatchNorm1d``,
``LayerNorm``, ``Dropout``, ``Tanh/ReLU/Sigmoid/GELU/Softmax``, ``Flatten``, ``Identity``,
``CrossEntropyLoss/MSELoss/NLLLoss``.

Each is its functional form (``F.layer_norm``, ``F.gelu``, ...) holding its parameters and
settings; the table activations use the shared table's fused rule.
"""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, as_tensor
from chainrule.tensor.creation import _rng, get_default_dtype
from chainrule.tensor.functional import cross_entropy, dropout, gelu, mse, nll
from chainrule.tensor.modules import Activation, Module, Parameter, check_size
from chainrule.tensor.normalization import batch_norm, layer_norm

__all__ = [
    "GELU",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "MSELoss",
    "NLLLoss",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


class Embedding(Module):
    """A table ``weight`` of ``(num_embeddings, embedding_dim)`` rows from N(0, 1); calling it
    on integer indices of any shape looks the rows up (``weight[X]``), and the backward pass
    adds each row's gradient back into the rows it came from."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=None, generator=None):
        super().__init__()
        check_size("nn.Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
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

    def extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"


class BatchNorm1d(Module):
    """``y = weight * (x - mean) / sqrt(var + eps) + bias`` per feature of ``(N, C)``, or per
    channel of ``(N, C, L)`` (statistics over N and L), as PyTorch's. Training: the batch's
    own mean and biased variance, and running estimates updated as ``r <- (1 - momentum) r +
    momentum * batch`` (the running variance with the unbiased batch variance, as PyTorch).
    ``eval()``: the running estimates. ``momentum=None``: their cumulative average over all
    batches. ``affine=False``: no weight and bias."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=None,
    ):
        super().__init__()
        check_size("nn.BatchNorm1d", num_features=num_features)
        dtype = get_default_dtype() if dtype is None else dtype
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(xp.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=xp.int64)))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        """F.batch_norm with the batch's statistics in training (updating the running ones),
        the running ones in eval."""
        x = as_tensor(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise InputError(
                f"BatchNorm1d({self.num_features}) expects input of shape (batch, "
                f"{self.num_features}) or (batch, {self.num_features}, length), got {x.shape}."
            )
        use_batch = self.training or self.running_mean is None
        momentum = self.momentum
        if self.training and self.running_mean is not None:
            self.num_batches_tracked._data[...] += 1
            if momentum is None:  # a cumulative average of all the batches, as PyTorch
                momentum = 1.0 / float(self.num_batches_tracked._data)
        return batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine="
            f"{self.affine}, bias={self.affine}, track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` over the last dimensions
    ``normalized_shape`` of each sample (F.layer_norm); weight starts at ones, bias at zeros."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        check_size("nn.LayerNorm", **{f"normalized_shape[{i}]": n for i, n in enumerate(shape)})
        dtype = get_default_dtype() if dtype is None else dtype
        self.eps, self.elementwise_affine = eps, elementwise_affine
        affine = elementwise_affine
        self.weight = Parameter(xp.ones(self.normalized_shape, dtype=dtype)) if affine else None
        has_bias = affine and bias
        self.bias = Parameter(xp.zeros(self.normalized_shape, dtype=dtype)) if has_bias else None

    def forward(self, x):
        """F.layer_norm over ``normalized_shape``."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
            f"{self.elementwise_affine}, bias={self.bias is not None}"
        )


class Dropout(Module):
    """Each element zeroed with probability ``p`` in training, the rest scaled by
    ``1 / (1 - p)``; the identity in ``eval()`` (F.dropout)."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not (isinstance(p, (int, float)) and 0 <= p <= 1):
            raise InputError(f"dropout probability has to be between 0 and 1, but got {p}.")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        """F.dropout(x, p, training)."""
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class GELU(Module):
    """``x Phi(x)`` elementwise (F.gelu), or its tanh approximation (``approximate="tanh"``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        gelu(Tensor(0.0), approximate)  # an unknown form fails here
        self.approximate = approximate

    def forward(self, x):
        """F.gelu(x, approximate)."""
        return gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """x.softmax(dim); with dim None PyTorch's old implicit choice: dimension 0 for 0-, 1-
        and 3-D input, else 1."""
        x = as_tensor(x)
        return x.softmax((0 if x.ndim in (0, 1, 3) else 1) if self.dim is None else self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Identity(Module):
    """``x`` itself (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        """x, unchanged."""
        return x


def _activation(name: str, doc: str):
    class Layer(Activation):
        __doc__ = doc

        def __init__(self, inplace: bool = False):
            super().__init__(name)

    return Layer


Tanh = _activation("tanh", "``tanh(x)`` elementwise, as a layer.")
ReLU = _activation("relu", "``max(x, 0)`` elementwise, as a layer.")
Sigmoid = _activation("sigmoid", "``1 / (1 + e^-x)`` elementwise, as a layer.")
Tanh.__name__, ReLU.__name__, Sigmoid.__name__ = "Tanh", "ReLU", "Sigmoid"
Tanh.__qualname__, ReLU.__qualname__, Sigmoid.__qualname__ = "Tanh", "ReLU", "Sigmoid"


class Flatten(Module):
    """``(m, d1, d2, ...) -> (m, d1 * d2 * ...)``: dimensions start_dim..end_dim made one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """``x.flatten(start_dim, end_dim)``."""
        return as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction


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
