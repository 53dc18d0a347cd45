"""In-place changes (ops_inplace) and the version check that keeps a graph from using values
changed after it was built."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.errors import InputError
from chainrule.tensor import Tensor, no_grad

from .opcheck import (
    _one_line,
    rand,
)


def test_in_place_change_of_an_interior_tensor_used_in_the_graph_is_detected():
    x = Tensor(rand(3), requires_grad=True)
    y = x * 2.0
    loss = (y * y).sum()
    with no_grad():
        y += 1.0
    with pytest.raises(InputError) as e:
        loss.backward()
    message = _one_line(e)
    assert "in place" in message and "(3,)" in message
    assert x.grad is None


def test_in_place_change_of_a_constant_used_in_the_graph_is_detected():
    x = Tensor(rand(3), requires_grad=True)
    c = Tensor(rand(3, seed=1))
    loss = (x * c).sum()
    c[0] = 5.0  # c needs no grad, so this is allowed, but the product's gradient needs c
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "in place" in _one_line(e)


@pytest.mark.parametrize("how", ["iadd", "isub", "imul", "idiv", "setitem", "zero_"])
def test_in_place_change_of_a_leaf_under_no_grad_after_use_is_detected(how):
    p = Tensor(rand(3) + 3.0, requires_grad=True)
    loss = (p.tanh() * p).sum()
    with no_grad():
        _change_in_place(p, how)
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "in place" in _one_line(e)


def test_an_optimizer_step_before_backward_is_detected():
    from chainrule.optim import SGD

    p = Tensor(rand(3), requires_grad=True)
    opt = SGD([p], lr=0.1)
    (p * p).sum().backward()
    loss = (p * p).sum()  # built with the current values
    opt.step()  # changes p in place
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "in place" in _one_line(e)


def test_in_place_change_of_an_output_its_own_backward_needs_is_detected():
    # exp's backward rule uses its output y (exp' = y): changing y in place, then using it,
    # would give the gradient 2 e^x instead of e^x. PyTorch raises here; so must this engine.
    x = Tensor(np.zeros(3), requires_grad=True)
    y = x.exp()
    with no_grad():
        y *= 2.0
    loss = y.sum()
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "in place" in _one_line(e)


def test_changes_made_before_the_graph_was_built_are_fine():
    x = Tensor(rand(3), requires_grad=True)
    with no_grad():
        x += 1.0
    x0 = x.numpy().copy()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x0)


@pytest.mark.parametrize("how", ["iadd", "isub", "imul", "idiv", "setitem", "zero_"])
def test_in_place_change_of_a_leaf_that_requires_grad_is_refused_outside_no_grad(how):
    x0 = rand(3) + 3.0
    p = Tensor(x0.copy(), requires_grad=True)
    with pytest.raises(InputError) as e:
        _change_in_place(p, how)
    assert "no_grad" in _one_line(e)
    np.testing.assert_array_equal(p.numpy(), x0)  # refused before touching the data


def _change_in_place(p, how):
    """One of the Tensor API's in-place changes, by name."""
    if how == "iadd":
        p += 1.0
    elif how == "isub":
        p -= 1.0
    elif how == "imul":
        p *= 2.0
    elif how == "idiv":
        p /= 2.0
    elif how == "setitem":
        p[1] = 0.0
    else:
        p.zero_()
