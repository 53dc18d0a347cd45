"""The graph's bookkeeping: the order in which ``backward()`` visits it (every operation after
the ones that use its result: the chain rule needs ``dL/d(out)`` complete before it goes to the
inputs), whether operations record it at all (``no_grad``), and the version counts that tell
when a value it saved was changed in place since.

A node is anything with ``_inputs`` (the tensors it was made from) and ``_backward`` (its rule,
None for a leaf), plus ``_version`` and ``_stamp`` for the check: nothing else of a Tensor.
"""

from __future__ import annotations

from contextlib import contextmanager

from chainrule.errors import TensorRuntimeError

__all__ = [
    "CHANGES",
    "GRAD_ENABLED",
    "check_unchanged",
    "is_grad_enabled",
    "mark_changed",
    "no_grad",
    "reads_output",
    "set_grad_enabled",
    "shapes_only",
    "topological_order",
]

# Counts in-place changes to any tensor. A tensor's _version is the count at its last change; an
# operation's _stamp is the count when it ran. An input with _version > _stamp changed after the
# operation used it. While nothing changed anywhere (the usual case) backward checks nothing.
CHANGES = [0]
GRAD_ENABLED = [True]  # a list so that no_grad can flip it without `global`


@contextmanager
def set_grad_enabled(mode: bool):
    """Inside this block operations record a graph only if ``mode`` is true."""
    previous = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = bool(mode)
    try:
        yield
    finally:
        GRAD_ENABLED[0] = previous


def no_grad():
    """Inside this block operations record no graph (evaluation, optimizer steps)."""
    return set_grad_enabled(False)


def is_grad_enabled() -> bool:
    """Whether operations record the graph (False in ``no_grad``); torch.is_grad_enabled."""
    return GRAD_ENABLED[0]


def topological_order(root, changes=None) -> list:
    """Every operation ``root`` depends on through tensors that require grad, each after its
    inputs (leaves are left out: backward adds their gradients as it meets them). The usual
    graph of a network is a chain (each operation has at most one operation among its inputs),
    read off in one walk; any other graph takes the depth-first search. A node made before the
    change count ``changes`` is checked (``check_unchanged``) before its inputs are followed, so
    an input a recorded in-place op changed since is followed as it was then."""
    order, node = [root], root
    while True:
        if node._stamp != changes:
            check_unchanged(node)
        after = None
        for t in node._inputs:
            if t._backward is not None:
                if after is not None:
                    return _depth_first(root, changes)
                after = t
        if after is None:
            order.reverse()
            return order
        order.append(after)
        node = after


def _depth_first(root, changes) -> list:
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
        if node._stamp != changes:
            check_unchanged(node)
        for t in node._inputs:
            if t._backward is not None and t not in entered:
                stack.append(t)
    return order


def mark_changed(*tensors) -> None:
    """Record that these tensors' data changed in place (optimizers call this after a step)."""
    version = CHANGES[0] = CHANGES[0] + 1
    for t in tensors:
        t._version = version


READS_OUTPUT: set = set()  # backward rules that read their own result (exp's, softmax's)


def reads_output(rule):
    """Mark a backward rule that reads ``out._data``: changing that result in place before
    backward() is then refused (PyTorch saves such a result, and refuses the same)."""
    READS_OUTPUT.add(rule)
    return rule


SHAPES_ONLY: set = set()  # backward rules that read their inputs' shapes, never their values


def shapes_only(rule):
    """Mark a backward rule that needs only its inputs' shapes (add's, indexing's, sum's): an
    input changed in place afterwards by a recorded in-place op is no obstacle, as in PyTorch
    (its gradient goes to the input as it was when the rule's operation ran)."""
    SHAPES_ONLY.add(rule)
    return rule


def check_unchanged(node) -> None:
    """Refuse a node whose inputs, or whose own result when its rule reads it, changed in place
    after it was made; for a rule in ``SHAPES_ONLY``, an input that a recorded in-place op
    changed is replaced by what it was then (``as_it_was``)."""
    inputs = node._inputs
    for i, tensor in enumerate(inputs):
        if tensor._version > node._stamp:
            earlier = as_it_was(tensor, node._stamp) if node._backward in SHAPES_ONLY else None
            if earlier is None:
                _refuse(node, tensor)
            inputs = (*inputs[:i], earlier, *inputs[i + 1 :])
    node._inputs = inputs
    if node._backward in READS_OUTPUT and node._version > node._stamp:
        _refuse(node, node)


def as_it_was(tensor, stamp):
    """The tensor as it was at ``stamp`` when only recorded in-place ops changed it since: each
    recorded change leaves ``_before = (what it was, version of the change)``; else None."""
    found, link = None, getattr(tensor, "_before", None)
    while link is not None and link[1] > stamp:
        found = link[0]
        link = getattr(found, "_before", None)
    return found if found is not None and found._version <= stamp else None


def _refuse(node, tensor):
    name = node._backward.__name__.strip("_").removesuffix("_back")
    name = getattr(node._saved[0] if node._saved else None, "name", name)  # tanh, ...
    raise TensorRuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: a tensor of shape {tensor.shape} that {name} used was changed in "
        "place after it, before backward(); change tensors only after backward(), or write "
        "t = t + x."
    )
