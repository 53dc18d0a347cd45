"""In-place changes (ops_inplace) and the version check that keeps a graph from using values
changed after it was built."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import numeric_gradient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import chainrule.tensor
from chainrule.errors import InputError
from chainrule.tensor import Tensor, no_grad

from .opcheck import (
    _one_line,
    away_from_zero,
    rand,
    weights,
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


# ------------------------------------------------------------------------ recorded in a graph
# Each program is typed once and run twice: on chainrule (lib = chainrule.tensor) and on PyTorch
# (lib = torch), so PyTorch is the judge of what an in-place op in a graph means; central finite
# differences of chainrule's own forward pass are the second judge of the gradients.
def _updated(lib, y, w, how):
    """``y`` changed in place by ``how``, with the leaf ``w`` (shape (4,)) as the operand."""
    if how == "iadd":
        y += w
    elif how == "isub":
        y -= w * 2
    elif how == "imul":
        y *= w
    elif how == "idiv":
        y /= w
    elif how == "add_alpha":
        y.add_(w, alpha=-0.5)
    elif how == "sub_alpha":
        y.sub_(w, alpha=3)
    elif how == "setitem_value":
        y[1] = w * 3
    elif how == "setitem_row_slice":
        y[0, 1:3] = w[:2]
    elif how == "copy_":
        y.copy_(w)  # broadcast over the rows
    elif how == "clamp_":
        y.clamp_(-1.0, 1.0)
    elif how == "zero_":
        y.zero_()
    elif how == "fill_":
        y.fill_(2.5)
    elif how == "twice":
        y += w
        y *= w
    return y


def _program(lib, x0, w0, how):
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
    y = x * 1.5 + 0.25  # a non-leaf that requires grad (its rule needs no saved value)
    y = _updated(lib, y, w, how)
    loss = (y * lib.tensor(weights((3, 4)), dtype=lib.float64)).sum() + (y * y).sum()
    return loss, x, w


IN_GRAPH = [
    "iadd",
    "isub",
    "imul",
    "idiv",
    "add_alpha",
    "sub_alpha",
    "setitem_value",
    "setitem_row_slice",
    "copy_",
    "clamp_",
    "zero_",
    "fill_",
    "twice",
]


@pytest.mark.parametrize("how", IN_GRAPH)
def test_in_place_ops_in_a_graph_are_recorded_as_pytorch_records_them(how):
    x0, w0 = rand(3, 4, seed=5), away_from_zero(4, seed=6)
    loss, x, w = _program(torch, x0, w0, how)
    loss.backward()
    ours, tx, tw = _program(chainrule.tensor, x0, w0, how)
    ours.backward()
    np.testing.assert_allclose(ours.item(), loss.item(), rtol=1e-12)
    for mine, theirs in ((tx, x), (tw, w)):
        expected = np.zeros(mine.shape) if theirs.grad is None else theirs.grad.numpy()
        got = np.zeros(mine.shape) if mine.grad is None else mine.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    for i, (t, a) in enumerate(((tx, x0), (tw, w0))):

        def forward(v, i=i):
            args = (v, w0) if i == 0 else (x0, v)
            with chainrule.tensor.no_grad():
                return _program(chainrule.tensor, *args, how)[0].item()

        got = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(got, numeric_gradient(forward, a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("made_by", ["softmax", "an_addition"])
def test_the_backprop_ninja_line_and_later_uses_backpropagate_as_in_pytorch(made_by):
    """``dlogits[range(n), Yb] -= 1`` (makemore part 4) reads ``dlogits[...]`` and then changes
    ``dlogits``; ``z = y + 1; y += 1`` uses ``y`` and then changes it. Indexing's and addition's
    rules need no old values, so backward goes through (to each tensor as it was when used);
    softmax's needs its result, so backward through a changed softmax is refused. As PyTorch."""
    logits0, labels = rand(3, 4, seed=9), [0, 3, 1]
    results = []
    for lib in (torch, chainrule.tensor):
        logits = lib.tensor(logits0, requires_grad=True)
        dlogits = lib.nn.functional.softmax(logits, 1) if made_by == "softmax" else logits + 0.5
        dlogits[range(3), labels] -= 1
        dlogits /= 3
        y = logits * 2
        z = y + 1
        y += 1
        y *= logits
        loss = (dlogits * dlogits).sum() + (z * z).sum() + y.sum()
        if made_by == "softmax":
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                loss.backward()
            continue
        loss.backward()
        results.append([t.detach().numpy().copy() for t in (dlogits, loss, logits.grad)])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_a_linear_layer_adding_its_bias_in_place_trains_as_in_pytorch():
    """makemore part 3's Linear: ``self.out = x @ self.weight; self.out += self.bias``, with
    ``layer.out.retain_grad()`` (matmul's backward does not need its result)."""
    x0, w0, b0 = rand(5, 3, seed=1), rand(3, 4, seed=2), rand(4, seed=3)
    results = []
    for lib in (torch, chainrule.tensor):
        x = lib.tensor(x0)
        w = lib.tensor(w0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        out = x @ w
        out += b
        out.retain_grad()
        loss = out.tanh().pow(2).mean()
        loss.backward()
        results.append([t.numpy() for t in (loss.detach(), out.grad, w.grad, b.grad)])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


CHANGED_AFTER_SAVED = {
    "exp's result": lambda lib, x: (x.exp(), lambda y: y.add_(1)),
    "tanh's result": lambda lib, x: (x.tanh(), lambda y: y.mul_(2)),
    "sigmoid's result": lambda lib, x: (x.sigmoid(), lambda y: y.zero_()),
    "softmax's result": lambda lib, x: (x.softmax(-1), lambda y: y.__setitem__(0, 1.0)),
    "a product's input": lambda lib, x: (x * 2, lambda y: None),
}


@pytest.mark.parametrize("case", sorted(CHANGED_AFTER_SAVED))
def test_a_value_saved_for_backward_then_changed_in_place_is_refused_like_pytorch(case):
    for lib in (torch, chainrule.tensor):
        x = lib.tensor(rand(2, 3), requires_grad=True)
        y, change = CHANGED_AFTER_SAVED[case](lib, x)
        if case == "a product's input":
            loss = (y * y).sum()
            y += 1
        else:
            loss = y.sum() * 1.0
            change(y)
            loss = loss + y.sum()
        with pytest.raises(RuntimeError) as e:
            loss.backward()
        assert "modified by an inplace operation" in str(e.value)
    assert "\n" not in str(e.value) and isinstance(e.value, InputError)


def test_an_in_place_change_to_a_leaf_that_requires_grad_is_a_runtime_error_like_pytorch():
    for lib in (torch, chainrule.tensor):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            p.add_(1)


def test_adding_a_tensor_that_requires_grad_into_a_constant_puts_the_constant_in_the_graph():
    for lib in (torch, chainrule.tensor):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        total = lib.zeros(2)
        total += w * w
        assert total.requires_grad and not total.is_leaf
        total.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


# ------------------------------------------------------------------------ .data changes p
DATA_CHANGES = {
    "+=": lambda d: d.__iadd__(0.5),
    "-= tensor": lambda d: d.__isub__(d * 0.25),
    "*=": lambda d: d.__imul__(3.0),
    "add_ alpha": lambda d: d.add_(d, alpha=-0.1),
    "copy_": lambda d: d.copy_(d * 0 + 7.0),
    "zero_": lambda d: d.zero_(),
    "fill_": lambda d: d.fill_(-2.0),
    "clamp_": lambda d: d.clamp_(-0.5, 0.5),
}


@pytest.mark.parametrize("change", sorted(DATA_CHANGES))
def test_in_place_ops_on_dot_data_change_the_parameter_as_in_pytorch(change):
    values = []
    for lib in (torch, chainrule.tensor):
        p = lib.tensor(rand(2, 3), requires_grad=True)
        DATA_CHANGES[change](p.data)
        assert p.requires_grad and p.is_leaf and p.shape == (2, 3)
        values.append(p.detach().numpy().copy())
    np.testing.assert_allclose(values[1], values[0], rtol=1e-15)


@pytest.mark.parametrize("fill", ["normal_", "uniform_"])
def test_random_fills_on_dot_data_draw_from_the_law_and_repeat_with_a_generator(fill):
    p = chainrule.tensor.zeros(200, 100, requires_grad=True)
    args = (1.0, 2.0)
    g = chainrule.tensor.Generator().manual_seed(7)
    getattr(p.data, fill)(*args, generator=g)
    x = p.detach().numpy().copy()
    if fill == "normal_":  # N(1, 2^2): mean 1 +- 5 standard errors, sd 2 within 2%
        assert abs(x.mean() - 1.0) < 5 * 2 / np.sqrt(x.size) and abs(x.std() / 2 - 1) < 0.02
    else:  # U[1, 2)
        assert x.min() >= 1.0 and x.max() < 2.0 and abs(x.mean() - 1.5) < 5 * 0.29 / 100
    assert p.dtype == chainrule.tensor.float32 and p.requires_grad
    getattr(p.data, fill)(*args, generator=g.manual_seed(7))
    np.testing.assert_array_equal(p.detach().numpy(), x)


def test_setting_an_index_out_of_range_is_an_index_error_in_one_sentence():
    t = chainrule.tensor.zeros(3)
    with pytest.raises(IndexError) as e:
        t[5] = 1.0
    assert "(3,)" in _one_line(e) and "5" in str(e.value)
    with pytest.raises(IndexError):
        torch.zeros(3)[5] = 1.0


ARITHMETIC = {"iadd": "__iadd__", "isub": "__isub__", "imul": "__imul__", "idiv": "__itruediv__"}


@st.composite
def in_place_case(draw):
    """A shape for ``y``, a shape that broadcasts to it for the operand (never beyond it), a dtype,
    and values in [-2, 2] (operands of a division at least 0.5 away from zero)."""
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    cut = draw(st.integers(0, len(shape)))  # fewer leading dimensions, some sizes 1
    w_shape = tuple(draw(st.sampled_from([n, 1])) for n in shape[cut:])
    dtype = draw(st.sampled_from(["float32", "float64"]))
    values = st.floats(-2.0, 2.0, width=32)
    away = st.one_of(st.floats(0.5, 2.0, width=32), st.floats(-2.0, -0.5, width=32))
    x = draw(arrays(np.float64, shape, elements=values))
    w = draw(arrays(np.float64, w_shape, elements=away))
    return x, w, dtype


@pytest.mark.parametrize("how", sorted(ARITHMETIC))
@settings(max_examples=40, deadline=None)
@given(case=in_place_case())
def test_in_place_arithmetic_over_random_shapes_and_dtypes_matches_pytorch(how, case):
    x0, w0, dtype = case
    results = []
    for lib in (torch, chainrule.tensor):
        x = lib.tensor(x0, dtype=getattr(lib, dtype), requires_grad=True)
        w = lib.tensor(w0, dtype=getattr(lib, dtype), requires_grad=True)
        y = x * 2 - 1
        getattr(y, ARITHMETIC[how])(w)
        (y * y).sum().backward()
        results.append([t.detach().numpy() for t in (y, x.grad, w.grad)])
    # a gradient sums at most 64 terms of size <= 400 (|y / w| <= 10, |y| <= 5, |w| >= 0.5), in
    # an order numpy and torch may choose differently: 64 * 400 * eps bounds the difference
    rtol, atol = {"float32": (1e-4, 5e-3), "float64": (1e-10, 1e-9)}[dtype]
    for theirs, ours in zip(*results):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
