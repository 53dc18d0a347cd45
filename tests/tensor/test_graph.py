"""The walk backward() takes (tensor/graph.py) and the seed it starts from."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.tensor import Tensor
from chainrule.tensor.graph import topological_order


def _interior(root):
    """Every operation reachable from root, found without any ordering."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node._backward is not None and node not in seen:
            seen.add(node)
            stack.extend(node._inputs)
    return seen


def _assert_topological(root):
    order = topological_order(root)
    assert len(order) == len(set(order)) == len(_interior(root))
    assert set(order) == _interior(root)
    position = {node: i for i, node in enumerate(order)}
    for node in order:  # each operation comes after every operation among its inputs
        for t in node._inputs:
            if t._backward is not None:
                assert position[t] < position[node]
    assert order[-1] is root


def test_a_chain_is_ordered_inputs_first():
    x = Tensor(np.ones(3), requires_grad=True)
    a = x.tanh()
    b = (a * 2.0).exp()
    c = b.sum()
    assert topological_order(c) == [a, b._inputs[0], b, c]
    _assert_topological(c)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.sampled_from("+*t")), max_size=12)
)
def test_any_graph_is_ordered_inputs_first(steps):
    """Random graphs of +, * and tanh over two leaves (diamonds, reuse, x * x): every order
    backward() walks puts each operation after its inputs and visits each once."""
    nodes = [Tensor(np.ones(2), requires_grad=True), Tensor(np.full(2, 0.5), requires_grad=True)]
    for i, j, op in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        # tanh after * keeps the values bounded: twelve squarings of sums would overflow
        nodes.append(a + b if op == "+" else (a * b).tanh() if op == "*" else a.tanh())
    root = sum(nodes[2:], nodes[0] * 1.0).sum()
    _assert_topological(root)


def test_a_diamond_gets_one_gradient_through_both_paths():
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    h = x.tanh()
    (h * h + h).sum().backward()
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad, (2 * t + 1) * (1 - t * t), rtol=1e-14)


def test_the_seed_is_never_handed_to_a_tensor_to_keep():
    """A loss's backward starts from a shared read-only one; a leaf root or a retained root
    gets its own writable copy, and the next backward still starts from 1."""
    leaf = Tensor(np.array(2.0), requires_grad=True)
    leaf.backward()
    leaf.grad.data += 5  # its own array
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * 3.0).sum()
    loss.retain_grad()
    loss.backward()
    loss.grad.data *= 7
    y = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (y * 3.0).sum().backward()
    assert leaf.grad.item() == 6.0 and loss.grad.item() == 7.0
    np.testing.assert_array_equal(y.grad, [3.0, 3.0])
