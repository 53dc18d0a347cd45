"""Shape ops (ops_shape): reshape, transpose, indexing, concatenate, matmul, values and gradients
against HIPS autograd and central finite differences; bad shapes named in one sentence."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch
from autograd import grad as ag_grad

from chainrule.errors import InputError
from chainrule.tensor import Tensor, concatenate, where

from .opcheck import (
    _one_line,
    check,
    rand,
    weights,
)


# ------------------------------------------------------------------------------------- matmul
@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,)), ((1, 5), (5, 1))],
    ids=["2d@2d", "2d@1d", "1d@2d", "1d@1d", "row@col"],
)
def test_matmul(a_shape, b_shape):
    check(lambda a, b: a @ b, lambda a, b: anp.dot(a, b), rand(*a_shape), rand(*b_shape, seed=7))


def test_matmul_with_a_plain_array_on_either_side():
    M = rand(2, 3, seed=8)
    check(lambda b: M @ b, lambda b: anp.dot(M, b), rand(3, 4))
    check(lambda a: a @ M.T, lambda a: anp.dot(a, M.T), rand(5, 3))


# ------------------------------------------------------------------------------------- shapes
SHAPE_OPS = {
    "reshape_tuple": (lambda t: t.reshape((2, 6)), lambda x: anp.reshape(x, (2, 6)), (3, 4)),
    "reshape_varargs": (lambda t: t.reshape(4, 3), lambda x: anp.reshape(x, (4, 3)), (3, 4)),
    "reshape_minus_one": (lambda t: t.reshape(-1), lambda x: anp.reshape(x, (-1,)), (3, 4)),
    "reshape_3d": (lambda t: t.reshape(2, -1, 2), lambda x: anp.reshape(x, (2, 3, 2)), (3, 4)),
    "T_2d": (lambda t: t.T, lambda x: x.T, (3, 4)),
    "transpose_2d": (lambda t: t.transpose(), lambda x: anp.transpose(x), (3, 4)),
    "T_3d_reverses": (lambda t: t.T, lambda x: anp.transpose(x), (2, 3, 4)),
    "transpose_3d_axes_varargs": (
        lambda t: t.transpose(2, 0, 1),
        lambda x: anp.transpose(x, (2, 0, 1)),
        (2, 3, 4),
    ),
    "transpose_3d_axes_tuple": (
        lambda t: t.transpose((1, 2, 0)),
        lambda x: anp.transpose(x, (1, 2, 0)),
        (2, 3, 4),
    ),
    "transpose_3d_swap_last": (
        lambda t: t.transpose(0, 2, 1),
        lambda x: anp.transpose(x, (0, 2, 1)),
        (2, 3, 4),
    ),
    # numpy (and torch.permute) accept negative axes; the gradient must come back in x's shape.
    "transpose_3d_negative_axes": (
        lambda t: t.transpose(0, -1, 1),
        lambda x: anp.transpose(x, (0, 2, 1)),
        (2, 3, 4),
    ),
    "transpose_3d_negative_axes_cycle": (
        lambda t: t.transpose(-1, 0, -2),
        lambda x: anp.transpose(x, (2, 0, 1)),
        (2, 3, 4),
    ),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    f, g, shape = SHAPE_OPS[name]
    check(f, g, rand(*shape, seed=14))


# ------------------------------------------------------------------------------------- indexing
REPEATED = np.array([0, 2, 0, 0, 3])
INDEXING = {
    "slice_rows": (lambda t: t[1:3], lambda x: x[1:3]),
    "slice_step_cols": (lambda t: t[:, ::2], lambda x: x[:, ::2]),
    "slice_negative_step": (lambda t: t[::-1, 1:], lambda x: x[::-1, 1:]),
    "one_row": (lambda t: t[2], lambda x: x[2]),
    "one_element": (lambda t: t[1, 2], lambda x: x[1, 2]),
    "ellipsis": (lambda t: t[..., 1], lambda x: x[..., 1]),
    "int_array_repeats": (lambda t: t[REPEATED], lambda x: x[REPEATED]),
    "int_list_repeats": (lambda t: t[[1, 1, 1]], lambda x: x[np.array([1, 1, 1])]),
    "int_tensor_repeats": (lambda t: t[Tensor(REPEATED)], lambda x: x[REPEATED]),
    "pairs_repeat": (
        lambda t: t[np.array([0, 0, 3, 0]), np.array([1, 1, 2, 1])],
        lambda x: x[np.array([0, 0, 3, 0]), np.array([1, 1, 2, 1])],
    ),
    "rows_then_cols_repeat": (
        lambda t: t[REPEATED][:, np.array([2, 2, 0])],
        lambda x: x[REPEATED][:, np.array([2, 2, 0])],
    ),
    "negative_indices": (lambda t: t[np.array([-1, -1, 0])], lambda x: x[np.array([-1, -1, 0])]),
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing(name):
    f, g = INDEXING[name]
    check(f, g, rand(4, 3, seed=15))


def test_repeated_index_gradients_add_up_exactly():
    t = Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    t[np.array([0, 0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 0.0, 1.0])


# ------------------------------------------------------------------------------------- concatenate
@pytest.mark.parametrize(
    "axis, shapes",
    [(0, [(2, 3), (1, 3), (4, 3)]), (1, [(2, 3), (2, 1), (2, 4)]), (-1, [(2, 2), (2, 5)])],
    ids=["axis0", "axis1", "axis-1"],
)
def test_concatenate(axis, shapes):
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    check(
        lambda *ts: concatenate(ts, axis=axis),
        lambda *xs: anp.concatenate(xs, axis=axis),
        *arrays,
    )


def test_concatenate_with_a_constant_and_the_same_tensor_twice():
    c = rand(1, 3, seed=16)
    check(
        lambda t: concatenate([t, Tensor(c), t * 2.0], axis=0),
        lambda x: anp.concatenate([x, c, x * 2.0], axis=0),
        rand(2, 3),
    )


def test_matmul_with_mismatched_inner_dimensions_names_both_shapes():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((4, 5)))
    with pytest.raises(InputError) as e:
        a @ b
    message = _one_line(e)
    assert "(2, 3)" in message and "(4, 5)" in message
    assert "matmul" in message or "@" in message
    with pytest.raises(InputError) as e:
        Tensor(np.ones(3)) @ Tensor(np.ones((4, 2)))
    message = _one_line(e)
    assert "(3,)" in message and "(4, 2)" in message


def test_concatenate_and_where_mismatches_name_the_shapes():
    with pytest.raises(InputError) as e:
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)
    message = _one_line(e)
    assert "(2, 3)" in message and "(2, 4)" in message and "concatenate" in message
    with pytest.raises(InputError) as e:
        where(np.ones((2, 3), dtype=bool), Tensor(np.ones(3)), Tensor(np.ones(4)))
    message = _one_line(e)
    assert "(3,)" in message and "(4,)" in message


def test_reshape_to_an_impossible_shape_names_both():
    t = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(InputError) as e:
        t.reshape(5, 2)
    message = _one_line(e)
    assert "(3, 4)" in message and "(5, 2)" in message


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5))],
    ids=["3d@2d", "2d@3d", "3d@3d"],
)
def test_batched_matmul_is_either_refused_up_front_or_differentiated_correctly(a_shape, b_shape):
    A, B = rand(*a_shape, seed=30), rand(*b_shape, seed=31)
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    try:
        out = a @ b
    except InputError as e:  # refusing stacks of matrices is fine, with the shapes named
        assert str(a_shape) in str(e) and str(b_shape) in str(e)
        return
    W = weights(out.shape)
    (out * Tensor(W)).sum().backward()  # accepted forward: the backward must work and be right
    f = lambda x, y: anp.sum(anp.matmul(x, y) * W)
    np.testing.assert_allclose(a.grad, ag_grad(f, 0)(A, B), rtol=1e-10)
    np.testing.assert_allclose(b.grad, ag_grad(f, 1)(A, B), rtol=1e-10)


# ------------------------------------------------------------------------------------- issue 21
LIKE = {
    # times b, so that b gets a gradient too; autograd's broadcast is a product with ones
    "view_as": (lambda a, b: a.view_as(b) * b, lambda a, b: anp.reshape(a, b.shape) * b),
    "reshape_as": (lambda a, b: a.reshape_as(b) * b, lambda a, b: anp.reshape(a, b.shape) * b),
    "expand_as": (lambda a, b: a.expand_as(b) * b, lambda a, b: a * np.ones(b.shape) * b),
}


@pytest.mark.parametrize("name", sorted(LIKE))
def test_shaped_like_another_tensor(name):
    f, g = LIKE[name]
    shapes = {"expand_as": ((3, 1), (2, 3, 4))}.get(name, ((3, 4), (2, 6)))
    check(f, g, rand(*shapes[0]), rand(*shapes[1], seed=1))


@pytest.mark.parametrize(
    "shape, sizes",
    [((3,), (2, 3)), ((3, 1), (3, 4)), ((3, 1), (-1, 5)), ((1, 4), (2, 3, 4)), ((2,), (2,))],
)
def test_expand_matches_pytorch_and_sums_the_gradient_back(shape, sizes):
    x0 = rand(*shape)
    check(
        lambda t: t.expand(*sizes),
        lambda a: a * np.ones(torch.zeros(shape).expand(*sizes).shape),
        x0,
    )
    assert Tensor(x0).expand(sizes).shape == tuple(torch.tensor(x0).expand(*sizes).shape)


@pytest.mark.parametrize("shape, sizes", [((3,), (2, 4)), ((2, 3), (3,)), ((3,), (-1, 3))])
def test_expand_to_an_impossible_shape_is_refused_in_one_sentence(shape, sizes):
    with pytest.raises(RuntimeError):
        torch.zeros(shape).expand(*sizes)
    with pytest.raises(InputError) as e:
        Tensor(np.zeros(shape)).expand(*sizes)
    assert str(shape) in _one_line(e)
