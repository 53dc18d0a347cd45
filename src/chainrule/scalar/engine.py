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

* A built-in node stores at most two inputs (``_a``, ``_b``) and their local derivatives (``_da``,
  ``_db``) in ``__slots__``: no closure, set or tuple per node. Parents point to children, never
  back, so such a graph has no reference cycles and is freed by reference counting alone.
  (micrograd's per-node closures make cycles; on a moons MLP most of its step goes to the
  cyclic garbage collector.) The topological sort is iterative (see ``scalar.graph``).
* **One rule per operation**: ``local(a, b, out) -> (d out/d a, d out/d b)``, written with
  arithmetic only, so it takes floats (the forward pass stores its numbers) and Values
  (``backward(create_graph=True)`` builds the graph of a gradient from the same function). The
  rule travels inside the node's ``_op``, an :class:`Op`: the op's name as a ``str`` carrying its
  rule. ``+ - neg`` have constant derivatives, so their stored numbers are the rule; activations
  take theirs from ``chainrule.functions``, the table every engine shares. (``*``, the commonest
  op, stores its rule's numbers ``(b, a)`` without calling it: a call per node costs a few
  percent of a training step; a test checks every op stores what its rule gives.)
* **micrograd's way works too**: ``Value(data, _children, _op, label)`` makes a node by hand, and a
  closure assigned to its ``_backward`` is called by ``backward()`` in topological order, mixed
  freely with built-in nodes (which keep their closure-free path).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from chainrule import functions
from chainrule.errors import InputError, InputTypeError
from chainrule.scalar.graph import backward_graph, collector_paused, topological_order
from chainrule.scalar.rules import (
    ADD,
    DIV,
    MUL,
    NEG,
    POW_VALUE,
    SUB,
    Op,
    activation_op,
    div_local,
    pow_op,
    pow_value_local,
)

__all__ = ["Op", "Value", "topological_order", "collector_paused"]

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


def _as_children(children) -> tuple[Value, ...]:
    """micrograd's ``_children`` as a tuple of Values, or one clear sentence saying why not."""
    try:
        kids = tuple(children)
    except TypeError:
        kids = None
    if kids is None or not all(isinstance(k, Value) for k in kids):
        raise InputTypeError(
            f"Value's _children must be Values, e.g. Value(5.0, (a, b), '+'), got {children!r}."
        )
    return kids


def _noop() -> None:
    """The backward step of a leaf: nothing to pass on."""


