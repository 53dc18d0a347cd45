"""The scalar autograd engine: a ``Value`` remembers how it was made, and ``backward`` applies the
chain rule to every node of that record once, in topological order.

Every operation below computes its output *and*, right beside it, the local derivative of the
output with respect to each input (``d(a*b)/da = b``). The number is stored on the output node at
forward time, so the backward pass is one loop that multiplies and adds:

    for each node, outputs before inputs:       input.grad += node.grad * d(node)/d(input)

That ``+=`` is the whole chain rule in a graph: ``dL/dx`` is the *sum* over every path from ``x``
to ``L`` of the product of the local derivatives along the path (the multivariable chain rule), so
a value used twice collects both contributions.

Design choices (and why):

* Every operation is unary or binary, so a node stores at most two inputs (``_a``, ``_b``) and their
  local derivatives (``_da``, ``_db``) in ``__slots__``: no closure, no set and no tuple per node.
  Parents point to children, never back, so a graph has no reference cycles and Python frees it by
  reference counting the moment the last name for it goes away; the cyclic garbage collector
  never has to walk it. (micrograd's per-node closures make cycles, and on a moons MLP most of its
  step time goes to the collector.) The one exception is ``backward(create_graph=True)``: each
  ``.grad`` is then a Value built from the graph, so node and gradient refer to each other.
* The topological sort is iterative, so a chain of a million nodes needs no recursion.
* Activations come from ``chainrule.functions``, the table every engine shares.
"""

from __future__ import annotations

import gc
import math
import numbers
from contextlib import contextmanager

from chainrule import functions
from chainrule.errors import InputError, InputTypeError

__all__ = ["Value", "topological_order", "collector_paused"]

_new = object.__new__


def _node(data, op, a, da, b=None, db=0.0):
    """An operation's output: ``data``, made by ``op`` from ``a`` (and ``b``), with local
    derivatives ``da = d(out)/da`` and ``db = d(out)/db``. (The fast path: no validation.)"""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    return out


def _as_data(x) -> float:
    """``x`` as a finite float, or one clear sentence saying why it can't be."""
    if isinstance(x, Value):
        raise InputTypeError(
            "Value(data) takes a number, not another Value; use the Value itself (or v.data)."
        )
    if not isinstance(x, numbers.Real):
        raise InputTypeError(
            f"Value data must be a real number (int or float), got {type(x).__name__} {x!r}; "
            "convert it first, e.g. Value(float(x))."
        )
    try:
        x = float(x)
    except OverflowError:
        raise InputError(
            f"Value data with {len(str(abs(int(x))))} digits is too large for a float (about "
            "1.8e308 at most); scale it down."
        ) from None
    if not math.isfinite(x):
        raise InputError(
            f"Value data must be finite, got {x}; check the input for NaN or infinity."
        )
    return x


