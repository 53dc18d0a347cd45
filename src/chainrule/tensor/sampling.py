"""Random samples, PyTorch's way: ``randn``, ``rand``, ``randint``, ``randperm``, ``normal``,
``randn_like``, ``rand_like``, ``multinomial``. Each draws from ``generator=`` (a ``Generator``)
or the global stream that ``manual_seed`` seeds: numpy's PCG64, so a run repeats itself, with
PyTorch's distributions but not PyTorch's numbers.
"""

from __future__ import annotations

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, _data, make
from chainrule.tensor.creation import _dtype, _filled, _rng, _size, _steps

__all__ = [
    "multinomial",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
]


def randn(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Samples of N(0, 1)."""
    data = _rng(generator).standard_normal(_size(size))
    return _filled(data.astype(_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Samples of U[0, 1)."""
    data = _rng(generator).random(_size(size))
    return _filled(data.astype(_dtype(dtype)), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None) -> Tensor:
    """Integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise InputError("randint needs a size, e.g. randint(0, 10, (3,)).")
    data = _rng(generator).integers(low, high, size=_size((size,)))
    return Tensor(data.astype(xp.int64 if dtype is None else dtype))


def randperm(n: int, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """The numbers ``0..n-1`` in a random order (int64 unless ``dtype`` says otherwise)."""
    order = _rng(generator).permutation(_steps(n, "randperm"))
    return _filled(order.astype(xp.int64 if dtype is None else dtype), requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, generator=None):
    """Indices drawn with probabilities proportional to ``input``'s rows (1-D: one row), int64
    of shape ``(rows, num_samples)`` (1-D: ``(num_samples,)``). Without replacement each draw
    leaves out the categories drawn before. The same distribution as PyTorch's, not the same
    numbers: the draws come from numpy's PCG64 through ``generator``."""
    weights = xp.asarray(_data(input), dtype=xp.float64)
    if weights.ndim not in (1, 2):
        raise InputError(f"multinomial takes 1-D or 2-D weights, got shape {weights.shape}.")
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows < 0).any() or not xp.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise InputError("multinomial needs finite, non-negative weights with a positive sum.")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise InputError(
            f"cannot draw {num_samples} samples without replacement from "
            f"{(rows > 0).sum(axis=1).min()} categories of positive weight; pass "
            "replacement=True."
        )
    rng = _rng(generator)
    drawn = [rng.choice(len(p), size=num_samples, replace=replacement, p=p / p.sum()) for p in rows]
    out = xp.array(drawn, dtype=xp.int64)
    return Tensor(out[0] if weights.ndim == 1 else out)


def randn_like(input, dtype=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of N(0, 1) in ``input``'s shape and (float) dtype (``torch.randn_like``)."""
    shape, dtype = _shape_dtype(input, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of U[0, 1) in ``input``'s shape and (float) dtype (``torch.rand_like``)."""
    shape, dtype = _shape_dtype(input, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def _shape_dtype(input, dtype, name):
    array = xp.asarray(_data(input))
    dtype = array.dtype if dtype is None else xp.dtype(dtype)
    if dtype.kind != "f":
        raise InputTypeError(f"{name} makes floats, not {dtype}; pass dtype=float32.")
    return array.shape, dtype


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Samples of N(mean, std^2): ``mean + std * z`` with ``z ~ N(0, 1)`` from the generator.
    ``mean`` and ``std`` are numbers or float tensors (broadcast together: the shape of the
    result); two numbers need ``size``. As in PyTorch the result depends on tensor means/stds
    in the graph but with gradient 0 (it is a draw, not a reparameterization)."""
    tensors = tuple(t for t in (mean, std) if isinstance(t, Tensor))
    means, stds = (xp.asarray(_data(v), dtype=xp.float64) for v in (mean, std))
    if stds.size and stds.min() < 0:
        raise InputError(f"normal needs std >= 0, got a smallest std of {stds.min()}.")
    if any(t._data.dtype.kind != "f" for t in tensors):
        raise InputTypeError("normal takes float tensors for mean and std; pass x.float().")
    if tensors:
        shape = xp.broadcast_shapes(means.shape, stds.shape)
        dtype = dtype if dtype is not None else xp.result_type(*(t.dtype for t in tensors))
    elif size is None:
        raise InputError("normal(mean, std) with two numbers needs a size, e.g. size=(3,).")
    else:
        shape = _size((size,) if isinstance(size, (int, xp.integer)) else tuple(size))
    z = _rng(generator).standard_normal(shape)
    out = Tensor((means + stds * z).astype(_dtype(dtype)), requires_grad=requires_grad)
    if any(t.requires_grad for t in tensors):
        return make(out._data, tensors, _normal_back)
    return out


def _normal_back(g, out):  # d(sample)/d(mean, std) is taken as 0, PyTorch's rule
    return tuple(xp.zeros_like(t._data) for t in out._inputs)
