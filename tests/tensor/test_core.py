"""The Tensor core: gradients accumulate where a tensor is used twice, leaves own their .grad,
deep and wide graphs, no_grad/detach, dtypes kept, backward()'s bad input."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor import Tensor, no_grad

from .opcheck import (
    _one_line,
    ag_softmax,
    rand,
)


# ------------------------------------------------------------------------------------- dtypes
def test_float32_stays_float32_through_ops_and_gradients():
    x = Tensor(rand(3, 4).astype(np.float32), requires_grad=True)
    w = Tensor(rand(4, 2, seed=1).astype(np.float32), requires_grad=True)
    out = ((x @ w).tanh() * 2.0 + 1).softmax(axis=-1).log().mean() / 3
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    x64, w64 = x.numpy().astype(np.float64), w.numpy().astype(np.float64)
    ref = ag_grad(
        lambda a, b: anp.mean(anp.log(ag_softmax(anp.tanh(anp.dot(a, b)) * 2.0 + 1, -1))) / 3
    )(x64, w64)
    np.testing.assert_allclose(x.grad, ref, rtol=1e-4, atol=1e-6)


def test_public_entry_point_is_from_chainrule_import_tensor():
    import chainrule
    import chainrule.tensor

    assert chainrule.Tensor is chainrule.tensor.Tensor  # the issue: `from chainrule import Tensor`


# ------------------------------------------------------------------------------------- accumulation
def test_a_tensor_used_twice_gets_both_contributions():
    x0 = np.array([0.5, -1.5, 2.0])
    x = Tensor(x0, requires_grad=True)
    y = x * x + x.exp()  # d/dx = 2x + e^x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x0 + np.exp(x0), rtol=1e-14)

    z = Tensor(x0, requires_grad=True)
    (z + z + z).sum().backward()  # the same array object flows to z three times
    np.testing.assert_array_equal(z.grad, [3.0, 3.0, 3.0])


def test_two_leaves_fed_the_same_gradient_array_do_not_share_it():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    (a * 2.0).sum().backward()  # accumulating into a must not change b
    np.testing.assert_array_equal(a.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_leaf_grad_does_not_alias_the_array_passed_to_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    G = np.array([1.0, 2.0, 3.0])
    (x + 1.0).backward(G)
    G[0] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


def test_leaf_grad_does_not_alias_data_or_views():
    x = Tensor(np.arange(6.0), requires_grad=True)
    x.reshape(2, 3).sum().backward()  # reshape's gradient is a view of a broadcast
    assert x.grad.numpy().flags.writeable and x.grad.shape == (6,)
    x.grad[0] = 5.0  # the caller may write into its own .grad
    np.testing.assert_array_equal(x.grad, [5.0, 1, 1, 1, 1, 1])


def test_leaves_accumulate_across_backward_calls():
    x0 = np.array([[0.3, -0.7], [1.1, 0.2]])
    x = Tensor(x0, requires_grad=True)
    for k in range(1, 4):
        (x.tanh() * 2.0).sum().backward()
        np.testing.assert_allclose(x.grad, k * 2.0 * (1 - np.tanh(x0) ** 2), rtol=1e-14)


def test_backward_on_a_leaf_itself():
    x = Tensor(np.array(2.0), requires_grad=True)
    x.backward()
    assert x.grad == 1.0
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    G = np.array([3.0, 4.0])
    v.backward(G)
    G[:] = 0
    np.testing.assert_array_equal(v.grad, [3.0, 4.0])


def test_interior_tensors_keep_no_gradient_and_constants_get_none():
    x = Tensor(rand(3), requires_grad=True)
    c = Tensor(rand(3, seed=1))  # a constant: no requires_grad
    h = x * c
    k = h.exp()
    loss = k.sum()
    loss.backward()
    assert h.grad is None and k.grad is None and loss.grad is None
    assert c.grad is None
    assert x.grad is not None
    assert h.requires_grad and not c.requires_grad


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = Tensor(rand(3), requires_grad=True)
    with no_grad():
        y = x * 2.0
    assert not y.requires_grad
    d = x.detach()
    assert not d.requires_grad
    np.testing.assert_array_equal(d.numpy(), x.numpy())
    loss = (x * d).sum()  # d is a constant: dloss/dx = d
    loss.backward()
    np.testing.assert_array_equal(x.grad, x.numpy())


def test_a_deep_chain_backpropagates_without_recursion_error():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    n = 5000
    for _ in range(n):
        y = y * 1.0001 + 0.0  # two operations per step: 10 000 nodes deep
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**n] * 2, rtol=1e-10)


def test_a_wide_fan_in_accumulates_every_path():
    x = Tensor(np.array([0.5]), requires_grad=True)
    total = x * 0.0
    for k in range(1, 301):
        total = total + x * float(k)
    total.sum().backward()
    np.testing.assert_allclose(x.grad, [300 * 301 / 2], rtol=1e-14)


def test_backward_on_a_non_scalar_without_grad_says_what_it_needs():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(InputError) as e:
        y.backward()
    message = _one_line(e)
    assert "(2, 3)" in message and "grad" in message


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(InputError) as e:
        y.backward(np.ones((3, 2)))
    message = _one_line(e)
    assert "(2, 3)" in message and "(3, 2)" in message


def test_backward_with_nothing_to_differentiate_says_so():
    loss = (Tensor(np.ones(3)) * 2.0).sum()
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "nothing to differentiate" in _one_line(e)
    with pytest.raises(InputError) as e:
        Tensor(3.0).backward()
    assert "nothing to differentiate" in _one_line(e)


def test_requires_grad_on_an_integer_tensor_is_refused():
    with pytest.raises(InputTypeError) as e:
        Tensor(np.arange(3), requires_grad=True)
    message = _one_line(e)
    assert "int" in message and "float" in message


def test_non_numeric_data_is_refused():
    with pytest.raises(InputTypeError) as e:
        Tensor(np.array(["a", "b"]))
    _one_line(e)
    with pytest.raises(InputTypeError) as e:
        Tensor({"a": 1})
    _one_line(e)


def test_no_grad_nests_and_restores_after_an_exception():
    from chainrule.tensor import is_grad_enabled

    assert is_grad_enabled()
    with pytest.raises(KeyError), no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        raise KeyError
    assert is_grad_enabled()
    x = Tensor(np.ones(2), requires_grad=True)
    assert (x * 2.0).requires_grad
