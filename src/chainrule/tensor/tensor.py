"""Tensor autograd: the chain rule over whole-array operations, with PyTorch's names.

A ``Tensor`` wraps an array (``.data``). An operation on tensors that require gradients records
its inputs and a *backward rule*: a plain function ``rule(g, out) -> (grad per input)`` that turns
``g = dL/d(out)`` into ``dL/d(input)`` for each input, using what the forward pass kept. The rule
for each operation sits right under its forward. ``backward()`` sorts the recorded graph
topologically (iteratively) and applies the rules outputs-first, adding up contributions where a
tensor is used more than once.

Broadcasting: a binary operation broadcasts its operands as numpy does, so its backward rule
receives a gradient of the *broadcast* shape; ``_unbroadcast`` sums it back down to each
operand's own shape (over the leading axes numpy added, and over the axes that were 1).

Leaves (tensors you create with ``requires_grad=True``) accumulate into ``.grad`` (an array of
their shape); interior results keep no gradient. A tensor changed in place after an operation
used it would make that operation's backward rule wrong: each tensor carries a version number
that in-place changes bump, and ``backward`` refuses a graph whose inputs changed since.
"""

from __future__ import annotations

from contextlib import contextmanager

from chainrule import functions
from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp

__all__ = ["Tensor", "concatenate", "is_grad_enabled", "no_grad", "tensor", "where"]

_GRAD_ENABLED = [True]  # a list so that no_grad can flip it without `global`
# Counts in-place changes to any tensor. A tensor's _version is the count at its last change; an
# operation's _stamp is the count when it ran. An input with _version > _stamp changed after the
# operation used it. While nothing changed anywhere (the usual case) backward checks nothing.
_CHANGES = [0]


@contextmanager
def no_grad():
    """Inside this block operations record no graph (evaluation, optimizer steps)."""
    previous = _GRAD_ENABLED[0]
    _GRAD_ENABLED[0] = False
    try:
        yield
    finally:
        _GRAD_ENABLED[0] = previous


def is_grad_enabled() -> bool:
    return _GRAD_ENABLED[0]


def _array(data, dtype=None):
    if type(data) is xp.ndarray and dtype is None and data.dtype.kind in "fiub":
        return data  # the common case, a batch of data: nothing to convert or check
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = xp.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise InputTypeError(f"cannot make a tensor from {type(data).__name__}: {e}.") from None
    if array.dtype.kind not in "fiub":
        raise InputTypeError(
            f"tensors hold numbers (float32/float64, or ints for indices), not {array.dtype}."
        )
    return array


