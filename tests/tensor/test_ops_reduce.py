"""Reductions (ops_reduce): sum, mean, var/std, max/min, logsumexp, softmax, log_softmax over
dims, values and gradients against HIPS autograd and central finite differences, also over
random shapes (hypothesis)."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from chainrule.tensor import Tensor

from .opcheck import (
    ag_log_softmax,
    ag_softmax,
    check,
    distinct,
    rand,
)

# ------------------------------------------------------------------------------------- reductions
REDUCTIONS = {
    "sum": (lambda t, **k: t.sum(**k), anp.sum),
    "mean": (lambda t, **k: t.mean(**k), anp.mean),
    "max": (lambda t, **k: t.amax(**k), anp.max),
    "min": (lambda t, **k: t.amin(**k), anp.min),
    "max_values": (  # max(dim) -> (values, indices), as in PyTorch
        lambda t, axis, keepdims: (
            t.amax(keepdims=keepdims) if axis is None else t.max(axis, keepdims).values
        ),
        anp.max,
    ),
    "min_values": (
        lambda t, axis, keepdims: (
            t.amin(keepdims=keepdims) if axis is None else t.min(dim=axis, keepdim=keepdims)[0]
        ),
        anp.min,
    ),
    "var_biased": (
        lambda t, **k: t.var(unbiased=False, **k),
        lambda x, **k: anp.var(x, **k),
    ),
    "std_biased": (
        lambda t, axis, keepdims: t.std(dim=axis, keepdim=keepdims, correction=0),
        lambda x, **k: anp.std(x, **k),
    ),
    "logsumexp": (
        lambda t, axis, keepdims: t.logsumexp(axis, keepdims),
        lambda x, axis, keepdims: anp.log(anp.sum(anp.exp(x), axis=axis, keepdims=keepdims)),
    ),
}


SHAPES_AND_AXES = [
    (shape, axis)
    for shape in [(5,), (3, 4), (2, 3, 4)]
    for axis in [None, 0, 1, -1]
    if axis is None or axis < len(shape)
]


@pytest.mark.parametrize("op", sorted(REDUCTIONS))
@pytest.mark.parametrize("shape, axis", SHAPES_AND_AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, shape, axis, keepdims):
    f, g = REDUCTIONS[op]
    check(
        lambda t: f(t, axis=axis, keepdims=keepdims),
        lambda x: g(x, axis=axis, keepdims=keepdims),
        distinct(*shape, seed=len(shape)),
    )


def test_sum_over_a_tuple_of_axes():
    check(
        lambda t: t.sum(axis=(0, 2), keepdims=False),
        lambda x: anp.sum(x, axis=(0, 2)),
        rand(2, 3, 4),
    )
    check(
        lambda t: t.mean(axis=(0, -1), keepdims=True),
        lambda x: anp.mean(x, axis=(0, -1), keepdims=True),
        rand(2, 3, 4),
    )


def test_max_default_is_over_everything():
    x = distinct(3, 4, seed=9)
    t = Tensor(x, requires_grad=True)
    m = t.max()
    assert m.shape == ()
    assert m.item() == x.max()
    m.backward()
    expected = np.zeros_like(x)
    expected[np.unravel_index(np.argmax(x), x.shape)] = 1.0
    np.testing.assert_array_equal(t.grad, expected)


def test_max_shares_the_gradient_between_ties():
    t = Tensor(np.array([1.0, 3.0, 3.0, 2.0]), requires_grad=True)
    t.max().backward()
    np.testing.assert_allclose(t.grad, [0.0, 0.5, 0.5, 0.0])


# ------------------------------------------------------------------------------------- softmax
@pytest.mark.parametrize("axis", [0, -1, 1])
@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["moderate", "logits_1000"])
def test_softmax(axis, scale):
    x = rand(3, 4, seed=11) * scale
    x[0, 0] = scale  # at scale 1000: logits of exactly 1000 next to ones of -1000
    check(lambda t: t.softmax(axis=axis), lambda a: ag_softmax(a, axis), x)


@pytest.mark.parametrize("axis", [0, -1, 1])
@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["moderate", "logits_1000"])
def test_log_softmax(axis, scale):
    x = rand(3, 4, seed=12) * scale
    x[0, 0] = scale
    check(lambda t: t.log_softmax(axis=axis), lambda a: ag_log_softmax(a, axis), x, num_atol=1e-5)


def test_softmax_of_huge_logits_is_exact_and_finite():
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0]])
    t = Tensor(x, requires_grad=True)
    p = t.softmax(axis=-1)
    np.testing.assert_allclose(p.numpy(), [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)
    lp = t.log_softmax(axis=-1)
    np.testing.assert_allclose(
        lp.numpy(), [[0.0, -1000.0, -2000.0], [-math.log(3)] * 3], rtol=1e-14, atol=1e-12
    )
    (p[0, 0] + lp.sum()).backward()
    assert np.all(np.isfinite(t.grad))


def test_softmax_is_the_exponential_of_log_softmax_and_sums_to_one():
    x = rand(4, 5, seed=13) * 30
    p = Tensor(x).softmax(axis=0).numpy()
    np.testing.assert_allclose(p.sum(axis=0), np.ones(5), rtol=1e-14)
    np.testing.assert_allclose(np.exp(Tensor(x).log_softmax(axis=0).numpy()), p, rtol=1e-12)


@st.composite
def reduction_case(draw):
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    n = int(np.prod(shape))
    order = draw(st.permutations(range(n)))
    jitter = draw(arrays(np.float64, (n,), elements=st.floats(0.0, 0.05)))
    x = (np.array(order, dtype=np.float64) * 0.25 - n / 8 + jitter).reshape(shape)  # distinct
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    keepdims = draw(st.booleans())
    return x, axis, keepdims


@pytest.mark.parametrize("op", sorted(REDUCTIONS))
@settings(max_examples=100, deadline=None)
@given(case=reduction_case())
def test_reductions_over_random_shapes_match_autograd(op, case):
    x, axis, keepdims = case
    # the spread of one number is 0, where sqrt has no derivative
    assume(not (op.startswith("std") and (x.size if axis is None else x.shape[axis]) == 1))
    f, g = REDUCTIONS[op]
    (t,) = check(
        lambda t: f(t, axis=axis, keepdims=keepdims),
        lambda a: g(a, axis=axis, keepdims=keepdims),
        x,
    )
    assert t.grad.shape == x.shape
