"""Tensor autograd, the core: the ``Tensor`` class, the graph it records and the backward walk.

A ``Tensor`` wraps an array (``._data``; ``.numpy()`` gives it). An operation on tensors that
require gradients records its inputs and a *backward rule*: a plain function ``rule(g, out) ->
(grad per input)`` that turns ``g = dL/d(out)`` into ``dL/d(input)`` for each input, using what the
forward pass kept. The operations live in the ``ops_*`` modules, each rule right under its forward;
they attach themselves to ``Tensor`` as methods (``x + y``, ``x.sum()``, ...). ``backward()`` sorts
the recorded graph topologically (iteratively) and applies the rules outputs-first, adding up
contributions where a tensor is used more than once.

Leaves (tensors you create with ``requires_grad=True``) accumulate into ``.grad`` (a Tensor of
their shape, as in PyTorch); interior results keep theirs only after ``retain_grad()``. As in
PyTorch, ``backward()`` frees the graph it walked unless ``retain_graph=True``, and refuses one
whose saved values were changed in place since (graph.py's version counts; ops_inplace.py
records an in-place change made inside a graph).
"""

from __future__ import annotations

from chainrule.errors import (
    InputError,
    InputTypeError,
    TensorRuntimeError,
)
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.graph import (
    CHANGES,
    GRAD_ENABLED,
    is_grad_enabled,
    mark_changed,
    no_grad,
    reads_output,
    set_grad_enabled,
    shapes_only,
    topological_order,
)

__all__ = [
    "Tensor",
    "as_dtype",
    "check_dim",
    "is_grad_enabled",
    "mark_changed",
    "no_grad",
    "reads_output",
    "set_grad_enabled",
    "shapes_only",
]


def _array(data, dtype=None):
    if type(data) is xp.ndarray and (
        data.dtype == dtype if dtype is not None else data.dtype.kind in "fiub"
    ):
        return data  # the common case, a batch of data: nothing to convert or check
    if isinstance(data, Tensor):
        data = data._data
    dtype = as_dtype(dtype)
    try:
        array = xp.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        if "inhomogeneous" in str(e):
            raise InputError(
                "cannot make a tensor from nested lists of different lengths (a ragged list): "
                "every row must have the same length, as in [[1, 2], [3, 4]]."
            ) from None
        raise InputTypeError(f"cannot make a tensor from {type(data).__name__}: {e}.") from None
    if array.dtype.kind not in "fiub":
        raise InputTypeError(
            f"tensors hold numbers (float32/float64, or ints for indices), not {array.dtype}."
        )
    return array


def as_dtype(dtype):
    """``dtype`` as a numpy dtype, or one sentence naming the ones there are."""
    if dtype is None:
        return None
    try:
        return xp.dtype(dtype)
    except TypeError:
        raise InputTypeError(
            f"dtype {dtype!r} is not a dtype: use torch.float32, torch.float64, torch.int64 or "
            "torch.bool."
        ) from None