class Tensor:
    """An array that remembers how it was made. ``Tensor(data, requires_grad=False, dtype=None)``.

    Floats keep their dtype (float32 or float64; Python floats become float64); integer tensors
    are for indices and labels and cannot require gradients.
    """

    __slots__ = (
        "_backward",
        "_inputs",
        "_saved",
        "_stamp",
        "_version",
        "data",
        "grad",
        "requires_grad",
    )
    __array_priority__ = 1000  # numpy array (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _array(data, dtype)
        if requires_grad and self.data.dtype not in FLOAT_DTYPES:
            raise InputTypeError(
                f"only float32/float64 tensors can require gradients, this one is "
                f"{self.data.dtype}; pass dtype=np.float64 (or float32)."
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._version = 0
        self._stamp = 0
        self._inputs = ()
        self._backward = None
        self._saved = ()

    # -------------------------------------------------------------------- basics
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = xp.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{grad})"

    def numpy(self):
        """The data as a numpy array (the same memory: changing it bypasses autograd)."""
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def zero_(self) -> Tensor:
        return self._in_place(lambda d: d.fill(0))

    # -------------------------------------------------------------------- in place
    def _in_place(self, change):
        if _GRAD_ENABLED[0] and self.requires_grad:
            raise InputError(
                "an in-place change to a tensor that requires grad would make its gradient "
                "wrong; write t = t + x instead, or change it inside `with no_grad():`."
            )
        change(self.data)
        mark_changed(self)  # graphs that used the old values now refuse to backpropagate
        return self

    def __iadd__(self, other):
        return self._in_place(lambda d: xp.add(d, _data(other), out=d))

    def __isub__(self, other):
        return self._in_place(lambda d: xp.subtract(d, _data(other), out=d))

    def __imul__(self, other):
        return self._in_place(lambda d: xp.multiply(d, _data(other), out=d))

    def __itruediv__(self, other):
        return self._in_place(lambda d: xp.divide(d, _data(other), out=d))

    def __setitem__(self, index, value):
        self._in_place(lambda d: d.__setitem__(_index(index), _data(value)))

    # -------------------------------------------------------------------- backward
    def backward(self, grad=None) -> None:
        """Fill in ``.grad`` of every leaf this tensor depends on with ``d(self)/d(leaf)``.

        A one-element tensor (a loss) needs no argument: the seed is 1. Any other tensor needs
        ``grad``, an array of its shape: the gradient of some scalar with respect to it."""
        if grad is None:
            if self.data.size != 1:
                raise InputError(
                    f"backward() with no argument needs a one-element tensor (a loss), this one "
                    f"has shape {self.shape}; reduce it first (e.g. .sum()) or pass grad= an "
                    f"array of shape {self.shape}."
                )
            grad = xp.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # the seed: 1
        else:
            grad = _array(grad, self.dtype)
            if grad.shape != self.shape:
                raise InputError(
                    f"backward(grad) needs grad of this tensor's shape {self.shape}, got "
                    f"{grad.shape}."
                )
        if not self.requires_grad:
            raise InputError(
                "backward() found nothing to differentiate: no tensor in this graph has "
                "requires_grad=True; create the parameters with Tensor(..., requires_grad=True)."
            )
        if self._backward is None:  # the root is itself a leaf
            _accumulate(self, grad.copy(), set())
            return
        grads = {self: grad}  # dL/d(node) for the operations reached so far (identity hashing)
        owned = {id(grad)}  # arrays a leaf may not keep as its .grad without copying
        changes = _CHANGES[0]
        for node in reversed(topological_order(self)):
            g = grads.pop(node, None)
            if g is None:
                continue
            if changes != node._stamp:
                _check_unchanged(node)
            for tensor, input_grad in zip(node._inputs, node._backward(g, node)):
                if input_grad is None or not tensor.requires_grad:
                    continue
                if tensor._backward is None:  # a leaf: its gradient is final, add it in now
                    if (
                        tensor.grad is None
                        and input_grad.base is None
                        and (id(input_grad) not in owned)
                    ):
                        owned.add(id(input_grad))  # the usual case, inlined: a fresh array
                        tensor.grad = input_grad
                    else:
                        _accumulate(tensor, input_grad, owned)
                    continue
                previous = grads.get(tensor)
                grads[tensor] = input_grad if previous is None else previous + input_grad

    # -------------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _binary(self, other, xp.add, _add_back, "add")

    def __radd__(self, other):
        return _binary(other, self, xp.add, _add_back, "add")

    def __sub__(self, other):
        return _binary(self, other, xp.subtract, _sub_back, "subtract")

    def __rsub__(self, other):
        return _binary(other, self, xp.subtract, _sub_back, "subtract")

    def __mul__(self, other):
        return _binary(self, other, xp.multiply, _mul_back, "multiply")

    def __rmul__(self, other):
        return _binary(other, self, xp.multiply, _mul_back, "multiply")

    def __truediv__(self, other):
        return _binary(self, other, xp.divide, _div_back, "divide")

    def __rtruediv__(self, other):
        return _binary(other, self, xp.divide, _div_back, "divide")

    def __neg__(self):
        return _make(-self.data, (self,), _neg_back)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            raise InputTypeError("a tensor exponent is not supported; use exp(k * log(x)).")
        k = float(exponent)
        return _make(self.data**k, (self,), _pow_back, (k,))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    # -------------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False):
        return _make(
            self.data.sum(axis=axis, keepdims=keepdims), (self,), _sum_back, (axis, keepdims)
        )

    def mean(self, axis=None, keepdims: bool = False):
        total = self.sum(axis, keepdims)
        return total * (total.data.size / max(1, self.data.size))  # sum / count

    def max(self, axis=None, keepdims: bool = False):
        return _make(
            self.data.max(axis=axis, keepdims=keepdims), (self,), _max_back, (axis, keepdims)
        )

    # -------------------------------------------------------------------- elementwise
    def apply(self, fn) -> Tensor:
        """``fn(self)`` elementwise for an entry of ``chainrule.functions`` (and its derivative)."""
        return apply(self, functions.activation(fn))

    def exp(self):
        return self.apply(functions.exp)

    def log(self):
        return self.apply(functions.log)

    def tanh(self):
        return self.apply(functions.tanh)

    def sigmoid(self):
        return self.apply(functions.sigmoid)

    def relu(self):
        return self.apply(functions.relu)

    def softmax(self, axis: int = -1):
        return _make(functions.softmax(self.data, axis), (self,), _softmax_back, (axis,))

    def log_softmax(self, axis: int = -1):
        return _make(functions.log_softmax(self.data, axis), (self,), _log_softmax_back, (axis,))

    def clip(self, low=None, high=None):
        return _make(xp.clip(self.data, low, high), (self,), _clip_back, (low, high))

    # -------------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise InputError(
                f"cannot reshape a tensor of shape {self.shape} ({self.size} elements) into "
                f"{tuple(shape)}."
            ) from None
        return _make(data, (self,), _reshape_back)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(a % self.data.ndim for a in axes) or None  # -1 means the last axis
        try:
            data = self.data.transpose(axes)
        except ValueError:
            raise InputError(
                f"cannot transpose a tensor of shape {self.shape} with axes "
                f"{axes}: give each axis once."
            ) from None
        return _make(data, (self,), _transpose_back, (axes,))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index):
        index = _index(index)
        return _make(self.data[index], (self,), _getitem_back, (index,))


