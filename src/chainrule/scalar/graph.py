"""Walking a ``Value`` graph: the topological order, the backward pass that builds a graph of the
gradient (``create_graph``), and pausing the cyclic garbage collector for a training step.

Nodes are read through the engine's slots: a built-in node has its inputs in ``_a``/``_b``; a leaf
or a node made by hand has ``_a`` None, its inputs (if any) in ``_da`` and its closure in ``_db``.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from chainrule.errors import InputError

__all__ = ["topological_order", "backward_graph", "collector_paused"]


def topological_order(root) -> list:
    """Every Value ``root`` depends on, each after all of its inputs (``root`` last).

    Depth-first search with an explicit stack instead of recursion, so it works for graphs of any
    depth. A node is pushed, then its unvisited inputs above it; when it comes back to the top of
    the stack all of its inputs are placed, so it is placed too.
    """
    order = []
    placed = set()  # Values hash by identity
    entered = set()
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
        a = node._a
        if a is not None:
            if a not in entered:
                stack.append(a)
            b = node._b
            if b is not None and b not in entered:
                stack.append(b)
        elif node._da:  # a node made by hand: its inputs
            stack.extend(k for k in node._da if k not in entered)
    return order


def _local_values(node):
    """The local derivatives of a built-in ``node`` as Values, from the rule its op carries."""
    local = getattr(node._op, "local", False)
    if local is False:  # a plain string: the op was renamed by hand, and its rule went with it
        raise InputError(
            f"backward(create_graph=True) cannot differentiate a node whose _op was set by hand "
            f"to {node._op!r}; change its label instead and keep the op."
        )
    if local is None:  # constant local derivatives: the stored numbers are the rule
        return node._da, node._db
    return local(node._a, node._b, node)


def backward_graph(order: list, root) -> None:
    """``backward(create_graph=True)`` once ``root.grad`` holds the seed Value: the same walk as
    the float one, with each local derivative a Value from the op's rule."""
    for node in reversed(order):
        g = node.grad
        if _is_zero(g):
            continue  # no path from this node to the root carries gradient
        if node._a is None:
            if node._db is not None:
                raise InputError(
                    f"backward(create_graph=True) cannot see inside the _backward closure of "
                    f"the hand-made {node._op or 'node'!r}; build it from Value operations "
                    "(e.g. x.tanh()) to take second derivatives."
                )
            continue
        da, db = _local_values(node)
        for child, local in ((node._a, da), (node._b, db)):
            if child is not None:
                contribution = g * local
                child.grad = contribution if _is_zero(child.grad) else child.grad + contribution


def _is_zero(g) -> bool:
    return isinstance(g, (int, float)) and g == 0


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for a block, e.g. one training step on Values.

    A graph of built-in operations holds no reference cycles, so it is freed by reference counting
    alone and the cycle collector has nothing to find in it; but a step allocates tens of
    thousands of nodes, which sets off full collections that scan the whole interpreter heap.
    Pausing the collector for the step skips that scan. Cycles made elsewhere (ops made by hand
    with closures among them) are collected as usual once it resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