class Tensor:
    """An array that remembers how it was made. ``Tensor(data, requires_grad=False, dtype=None)``.

    Floats keep their dtype (float32 or float64; Python floats become float64); integer tensors
    are for indices and labels and cannot require gradients. ``.data`` is, as in PyTorch, a Tensor
    that shares this tensor's memory and is not tracked: ``p.data += -lr * p.grad`` changes ``p``
    (``.numpy()`` gives the array itself); ``.grad`` is a Tensor, or None.

    Methods, by the module that defines them:

    - ``core``: backward, data, detach, dim, dtype, grad, grad_fn, is_leaf, ndim, nelement, numel,
      requires_grad_, retain_grad, shape, size
    - ``device``: cpu, device, is_cuda, to
    - ``ops_convert``: __array__, __bool__, bool, double, __float__, float, __format__, __index__,
      __int__, int, item, __iter__, __len__, long, numpy, __repr__, tolist
    - ``ops_count``: all, any, bincount, equal, histc, unique
    - ``ops_elementwise``: abs, __add__, add, apply, clamp, clip, clone, div, exp, log, log10, log2,
      maximum, minimum, __mul__, mul, __neg__, neg, __pow__, pow, __radd__, relu, __rmul__,
      __rpow__, __rsub__, __rtruediv__, sigmoid, sqrt, __sub__, sub, tanh, __truediv__
    - ``ops_index``: gather, index_select, masked_fill, masked_fill_, scatter_add, scatter_add_,
      tril, tril_, triu, triu_
    - ``ops_inplace``: add_, clamp_, clip_, copy_, div_, fill_, __iadd__, __imul__, __isub__,
      __itruediv__, mul_, normal_, __setitem__, sub_, uniform_, zero_
    - ``ops_linalg``: bmm, dot, inverse, mm, norm, outer, trace
    - ``ops_logic``: __and__, __eq__, eq, __ge__, ge, __gt__, gt, __invert__, __le__, le, __lt__,
      lt, __ne__, ne, __or__, __rand__, __ror__, __rxor__, __xor__
    - ``ops_reduce``: amax, amin, argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax,
      std, sum, var
    - ``ops_shape``: expand, expand_as, flatten, __getitem__, __matmul__, matmul, permute, reshape,
      reshape_as, __rmatmul__, squeeze, T, t, transpose, unsqueeze, view, view_as
    - ``ops_sort``: argsort, cumprod, cumsum, sort, topk

    (tests/tensor/test_methods.py checks this list against the class.)
    """

    __slots__ = (
        "_backward",
        "_before",
        "_grad",
        "_grad_t",
        "_inputs",
        "_retain",
        "_saved",
        "_stamp",
        "_version",
        "_data",
        "requires_grad",
    )
    __array_priority__ = 1000  # numpy array (op) Tensor defers to Tensor's reflected operators
    __hash__ = object.__hash__  # `==` is elementwise (below); graphs key tensors by identity

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self._data = _array(data, dtype)
        self.requires_grad = False
        self._grad = None
        self._version = 0
        self._stamp = 0
        self._inputs = ()
        self._backward = None
        self._saved = ()
        self._retain = False
        if requires_grad:
            self.requires_grad_()

    # -------------------------------------------------------------------- basics
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    is_leaf = property(lambda self: self._backward is None)
    grad_fn = property(lambda self: self._backward)

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim`` (PyTorch's ``size()``; numpy's is ``numel``)."""
        return self._data.shape if dim is None else self._data.shape[check_dim(self, dim)]

    def numel(self) -> int:
        """The number of elements, ``prod(shape)`` (PyTorch's numel; ``nelement`` too)."""
        return self._data.size

    nelement = numel

    def dim(self) -> int:
        """The number of dimensions, ``len(shape)`` (PyTorch's dim)."""
        return self._data.ndim

    @property
    def data(self) -> Tensor:
        """The same memory as a Tensor outside the graph (PyTorch's ``.data``): in-place changes
        to it (``+=``, ``copy_``, ``zero_``, ...) change this tensor, unrecorded and unchecked."""
        return Tensor(self._data)

    @data.setter
    def data(self, value) -> None:
        array = _array(value)
        if array.shape != self._data.shape and self._inputs:
            raise InputError(
                f"cannot set .data of shape {array.shape} on a tensor of shape "
                f"{self._data.shape} that an operation made; set it on a leaf."
            )
        self._data = array

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self._data)

    # -------------------------------------------------------------------- autograd state
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Make this leaf a parameter (or not); returns it, as PyTorch does."""
        if requires_grad and self._data.dtype not in FLOAT_DTYPES:
            raise InputTypeError(
                f"only float32/float64 tensors can require gradients, this one is "
                f"{self._data.dtype}; pass dtype=np.float64 (or float32)."
            )
        if self._backward is not None and not requires_grad:
            raise InputError("requires_grad_(False) works on leaves; use .detach() here.")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``dL/d(this)`` in ``.grad`` when this is an interior tensor (a leaf always does)."""
        if not self.requires_grad:
            raise InputError("retain_grad() needs a tensor that requires grad.")
        self._retain = True
        return self

    @property
    def grad(self):
        """``dL/d(this)`` as a Tensor after ``backward()``, or None."""
        g = self._grad
        if g is None:
            return None
        wrapper = getattr(self, "_grad_t", None)
        if wrapper is None or wrapper._data is not g:
            wrapper = self._grad_t = Tensor(g)
        return wrapper

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad = None
            return
        array = _array(value, self._data.dtype)
        if array.shape != self._data.shape:
            raise InputError(
                f"a .grad must have the tensor's shape {self.shape}, got {array.shape}."
            )
        self._grad = array
        self._grad_t = value if isinstance(value, Tensor) and value._data is array else None

    # -------------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph: bool = False, *, grad=None) -> None:
        """Fill in ``.grad`` of every leaf this tensor depends on with ``d(self)/d(leaf)``.

        A one-element tensor (a loss) needs no argument: the seed is 1. Any other tensor needs
        ``gradient``, an array of its shape: the gradient of some scalar with respect to it.
        The graph is freed afterwards unless ``retain_graph=True`` (PyTorch's rule)."""
        gradient = grad if gradient is None else gradient
        if gradient is None:
            if self._data.size != 1:
                raise InputError(
                    f"backward() with no argument needs a one-element tensor (a loss), this one "
                    f"has shape {self.shape}; reduce it first (e.g. .sum()) or pass gradient= "
                    f"an array of shape {self.shape}."
                )
            gradient = _seed(self._data.shape, self._data.dtype)  # dL/dL = 1
        else:
            gradient = _array(gradient, self.dtype)
            if gradient.shape != self.shape:
                raise InputError(
                    f"backward(gradient) needs a gradient of this tensor's shape {self.shape}, "
                    f"got {gradient.shape}."
                )
        if not self.requires_grad:
            raise InputError(
                "backward() found nothing to differentiate: no tensor in this graph has "
                "requires_grad=True; create the parameters with Tensor(..., requires_grad=True)."
            )
        if self._backward is None:  # the root is itself a leaf
            _accumulate(self, gradient.copy(), set())
            return
        grads = {self: gradient}  # dL/d(node) for the operations reached so far (by identity)
        owned = {id(gradient)}  # arrays a leaf may not keep as its .grad without copying
        order = topological_order(self, CHANGES[0])  # refuses changed values before any rule runs
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._retain:
                _accumulate(node, g, owned)
            for tensor, ig in zip(node._inputs, node._backward(g, node)):
                if ig is None or not tensor.requires_grad:
                    pass
                elif tensor._backward is not None:  # an operation: add up what reaches it
                    previous = grads.get(tensor)
                    grads[tensor] = ig if previous is None else previous + ig
                elif (
                    tensor._grad is None
                    and type(ig) is xp.ndarray
                    and ig.base is None
                    and ig.dtype is tensor._data.dtype  # else _accumulate casts it
                    and id(ig) not in owned
                ):
                    owned.add(id(ig))  # a leaf, the usual case: a fresh array it can keep
                    tensor._grad = ig
                else:  # a gradient already, an array it may not keep, or another dtype
                    _accumulate(tensor, ig, owned)
        if not retain_graph:
            for node in order:
                node._backward = _freed