def apply(x: Tensor, fn: functions.Activation) -> Tensor:
    """``fn(x)`` elementwise for an entry ``fn`` of the shared table; its backward rule is the
    table's derivative ``f'(x, y)`` times the incoming gradient."""
    if fn is functions.log and x.data.size and x.data.min() <= 0:
        raise InputError(
            f"log of a tensor with values <= 0 (smallest {x.data.min()}); the logarithm is only "
            "defined for positive numbers: clip the input (e.g. x.clip(1e-12, None))."
        )
    return _make(fn.forward(x.data), (x,), _apply_back, (fn,))


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """``Tensor(data, requires_grad, dtype)``, PyTorch's spelling."""
    return Tensor(data, requires_grad, dtype)


# ------------------------------------------------------------------------ graph building
def _make(data, inputs, backward, saved=()) -> Tensor:
    """The result of an operation; it joins the graph when an input requires grad."""
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out._version = 0
    out._stamp = _CHANGES[0]
    for t in inputs:
        if t.requires_grad and _GRAD_ENABLED[0]:
            out.requires_grad = True
            out._inputs = inputs
            out._backward = backward
            out._saved = saved
            return out
    out.requires_grad = False
    out._inputs = out._saved = ()
    out._backward = None
    return out


def _accumulate(leaf: Tensor, g, owned: set) -> None:
    """Add ``g`` into ``leaf.grad``. A leaf owns its ``.grad`` array alone: a view, or an array
    already handed to another leaf in this pass, is copied first."""
    if leaf.grad is not None:
        leaf.grad = leaf.grad + g
        return
    if g.base is not None or id(g) in owned:
        g = g.copy()
    owned.add(id(g))
    leaf.grad = g


def mark_changed(*tensors: Tensor) -> None:
    """Record that these tensors' data changed in place (optimizers call this after a step)."""
    _CHANGES[0] += 1
    for t in tensors:
        t._version = _CHANGES[0]


