"""Making tensors, PyTorch's way: ``tensor``, ``zeros/ones/empty/full`` (and ``_like``),
``randn/rand/randint``, ``arange``, ``eye``, ``multinomial``; dtypes; ``manual_seed`` and
``Generator``.

The default float dtype is float32, as in PyTorch: ``tensor([1.0])`` and ``zeros(3)`` are
float32 unless ``dtype=`` says otherwise (or ``set_default_dtype(float64)``). A numpy array
keeps its own dtype. Random numbers come from numpy's PCG64: ``manual_seed(k)`` makes a run
repeatable, but the numbers are not PyTorch's.
"""

from __future__ import annotations

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, _array, _data, as_dtype

__all__ = [
    "Generator",
    "arange",
    "bool",
    "double",
    "empty",
    "empty_like",
    "eye",
    "float",
    "float32",
    "float64",
    "full",
    "full_like",
    "get_default_dtype",
    "int32",
    "int64",
    "long",
    "manual_seed",
    "multinomial",
    "ones",
    "ones_like",
    "rand",
    "randint",
    "randn",
    "set_default_dtype",
    "tensor",
    "zeros",
    "zeros_like",
]

_PY_BOOL, _PY_FLOAT = bool, float  # the builtins, before PyTorch's names shadow them
float32 = float = xp.dtype(xp.float32)
float64 = double = xp.dtype(xp.float64)
int64 = long = xp.dtype(xp.int64)
int32 = xp.dtype(xp.int32)
bool = xp.dtype(xp.bool_)

_DEFAULT = [float32]


def set_default_dtype(dtype) -> None:
    """The float dtype new tensors get from Python numbers (float32 unless set)."""
    if xp.dtype(dtype) not in FLOAT_DTYPES:
        raise InputError(f"the default dtype must be float32 or float64, got {dtype}.")
    _DEFAULT[0] = xp.dtype(dtype)


def get_default_dtype():
    """The dtype floating-point tensors get when none is given (PyTorch's get_default_dtype)."""
    return _DEFAULT[0]


def _dtype(dtype):
    return _DEFAULT[0] if dtype is None else as_dtype(dtype)


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``. Python floats become the default dtype
    (float32), Python ints int64; a numpy array or a tensor keeps its dtype."""
    if dtype is None and not isinstance(data, (xp.ndarray, Tensor, xp.generic)):
        kind = _array(data).dtype.kind  # ragged lists, strings: one sentence
        dtype = _DEFAULT[0] if kind == "f" else (xp.int64 if kind in "iu" else None)
    return Tensor(xp.array(_array(_data(data), dtype)), requires_grad=requires_grad)


def _size(size):
    """``f(2, 3)`` or ``f((2, 3))`` as a shape, each length a whole number >= 0."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    for n in size:
        if not isinstance(n, (int, xp.integer)) or isinstance(n, _PY_BOOL):
            raise InputTypeError(f"a size is whole numbers, got {type(n).__name__} {n!r}.")
        if n < 0:
            raise InputError(f"a size cannot be negative, got {tuple(size)}.")
    return size


def _filled(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` filled with 0 (``torch.zeros``)."""
    return _filled(xp.zeros(_size(size), dtype=_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` filled with 1 (``torch.ones``)."""
    return _filled(xp.ones(_size(size), dtype=_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    """Zeros, in fact: numpy's uninitialized memory would make runs unrepeatable."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (torch.full; int gives int64)."""
    if dtype is None and isinstance(fill_value, int) and not isinstance(fill_value, _PY_BOOL):
        dtype = xp.int64
    return _filled(xp.full(_size((size,)), fill_value, dtype=_dtype(dtype)), requires_grad)


def _like(fill):
    def like(input, dtype=None, requires_grad=False):
        shape = xp.shape(_data(input))
        return _filled(
            xp.full(
                shape, fill, dtype=dtype if dtype is not None else xp.asarray(_data(input)).dtype
            ),
            requires_grad,
        )

    return like


zeros_like, ones_like, empty_like = _like(0), _like(1), _like(0)


def full_like(input, fill_value, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of ``input``'s shape filled with ``fill_value`` (``torch.full_like``)."""
    return _like(fill_value)(input, dtype, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad=False) -> Tensor:
    """The ``n x m`` identity, ``m`` defaulting to ``n`` (``torch.eye``)."""
    return _filled(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """``start, start + step, ...`` below ``end``; integers unless a bound is a float."""
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, _PY_FLOAT) for v in (start, end, step))
    dtype = dtype if dtype is not None else (_DEFAULT[0] if floats else xp.int64)
    return _filled(xp.arange(start, end, step, dtype=dtype), requires_grad)


# ------------------------------------------------------------------------ random numbers
class Generator:
    """A random number stream: ``g = Generator().manual_seed(2147483647)``, passed as
    ``generator=g`` to ``randn``, ``rand``, ``randint``, ``multinomial``."""

    def __init__(self, seed: int | None = None):
        self.rng = xp.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed this stream with ``seed``; returns self (torch.Generator.manual_seed)."""
        self.rng = xp.random.default_rng(int(seed))
        return self


_GLOBAL = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global stream (what random functions use without ``generator=``)."""
    return _GLOBAL.manual_seed(seed)


def _rng(generator):
    return (generator or _GLOBAL).rng


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


def multinomial(input, num_samples: int, replacement: bool = False, generator=None):
    """Indices drawn with probabilities proportional to ``input``'s rows (1-D: one row)."""
    weights = xp.asarray(_data(input), dtype=xp.float64)
    rows = weights.reshape(-1, weights.shape[-1]) if weights.ndim else weights.reshape(1, 1)
    if (rows < 0).any() or not xp.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise InputError("multinomial needs finite, non-negative weights with a positive sum.")
    if not replacement and num_samples > rows.shape[1]:
        raise InputError(
            f"cannot draw {num_samples} samples without replacement from {rows.shape[1]} "
            "categories; pass replacement=True."
        )
    rng = _rng(generator)
    drawn = [rng.choice(len(p), size=num_samples, replace=replacement, p=p / p.sum()) for p in rows]
    out = xp.array(drawn, dtype=xp.int64)
    return Tensor(out[0] if weights.ndim == 1 else out)