_SEEDS: dict = {}


def _seed(shape, dtype):
    """A read-only one of this shape and dtype, made once: the seed of every loss's backward
    (rules read ``g``, never write it; a leaf that keeps it copies it first)."""
    seed = _SEEDS.get((shape, dtype))
    if seed is None:
        seed = _SEEDS[shape, dtype] = xp.ones(shape, dtype=dtype)
        seed.flags.writeable = False
    return seed


def _freed(g, out):
    raise TensorRuntimeError(
        "backward() through a graph a second time: its saved values were freed by the first "
        "backward(); pass retain_graph=True to that first call."
    )


# ------------------------------------------------------------------------ graph building
def make(data, inputs, backward, saved=()) -> Tensor:
    """The result of an operation; it joins the graph when an input requires grad."""
    out = Tensor.__new__(Tensor)
    out._data = data if type(data) is xp.ndarray else xp.asarray(data)  # 0-d ufuncs give scalars
    out._grad = None
    out._version = 0
    out._stamp = CHANGES[0]
    out._retain = False
    for t in inputs:
        if t.requires_grad and GRAD_ENABLED[0]:
            out.requires_grad = True
            out._inputs = inputs
            out._backward = backward
            out._saved = saved
            return out
    out.requires_grad = False
    out._inputs = out._saved = ()
    out._backward = None
    return out


def _accumulate(node: Tensor, g, owned: set) -> None:
    """Add ``g`` into ``node``'s gradient, in place as PyTorch does (a held ``p.grad`` sees it).
    A node owns its gradient array alone: a view, or an array already handed to another node in
    this pass, is copied first. The gradient takes the node's dtype (a float32 leaf used with
    float64 tensors keeps a float32 ``.grad``, as in PyTorch)."""
    if node._grad is not None:
        xp.add(node._grad, g, out=node._grad)
        return
    dtype = node._data.dtype
    if type(g) is not xp.ndarray or g.dtype != dtype:
        g = xp.asarray(g).astype(dtype)  # a fresh array of the node's dtype
    elif g.base is not None or id(g) in owned:
        g = g.copy()
    owned.add(id(g))
    node._grad = g


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def check_dim(x: Tensor, dim: int, extra: int = 0) -> int:
    """``dim`` counted from 0 for a tensor of ``x.ndim + extra`` dimensions (negative counts
    from the end, as in PyTorch), or a clear error when there is no such dimension."""
    n = max(1, x._data.ndim + extra)
    if not isinstance(dim, (int, xp.integer)) or isinstance(dim, bool):
        raise InputTypeError(f"a dim is an integer, got {type(dim).__name__} {dim!r}.")
    if not -n <= dim < n:
        raise InputError(
            f"dim {dim} is out of range for a tensor of {x._data.ndim} dimensions "
            f"(shape {x.shape}): use -{n} to {n - 1}."
        )
    return int(dim) % n


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a plain Python number takes the dtype of the float tensor ``like``."""
    if isinstance(x, Tensor):
        return x
    if like is not None and like.dtype in FLOAT_DTYPES and isinstance(x, (int, float)):
        return Tensor(x, dtype=like.dtype)
    return Tensor(x)


def unbroadcast(g, shape):
    """Sum a gradient of the broadcast shape back down to ``shape`` (the chain rule for the
    copies broadcasting made: each copy's gradient flows back to the one original)."""
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # the leading axes numpy added
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=ones, keepdims=True) if ones else g


METHODS: dict[str, str] = {}  # method name -> the module that attached it


def method(name: str | None = None):
    """Attach a function (or property) to ``Tensor`` as the method ``name``: the one way an op
    module adds itself. ``METHODS`` remembers the module, for the list in Tensor's docstring."""

    def attach(fn):
        key = name or fn.__name__
        setattr(Tensor, key, fn)
        METHODS[key] = getattr(fn, "fget", fn).__module__.rsplit(".", 1)[-1]
        return fn

    return attach