def _check_unchanged(node: Tensor) -> None:
    """Refuse a node whose inputs, or whose own output (which rules like exp's read), changed
    in place after it was made."""
    for tensor in (*node._inputs, node):
        if tensor._version > node._stamp:
            raise InputError(
                f"a tensor of shape {tensor.shape} used by {node._backward.__name__.strip('_')} "
                "was changed in place before backward(), so its gradient would be wrong; change "
                "tensors only after backward(), or write t = t + x."
            )


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _index(index):
    """Tensors inside an index (integer arrays) become their arrays."""
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a plain Python number takes the dtype of the float tensor ``like``."""
    if isinstance(x, Tensor):
        return x
    if like is not None and like.dtype in FLOAT_DTYPES and isinstance(x, (int, float)):
        return Tensor(x, dtype=like.dtype)
    return Tensor(x)


def _binary(a, b, op, backward, name) -> Tensor:
    a = _as_tensor(a, b if isinstance(b, Tensor) else None)
    b = _as_tensor(b, a)
    try:
        data = op(a.data, b.data)
    except ValueError:
        raise InputError(
            f"cannot {name} tensors of shapes {a.shape} and {b.shape}: they do not broadcast "
            "(each trailing dimension must match or be 1)."
        ) from None
    return _make(data, (a, b), backward)


def _unbroadcast(g, shape):
    """Sum a gradient of the broadcast shape back down to ``shape`` (the chain rule for the
    copies broadcasting made: each copy's gradient flows back to the one original)."""
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # the leading axes numpy added
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=ones, keepdims=True) if ones else g


# ------------------------------------------------------------------------ backward rules
# Each rule: (g, out) -> one gradient per input, in that input's shape (None where not needed),
# with g = dL/d(out) in out's shape. Binary elementwise rules undo broadcasting themselves.
def _binary_grads(out, ga, gb):
    a, b = out._inputs
    return _unbroadcast(ga, a.data.shape), _unbroadcast(gb, b.data.shape)


def _add_back(g, out):  # d(a + b) = da + db
    return _binary_grads(out, g, g)


def _sub_back(g, out):
    return _binary_grads(out, g, -g)


def _mul_back(g, out):  # d(a b) = b da + a db
    a, b = out._inputs
    return _binary_grads(out, g * b.data, g * a.data)


def _div_back(g, out):  # d(a / b) = da / b - (a / b^2) db = da / b - out / b db
    b = out._inputs[1].data
    return _binary_grads(out, g / b, -g * out.data / b)


def _neg_back(g, out):
    return (-g,)


def _pow_back(g, out):  # d(x^k) = k x^(k-1) dx
    (k,) = out._saved
    x = out._inputs[0].data
    return (g * (k * x ** (k - 1)),)


def _apply_back(g, out):  # the activation table's derivative f'(x, y), times g
    (fn,) = out._saved
    return (times_derivative(g, fn, out._inputs[0].data, out.data),)


def times_derivative(g, fn, x, y):
    """``g (.) f'(x, y)`` for a table entry ``fn`` with ``y = f(x)``. The product is taken in
    place when the derivative came back as a fresh array of g's shape and dtype (it may instead
    be ``y`` itself, as for exp, which must not be overwritten)."""
    d = fn.derivative(x, y)
    if d is y or d is x or d.base is not None or d.shape != g.shape or d.dtype != g.dtype:
        return g * d
    d *= g
    return d


def _softmax_back(g, out):  # da_j/dz_k = a_j (delta_jk - a_k)  =>  dz = a (g - sum(g a))
    (axis,) = out._saved
    a = out.data
    return (a * (g - (g * a).sum(axis=axis, keepdims=True)),)


def _log_softmax_back(g, out):  # d(z - logsumexp z) = g - softmax(z) sum(g)
    (axis,) = out._saved
    return (g - xp.exp(out.data) * g.sum(axis=axis, keepdims=True),)


def _sum_back(g, out):  # every summed element gets the sum's gradient
    axis, keepdims = out._saved
    shape = out._inputs[0].data.shape
    if axis is not None and not keepdims:
        g = xp.expand_dims(g, axis)
    return (xp.broadcast_to(g, shape),)


def _max_back(g, out):  # the gradient goes to the maximum (shared equally between ties)
    axis, keepdims = out._saved
    x = out._inputs[0].data
    m = out.data
    if axis is not None and not keepdims:
        m, g = xp.expand_dims(m, axis), xp.expand_dims(g, axis)
    mask = x == m
    return (mask * (g / mask.sum(axis=axis, keepdims=True)),)


