"""Making tensors, PyTorch's way: ``tensor``, ``zeros/ones/empty/full`` (and ``_like``),
``randn/rand/randint/normal`` (and ``randn_like``, ``rand_like``), ``arange``, ``linspace``,
``logspace``, ``eye``, ``from_numpy``, ``multinomial``; dtypes; ``manual_seed`` and ``Generator``.

The default float dtype is float32, as in PyTorch: ``tensor([1.0])`` and ``zeros(3)`` are
float32 unless ``dtype=`` says otherwise (or ``set_default_dtype(float64)``). A numpy array
keeps its own dtype. Random numbers come from numpy's PCG64: ``manual_seed(k)`` makes a run
repeatable, but the numbers are not PyTorch's.
"""

from __future__ import annotations

import copy
import math

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, _array, _data, as_dtype, make

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
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "get_rng_state",
    "initial_seed",
    "int32",
    "int64",
    "linspace",
    "logspace",
    "long",
    "manual_seed",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "seed",
    "set_default_dtype",
    "set_rng_state",
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
_DEFAULT_SEED = 67280421310721  # what a new torch.Generator() starts from


class Generator:
    """A random number stream: ``g = Generator().manual_seed(2147483647)``, passed as
    ``generator=g`` to ``randn``, ``rand``, ``randint``, ``normal``, ``multinomial``. A new one
    starts from PyTorch's default seed, so an unseeded program repeats itself as PyTorch's does
    (with numpy's PCG64 numbers, not PyTorch's). ``get_state()`` is PCG64's state, a dict."""

    device = "cpu"

    def __init__(self, device="cpu"):
        if str(device).split(":")[0] != "cpu":
            raise InputError(f"chainrule's random numbers live on the CPU, not {device!r}.")
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed this stream with ``seed``; returns self (torch.Generator.manual_seed)."""
        self._seed = int(seed)
        self.rng = xp.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed this stream was last seeded with."""
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(xp.random.default_rng().integers(2**63))
        self.manual_seed(seed)
        return seed

    def get_state(self) -> dict:
        """A copy of the stream's state, for ``set_state`` to resume from."""
        return copy.deepcopy(self.rng.bit_generator.state)

    def set_state(self, state: dict) -> Generator:
        """Resume the stream from a ``get_state()``."""
        self.rng.bit_generator.state = copy.deepcopy(state)
        return self


_GLOBAL = Generator().manual_seed(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global stream (what random functions use without ``generator=``)."""
    return _GLOBAL.manual_seed(seed)


def initial_seed() -> int:
    """The global stream's seed."""
    return _GLOBAL.initial_seed()


def seed() -> int:
    """Reseed the global stream from the operating system's entropy; returns the seed."""
    return _GLOBAL.seed()


def get_rng_state() -> dict:
    """The global stream's state (``set_rng_state`` resumes from it)."""
    return _GLOBAL.get_state()


def set_rng_state(state: dict) -> None:
    """Resume the global stream from a ``get_rng_state()``."""
    _GLOBAL.set_state(state)


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


# ------------------------------------------------------------------------ ranges, numpy, normal
def linspace(start, end, steps: int, dtype=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included: with ``h = (end -
    start) / (steps - 1)`` the first half is ``start + i h``, the second ``end - (steps - 1 - i)
    h``, each with one rounding (a fused multiply-add), in the result's dtype (the default float
    dtype unless ``dtype`` says otherwise): PyTorch's numbers, bit for bit. For an integer dtype
    the ends are truncated first and the steps taken in float64, then truncated."""
    steps, dtype = _steps(steps, "linspace"), _dtype(dtype)
    work = dtype.type if dtype.kind == "f" else xp.float64
    if dtype.kind != "f":
        start, end = int(_PY_FLOAT(start)), int(_PY_FLOAT(end))
    start, end = work(start), work(end)
    i = xp.arange(steps).astype(work)
    h = (end - start) / work(max(steps - 1, 1))
    values = xp.where(i < steps // 2, _fma(h, i, start), _fma(-h, work(steps - 1) - i, end))
    values[:1] = start  # one step: just start
    return _filled(values.astype(dtype), requires_grad)


def _fma(a, b, c):
    """``a b + c`` rounded once, in a's float dtype (numpy has no fused multiply-add): the
    product's rounding error by Dekker's splitting, then added back (error-free transforms)."""
    split = a.dtype.type(2 ** ((xp.finfo(a.dtype).nmant + 2) // 2) + 1)

    def halves(x):
        big = split * x
        high = big - (big - x)
        return high, x - high

    p = a * b
    (ah, al), (bh, bl) = halves(a), halves(xp.asarray(b, dtype=a.dtype))
    product_error = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    back = s - p
    sum_error = (p - (s - back)) + (c - back)
    return s + (sum_error + product_error)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, requires_grad=False):
    """``base ** e`` for ``steps`` exponents ``e`` from ``start`` to ``end`` (``torch.logspace``):
    the exponents are linspace's symmetric form in float64 on the ends in the result's dtype,
    the powers the C library's ``pow`` in float64 (numpy's own rounds differently), then cast:
    PyTorch's numbers, bit for bit."""
    steps, dtype = _steps(steps, "logspace"), _dtype(dtype)
    work = dtype.type if dtype.kind == "f" else xp.int64
    start, end = work(_PY_FLOAT(start)), work(_PY_FLOAT(end))
    h = xp.float64(end - start) / max(steps - 1, 1)
    i = xp.arange(steps, dtype=xp.float64)
    exponents = xp.where(i < steps // 2, start + h * i, end - h * (steps - 1 - i))
    exponents[:1] = start
    powers = xp.fromiter((math.pow(base, e) for e in exponents), xp.float64, count=steps)
    return _filled(powers.astype(dtype), requires_grad)


def _steps(steps, name):
    if not isinstance(steps, (int, xp.integer)) or isinstance(steps, _PY_BOOL) or steps < 0:
        raise InputError(f"{name} needs a whole number of steps >= 0, got {steps!r}.")
    return int(steps)


def from_numpy(array) -> Tensor:
    """A tensor on ``array``'s own memory (``torch.from_numpy``): writing either changes both.
    Its dtype is the array's."""
    if not isinstance(array, xp.ndarray):
        raise InputTypeError(
            f"from_numpy takes a numpy array, got {type(array).__name__}; use tensor(...)."
        )
    return Tensor(array)


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