def _wrap(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


class Value:
    """One number in a computation, the operation that made it, and ``dL/d(this)`` in ``.grad``.

    ``Value(data, _children=(), _op="", label="")``, micrograd's signature: ``Value(2.0)``,
    ``Value(2.0, label="x")``, or a node made by hand, ``Value(5.0, (a, b), "+")``. (A string in
    the second place is read as the label, chainrule's older ``Value(2.0, "x")``.) Arithmetic
    (``+ - * / **``, unary ``-``, the reflected forms with plain numbers) and the methods
    ``exp log tanh sigmoid relu leaky_relu`` return new Values that record their inputs.
    ``backward()`` then fills in ``.grad`` of every Value the result depends on.

    **An op written the micrograd lecture's way** works alongside the built-in ones: make its
    output by hand, ``out = Value(t, (self,), "tanh")``, and assign ``out._backward`` a closure
    that adds into each input's ``.grad``; ``backward()`` calls it in topological order.

    **Gradients accumulate.** ``backward()`` *adds* into the ``.grad`` of the leaves (Values you
    made yourself: parameters, inputs); it never clears them. Within one pass that is the chain
    rule itself: a value used twice gets both contributions. Across passes it is why a training
    loop calls ``zero_grad()`` (or sets ``p.grad = 0``) before each ``backward()``: without it,
    step two's gradient is step one's plus step two's. The interior nodes of the graph (results of
    operations) are recomputed from zero by each ``backward()``.
    """

    # A built-in node has its inputs in _a (and _b) and its local derivatives in _da (and _db).
    # A leaf or a node made by hand has _a and _b None, its inputs in _da (a tuple, empty for a
    # leaf) and its backward closure in _db (or None): two slots reused rather than two more,
    # because a node of eight slots fits a smaller allocation (80 bytes, not 96) and every
    # operation, sort and free of the fast path would pay for the bigger one.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db")

    def __init__(self, data, _children=(), _op: str = "", label: str = ""):
        if isinstance(_children, str):  # Value(2.0, "x"): the label in the second place
            _children, label = (), _children or label
        self.data = _as_data(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._a = None
        self._da = _as_children(_children) if _children else ()
        self._b = None
        self._db = None

    # ----------------------------------------------------------------------- the graph
    @property
    def _prev(self):
        """The inputs this Value was made from, as a set (micrograd's ``_prev``) that iterates in
        the order they were given (``a`` before ``b``); empty for a leaf."""
        kids = (
            self._da if self._a is None else (self._a,) if self._b is None else (self._a, self._b)
        )
        return dict.fromkeys(kids).keys()

    @_prev.setter
    def _prev(self, children) -> None:
        self._make_by_hand(self._backward)
        self._da = _as_children(children)

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's step of the backward pass: add ``self.grad * local`` into each input's
        ``.grad``. Assign a closure to define an op by hand, as in the micrograd lecture."""
        if self._a is None:
            return self._db or _noop
        a, da, b, db = self._a, self._da, self._b, self._db

        def step():
            a.grad += self.grad * da
            if b is not None:
                b.grad += self.grad * db

        return step

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        if not callable(fn):
            raise InputTypeError(
                f"_backward must be a function of no arguments, got {type(fn).__name__}."
            )
        self._make_by_hand(fn)

    def _make_by_hand(self, fn) -> None:
        """Turn a built-in node into one made by hand (same inputs, ``fn`` as its backward)."""
        if self._a is not None:
            self._da = tuple(v for v in (self._a, self._b) if v is not None)
            self._a = self._b = None
        self._db = None if fn is _noop else fn

    @property
    def op(self) -> str:
        """The operation that made this Value (``"*"``, ``"tanh"``, ...), ``""`` for a leaf."""
        return self._op

    # ----------------------------------------------------------------------- arithmetic
    def __add__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return _node(self.data + other.data, ADD, self, 1.0, other, 1.0)

    def __mul__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        x, y = self.data, other.data
        return _node(x * y, MUL, self, y, other, x)  # mul_local(x, y) = (y, x), inlined

    def __sub__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return _node(self.data - other.data, SUB, self, 1.0, other, -1.0)

    def __truediv__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        x, y = self.data, other.data
        if y == 0.0:
            raise InputError(f"division of {x} by zero; the quotient is undefined.")
        out = x / y
        da, db = div_local(x, y, out)
        return _node(out, DIV, self, da, other, db)

    def __neg__(self):
        return _node(-self.data, NEG, self, -1.0)

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
        op = pow_op(k)  # the constant exponent lives in the op, beside its rule
        try:
            out = x**k
            return _node(out, op, self, op.local(x, None, out)[0])
        except OverflowError:
            raise InputError(f"{x} ** {k} overflows a float; scale the base down.") from None

    def _pow_value(self, other: Value):
        x, k = self.data, other.data
        if x <= 0.0:
            raise InputError(
                f"{x} ** Value({k}): a Value exponent needs a positive base (its derivative with "
                "respect to the exponent is base**k * log(base)); use a number exponent instead."
            )
        try:
            out = x**k
            da, db = pow_value_local(x, k, out)
            return _node(out, POW_VALUE, self, da, other, db)
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
        return _node(y, activation_op(fn), self, fn.scalar_derivative(x, y))

    def relu(self):
        """``max(0, x)``; its derivative is 1 for x > 0, else 0."""
        return self.apply(functions.relu)

    def tanh(self):
        """``tanh x``; its derivative is ``1 - tanh^2 x``."""
        return self.apply(functions.tanh)

    def sigmoid(self):
        """``1 / (1 + e^-x)``; its derivative is ``s (1 - s)``."""
        return self.apply(functions.sigmoid)

    def leaky_relu(self):
        """``x`` for x > 0, else ``0.01 x``; its derivative is 1 or 0.01."""
        return self.apply(functions.leaky_relu)

    def exp(self):
        """``e^x``; its derivative is ``e^x``."""
        return self.apply(functions.exp)

    def log(self):
        """``ln x`` for x > 0; its derivative is ``1 / x``."""
        return self.apply(functions.log)

    # ----------------------------------------------------------------------- backward
    def backward(self, create_graph: bool = False) -> None:
        """Fill in ``.grad`` of every Value this one depends on: ``dself/dv``.

        Seeds ``self.grad = 1`` (``dself/dself``), then visits the nodes outputs-first (reverse
        topological order, so a node's gradient is complete before it is passed on) and adds
        ``node.grad * local_derivative`` into each input's ``.grad`` (a node made by hand runs its
        ``_backward`` closure instead). Leaves accumulate across calls; interior nodes start from
        zero each call (see the class docstring).

        ``create_graph=True`` makes every ``.grad`` a ``Value`` built from this graph's values, so a
        gradient can itself be differentiated (second derivatives)::

            y = x.tanh(); y.backward(create_graph=True)
            dy = x.grad; x.grad = 0.0; dy.backward()   # x.grad is now d2y/dx2 = -2 y (1 - y**2)
        """
        order = topological_order(self)
        for node in order:
            if node._a is not None or node._da:  # (a hand-made node's _da: its inputs)
                node.grad = 0.0
        if create_graph:
            self.grad = Value(1.0, label=f"d{self.label}/d{self.label}" if self.label else "")
            backward_graph(order, self)
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
            elif node._db is not None:  # a node made by hand: its closure
                node._db()

    # ----------------------------------------------------------------------- display
    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"


def _fmt(g) -> str:
    return f"Value({g.data:.6g})" if isinstance(g, Value) else f"{g:.6g}"