def _clip_back(g, out):  # 1 inside the interval, 0 where the value was clipped
    low, high = out._saved
    x = out._inputs[0].data
    inside = xp.ones_like(x, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return (g * inside,)


def _reshape_back(g, out):
    return (g.reshape(out._inputs[0].data.shape),)


def _transpose_back(g, out):
    (axes,) = out._saved
    return (g.transpose(None if axes is None else xp.argsort(axes)),)


def _getitem_back(g, out):  # scatter back; repeated integer indices add up
    (index,) = out._saved
    grad = xp.zeros_like(out._inputs[0].data)
    xp.add.at(grad, index, g)
    return (grad,)


# ------------------------------------------------------------------------ multi-input ops
def matmul(a, b) -> Tensor:
    """``a @ b`` for 2-D (and 1-D) tensors. d(A B) = dA B + A dB, so with G = dL/d(AB):
    dL/dA = G B^T and dL/dB = A^T G."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.ndim > 2 or b.ndim > 2:
        raise InputError(
            f"matmul takes 1-D or 2-D tensors, got shapes {a.shape} @ {b.shape}; reshape a stack "
            "of matrices to 2-D first."
        )
    try:
        data = a.data @ b.data
    except ValueError:
        raise InputError(
            f"cannot matmul tensors of shapes {a.shape} @ {b.shape}: the inner dimensions "
            f"({a.shape[-1] if a.ndim else '-'} and {b.shape[0] if b.ndim else '-'}) must match."
        ) from None
    return _make(data, (a, b), _matmul_back)


def _matmul_back(g, out):
    a, b = out._inputs
    A, B = a.data, b.data
    if A.ndim == 1:
        A = A[None, :]
        g = g[None, ...]
    if B.ndim == 1:
        B = B[:, None]
        g = g[..., None]
    grad_a = (g @ B.T).reshape(a.data.shape) if a.requires_grad else None
    grad_b = (A.T @ g).reshape(b.data.shape) if b.requires_grad else None
    return grad_a, grad_b


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along ``axis``; the gradient is cut back into the pieces."""
    tensors = tuple(_as_tensor(t) for t in tensors)
    try:
        data = xp.concatenate([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise InputError(
            f"cannot concatenate tensors of shapes {shapes} along axis {axis}: all other "
            "dimensions must match."
        ) from None
    return _make(data, tensors, _concatenate_back, (axis,))


def _concatenate_back(g, out):
    (axis,) = out._saved
    sizes = [t.data.shape[axis] for t in out._inputs]
    return tuple(xp.split(g, xp.cumsum(sizes)[:-1], axis=axis))


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; each gets the gradient where it was chosen."""
    condition = xp.asarray(_data(condition), dtype=bool)
    a = _as_tensor(a, b if isinstance(b, Tensor) else None)
    b = _as_tensor(b, a)
    try:
        data = xp.where(condition, a.data, b.data)
    except ValueError:
        raise InputError(
            f"cannot choose between tensors of shapes {a.shape} and {b.shape} with a condition "
            f"of shape {condition.shape}: they do not broadcast."
        ) from None
    return _make(data, (a, b), _where_back, (condition,))


def _where_back(g, out):
    (condition,) = out._saved
    return _binary_grads(out, xp.where(condition, g, 0), xp.where(condition, 0, g))


def topological_order(root: Tensor) -> list[Tensor]:
    """Every operation ``root`` depends on through tensors that require grad, each after its
    inputs (leaves are left out: backward adds their gradients as it meets them). Iterative
    depth-first search: a node goes back on top of the stack once its inputs are placed."""
    order, placed, entered = [], set(), set()
    stack = [root]
    while stack:
        node = stack[-1]
        if node in entered:
            stack.pop()
            if node not in placed:
                placed.add(node)
                order.append(node)
            continue
        entered.add(node)
        for t in node._inputs:
            if t._backward is not None and t not in entered:
                stack.append(t)
    return order
