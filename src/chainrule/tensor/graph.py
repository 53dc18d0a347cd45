"""The order in which ``backward()`` visits a tensor graph: every operation after the ones that
use its result (the chain rule needs ``dL/d(out)`` complete before it goes to the inputs).

A node is anything with ``_inputs`` (the tensors it was made from) and ``_backward`` (its rule,
None for a leaf): the walk needs nothing else of it.
"""

from __future__ import annotations

__all__ = ["topological_order"]


def topological_order(root) -> list:
    """Every operation ``root`` depends on through tensors that require grad, each after its
    inputs (leaves are left out: backward adds their gradients as it meets them). The usual
    graph of a network is a chain (each operation has at most one operation among its inputs),
    read off in one walk; any other graph takes the depth-first search."""
    order, node = [root], root
    while True:
        after = None
        for t in node._inputs:
            if t._backward is not None:
                if after is not None:
                    return _depth_first(root)
                after = t
        if after is None:
            order.reverse()
            return order
        order.append(after)
        node = after


def _depth_first(root) -> list:
    """The topological order of any graph, by an iterative depth-first search: a node goes back
    on top of the stack once its inputs are placed."""
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