def _wrap(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


class Value:
    """One number in a computation, the operation that made it, and ``dL/d(this)`` in ``.grad``.

    ``Value(data, label="")``. Arithmetic (``+ - * / **``, unary ``-``, the reflected forms with
    plain numbers) and the methods ``exp log tanh sigmoid relu leaky_relu`` return new Values that
    record their inputs. ``backward()`` then fills in ``.grad`` of every Value the result depends
    on.

    **Gradients accumulate.** ``backward()`` *adds* into the ``.grad`` of the leaves (Values you
    made yourself: parameters, inputs); it never clears them. Within one pass that is the chain
    rule itself: a value used twice gets both contributions. Across passes it is why a training
    loop calls ``zero_grad()`` (or sets ``p.grad = 0``) before each ``backward()``: without it,
    step two's gradient is step one's plus step two's. The interior nodes of the graph (results of
    operations) are recomputed from zero by each ``backward()``.
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db")

    def __init__(self, data, label: str = ""):
        self.data = _as_data(data)
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._a = None
        self._da = 0.0
        self._b = None
        self._db = 0.0

    # ----------------------------------------------------------------------- the graph
    @property
    def _prev(self) -> tuple[Value, ...]:
        """The inputs this Value was made from (micrograd's name), empty for a leaf."""
        return tuple(v for v in (self._a, self._b) if v is not None)

    @property
    def op(self) -> str:
        """The operation that made this Value (``"*"``, ``"tanh"``, ...), ``""`` for a leaf."""
        return self._op

    # ----------------------------------------------------------------------- arithmetic
    def __add__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return _node(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return _node(self.data * other.data, "*", self, other.data, other, self.data)

    def __sub__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return _node(self.data - other.data, "-", self, 1.0, other, -1.0)

    def __truediv__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        b = other.data
        if b == 0.0:
            raise InputError(f"division of {self.data} by zero; the quotient is undefined.")
        out = self.data / b
        return _node(out, "/", self, 1.0 / b, other, -out / b)  # d(a/b)/db = -a/b^2 = -out/b

    def __neg__(self):
        return _node(-self.data, "neg", self, -1.0)

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._pow_value(other)
        if not isinstance(other, numbers.Real) or isinstance(other, bool):
            raise InputTypeError(
                f"the exponent must be a number or a Value, got {type(other).__name__} {other!r}."
            )
        k = float(other)
        x = self.data
        if x < 0.0 and not k.is_integer():
            raise InputError(
                f"{x} ** {k}: a negative base with a non-integer exponent has no real value; "
                "use an integer exponent or make the base positive."
            )
        if x == 0.0 and k < 0.0:
            raise InputError(f"0 ** {k} divides by zero; keep the base away from 0.")
        try:
            out = x**k
            if k == 0.0:
                local = 0.0  # x**0 is the constant 1
            elif x == 0.0 and k < 1.0:
                local = math.inf  # d(x^k)/dx = k x^(k-1) grows without bound at 0 for k < 1
            else:
                local = k * x ** (k - 1)
        except OverflowError:
            raise InputError(f"{x} ** {k} overflows a float; scale the base down.") from None
        # A unary node has no second input; it keeps its constant exponent in _db for create_graph.
        return _node(out, f"**{k:g}", self, local, None, k)

    def _pow_value(self, other: Value):
        x, k = self.data, other.data
        if x <= 0.0:
            raise InputError(
                f"{x} ** Value({k}): a Value exponent needs a positive base (its derivative with "
                "respect to the exponent is base**k * log(base)); use a number exponent instead."
            )
        try:
            out = x**k
            return _node(out, "**", self, k * x ** (k - 1), other, out * math.log(x))
        except OverflowError:
            raise InputError(f"{x} ** {k} overflows a float; scale the base down.") from None

    def __radd__(self, other):  # other + self
        return _wrap(other) + self

    def __rsub__(self, other):  # other - self
        return _wrap(other) - self

    def __rmul__(self, other):  # other * self
        return _wrap(other) * self

    def __rtruediv__(self, other):  # other / self
        return _wrap(other) / self

    def __rpow__(self, other):  # other ** self
        return _wrap(other) ** self

    # Comparisons look at the data only; they make no graph (and let relu' be written `x > 0`).
    def __lt__(self, other):
        return self.data < (other.data if isinstance(other, Value) else other)

    def __gt__(self, other):
        return self.data > (other.data if isinstance(other, Value) else other)

    def __le__(self, other):
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __ge__(self, other):
        return self.data >= (other.data if isinstance(other, Value) else other)

    # ----------------------------------------------------------------------- activations
    def apply(self, fn: str | functions.Activation) -> Value:
        """``fn(self)`` for any entry of ``chainrule.functions``, with its derivative from there."""
        fn = functions.activation(fn)
        x = self.data
        if fn is functions.log and x <= 0.0:
            raise InputError(
                f"log({x}): the logarithm is only defined for positive numbers; "
                "keep the input above 0 (e.g. add a small epsilon)."
            )
        try:
            y = fn.scalar(x)
        except OverflowError:
            raise InputError(f"{fn.name}({x}) overflows a float; scale the input down.") from None
        return _node(y, fn.name, self, fn.scalar_derivative(x, y))

    def relu(self):
        return self.apply(functions.relu)

    def tanh(self):
        return self.apply(functions.tanh)

    def sigmoid(self):
        return self.apply(functions.sigmoid)

    def leaky_relu(self):
        return self.apply(functions.leaky_relu)

    def exp(self):
        return self.apply(functions.exp)

    def log(self):
        return self.apply(functions.log)

    # ----------------------------------------------------------------------- backward
    def backward(self, create_graph: bool = False) -> None:
        """Fill in ``.grad`` of every Value this one depends on: ``dself/dv``.

        Seeds ``self.grad = 1`` (``dself/dself``), then visits the nodes outputs-first (reverse
        topological order, so a node's gradient is complete before it is passed on) and adds
        ``node.grad * local_derivative`` into each input's ``.grad``. Leaves accumulate across
        calls; interior nodes start from zero each call (see the class docstring).

        ``create_graph=True`` makes every ``.grad`` a ``Value`` built from this graph's values, so a
        gradient can itself be differentiated (second derivatives)::

            y = x.tanh(); y.backward(create_graph=True)
            dy = x.grad; x.grad = 0.0; dy.backward()   # x.grad is now d2y/dx2 = -2 y (1 - y**2)
        """
        order = topological_order(self)
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        if create_graph:
            _backward_graph(order, self)
            return
        self.grad = 1.0
        for node in reversed(order):
            a = node._a
            if a is not None:
                g = node.grad
                a.grad += g * node._da
                b = node._b
                if b is not None:
                    b.grad += g * node._db

    # ----------------------------------------------------------------------- display
    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter shows a Value as the drawing of its graph (text where Graphviz is missing)."""
        from chainrule.viz.graph import mimebundle

        return mimebundle(self)


def _fmt(g) -> str:
    return f"{g:.6g}" if isinstance(g, float) else f"Value({g.data:.6g})"


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on, each after all of its inputs (``root`` last).

    Depth-first search with an explicit stack instead of recursion, so it works for graphs of any
    depth. A node is pushed, then its unvisited inputs above it; when it comes back to the top of
    the stack all of its inputs are placed, so it is placed too.
    """
    order: list[Value] = []
    placed: set[Value] = set()  # Values hash by identity
    entered: set[Value] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        if node in entered:  # back on top: all of its inputs are placed
            stack.pop()
            if node not in placed:  # (a second copy pushed by another parent is skipped)
                placed.add(node)
                order.append(node)
            continue
        entered.add(node)
        a, b = node._a, node._b
        if a is not None and a not in entered:
            stack.append(a)
        if b is not None and b not in entered:
            stack.append(b)
    return order


def _graph_locals(node: Value):
    """The local derivatives of ``node`` as Values (for ``create_graph``), from the same rules."""
    op, a, b = node._op, node._a, node._b
    if op == "+":
        return 1.0, 1.0
    if op == "-":
        return 1.0, -1.0
    if op == "*":
        return b, a
    if op == "/":
        return 1 / b, -node / b
    if op == "neg":
        return -1.0, None
    if op == "**":
        return b * a ** (b - 1), node * a.log()
    if op.startswith("**"):
        k = node._db
        if k == 0.0:
            return 0.0, None  # x**0 = 1, a constant
        return k * a ** (k - 1), None
    return functions.activation(op).scalar_derivative(a, node), None


def _backward_graph(order: list[Value], root: Value) -> None:
    """``backward(create_graph=True)``: the same walk, with Values instead of floats."""
    root.grad = Value(1.0, label=f"d{root.label}/d{root.label}" if root.label else "")
    for node in reversed(order):
        if node._a is None:
            continue
        g = node.grad
        if isinstance(g, float) and g == 0.0:
            continue  # no path from this node to the root carries gradient
        da, db = _graph_locals(node)
        for child, local in ((node._a, da), (node._b, db)):
            if child is not None:
                contribution = g * local
                child.grad = contribution if _is_zero(child.grad) else child.grad + contribution


def _is_zero(g) -> bool:
    return isinstance(g, float) and g == 0.0


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for a block, e.g. one training step on Values.

    A Value graph holds no reference cycles, so it is freed by reference counting alone and the
    cycle collector has nothing to find in it; but a step allocates tens of thousands of nodes,
    which sets off full collections that scan the whole interpreter heap. Pausing the collector
    for the step skips that scan. Cycles made elsewhere are collected as usual once it resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
