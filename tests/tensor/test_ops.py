"""The Tensor engine, op by op: every forward value and every gradient against HIPS autograd (the
same expression written in ``autograd.numpy``) and against central finite differences; broadcasting
and reductions over random shapes (hypothesis); accumulation; deep graphs; bad input."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from autograd.scipy.special import expit as ag_expit
from autograd.scipy.special import logsumexp as ag_logsumexp
from conftest import numeric_gradient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, mutually_broadcastable_shapes

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor import Tensor, concatenate, no_grad, where

LEAKY = 0.01


# ------------------------------------------------------------------------------------- helper
def _weights(shape, seed=12345):
    """A fixed random weighting W: the test loss is (out * W).sum(), so every output element
    contributes with its own factor and a wrong gradient cannot hide behind a uniform seed."""
    return np.random.default_rng(seed).standard_normal(shape)


def check(f, g, *arrays, num_rtol=1e-5, num_atol=1e-6, ag_rtol=1e-10, ag_atol=1e-12):
    """``f(*tensors)`` (Tensor ops) against ``g(*arrays)`` (the same maths in autograd.numpy).

    Checks the forward value, then the gradient of ``(f * W).sum()`` with respect to every input:
    against autograd (to ``ag_rtol``) and against central differences of ``f``'s forward pass
    (to ``num_rtol``). Returns the tensors, for extra checks."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*tensors)
    assert isinstance(out, Tensor)
    expected = np.asarray(g(*arrays))
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-13)

    W = _weights(out.shape)
    loss = (out * Tensor(W)).sum()
    loss.backward()

    for i, (t, a) in enumerate(zip(tensors, arrays)):
        reference = ag_grad(lambda *xs: anp.sum(g(*xs) * W), argnum=i)(*arrays)
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == a.shape, f"input {i}: grad shape {t.grad.shape} != {a.shape}"
        np.testing.assert_allclose(t.grad, reference, rtol=ag_rtol, atol=ag_atol)

        def forward_only(xi, i=i):
            inputs = [Tensor(xi if j == i else arrays[j]) for j in range(len(arrays))]
            return float(np.sum(f(*inputs).numpy() * W))

        numeric = numeric_gradient(forward_only, a)
        np.testing.assert_allclose(t.grad, numeric, rtol=num_rtol, atol=num_atol)
    return tensors


def rand(*shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from_zero(*shape, seed=0, low=0.3, high=2.0):
    """Values with |x| in [low, high] and random signs (no kinks, no division by ~0)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(*shape, seed=0):
    """Values at least 0.1 apart (so max has no ties, even after a finite-difference nudge)."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01, n)).reshape(shape)


def ag_softmax(x, axis):
    z = x - ag_logsumexp(x, axis=axis, keepdims=True)
    return anp.exp(z)


def ag_log_softmax(x, axis):
    return x - ag_logsumexp(x, axis=axis, keepdims=True)


# ------------------------------------------------------------------------------------- arithmetic
ARITHMETIC = {
    # name: (f on tensors, g on autograd arrays, input arrays)
    "add": (lambda a, b: a + b, lambda a, b: a + b, (rand(3, 4, seed=1), rand(3, 4, seed=2))),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, (rand(3, 4, seed=1), rand(3, 4, seed=2))),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, (rand(3, 4, seed=1), rand(3, 4, seed=2))),
    "div": (
        lambda a, b: a / b,
        lambda a, b: a / b,
        (rand(3, 4, seed=1), away_from_zero(3, 4, seed=2)),
    ),
    "add_broadcast_row": (lambda a, b: a + b, lambda a, b: a + b, (rand(3, 4), rand(4, seed=3))),
    "sub_broadcast_col": (lambda a, b: a - b, lambda a, b: a - b, (rand(3, 1), rand(3, 4, seed=3))),
    "mul_broadcast_both": (
        lambda a, b: a * b,
        lambda a, b: a * b,
        (rand(3, 1), rand(1, 4, seed=3)),
    ),
    "div_broadcast_scalar_tensor": (
        lambda a, b: a / b,
        lambda a, b: a / b,
        (rand(2, 3), away_from_zero(seed=4)),
    ),
    "number_add_right": (lambda a: a + 2.5, lambda a: a + 2.5, (rand(3, 4),)),
    "number_add_left": (lambda a: 2.5 + a, lambda a: 2.5 + a, (rand(3, 4),)),
    "number_sub_right": (lambda a: a - 2.5, lambda a: a - 2.5, (rand(3, 4),)),
    "number_sub_left": (lambda a: 2.5 - a, lambda a: 2.5 - a, (rand(3, 4),)),
    "number_mul_right": (lambda a: a * -3, lambda a: a * -3, (rand(3, 4),)),
    "number_mul_left": (lambda a: -3 * a, lambda a: -3 * a, (rand(3, 4),)),
    "number_div_right": (lambda a: a / 4.0, lambda a: a / 4.0, (rand(3, 4),)),
    "number_div_left": (lambda a: 4.0 / a, lambda a: 4.0 / a, (away_from_zero(3, 4),)),
    "array_on_left": (
        lambda a: np.full((3, 4), 1.5) * a - np.arange(4.0),
        lambda a: np.full((3, 4), 1.5) * a - np.arange(4.0),
        (rand(3, 4),),
    ),
    "neg": (lambda a: -a, lambda a: -a, (rand(3, 4),)),
    "neg_of_product": (lambda a, b: -(a * b), lambda a, b: -(a * b), (rand(3), rand(3, seed=5))),
    "pow_2": (lambda a: a**2, lambda a: a**2, (rand(3, 4),)),
    "pow_3_negative_base": (lambda a: a**3, lambda a: a**3, (rand(3, 4),)),
    "pow_half": (lambda a: a**0.5, lambda a: a**0.5, (rand(3, 4, low=0.5, high=3.0),)),
    "pow_negative": (lambda a: a**-1.5, lambda a: a**-1.5, (rand(3, 4, low=0.5, high=3.0),)),
    "pow_int_minus_two": (lambda a: a**-2, lambda a: a**-2, (away_from_zero(3, 4),)),
    "same_tensor_twice": (lambda a: a * a + a / 3.0, lambda a: a * a + a / 3.0, (rand(5),)),
}


@pytest.mark.parametrize("name", sorted(ARITHMETIC))
def test_arithmetic_matches_autograd_and_finite_differences(name):
    f, g, arrays = ARITHMETIC[name]
    check(f, g, *arrays)


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


# ------------------------------------------------------------------------------------- elementwise
ELEMENTWISE = {
    "exp": (lambda t: t.exp(), anp.exp, rand(3, 4)),
    "log": (lambda t: t.log(), anp.log, rand(3, 4, low=0.2, high=3.0)),
    "tanh": (lambda t: t.tanh(), anp.tanh, rand(3, 4)),
    "sigmoid": (lambda t: t.sigmoid(), ag_expit, rand(3, 4, low=-4, high=4)),
    "relu": (lambda t: t.relu(), lambda x: anp.maximum(x, 0.0), away_from_zero(3, 4, low=0.01)),
    "softplus": (lambda t: t.apply("softplus"), lambda x: anp.logaddexp(0.0, x), rand(3, 4)),
    "leaky_relu": (
        lambda t: t.apply("leaky_relu"),
        lambda x: anp.where(x > 0, x, LEAKY * x),
        away_from_zero(3, 4, low=0.01),
    ),
    "identity": (lambda t: t.apply("identity"), lambda x: x, rand(3, 4)),
    "apply_by_table_entry_name_tanh": (lambda t: t.apply("tanh"), anp.tanh, rand(3, 4)),
    "chain": (
        lambda t: ((t * 2.0).tanh() + 1.5).log().exp().sigmoid(),
        lambda x: ag_expit(anp.exp(anp.log(anp.tanh(x * 2.0) + 1.5))),
        rand(3, 4),
    ),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name):
    f, g, x = ELEMENTWISE[name]
    check(f, g, x)


def test_sigmoid_and_softplus_are_stable_at_large_magnitudes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    t = Tensor(x, requires_grad=True)
    s = t.sigmoid()
    np.testing.assert_allclose(s.numpy(), [0.0, math.exp(-50), 0.5, 1.0, 1.0], rtol=1e-12)
    sp = t.apply("softplus")
    np.testing.assert_allclose(sp.numpy(), [0.0, math.log1p(math.exp(-50)), math.log(2), 50, 1000])
    (s.sum() + sp.sum()).backward()
    assert np.all(np.isfinite(t.grad))


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


# ------------------------------------------------------------------------------------- where, clip
def test_where_between_two_tensors():
    cond = rand(3, 4, seed=17) > 0
    check(
        lambda a, b: where(cond, a, b), lambda a, b: anp.where(cond, a, b), rand(3, 4), rand(3, 4)
    )


def test_where_broadcasts_and_takes_numbers():
    cond = rand(3, 4, seed=18) > 0
    full = np.ones((3, 4))  # autograd's own where does not reduce broadcast gradients: help it
    check(
        lambda a, b: where(cond, a, b),
        lambda a, b: anp.where(cond, a * full, b * full),
        rand(4),
        rand(3, 1),
    )
    check(lambda a: where(cond, a, 0.0), lambda a: anp.where(cond, a, 0.0), rand(3, 4))
    check(lambda b: where(cond, -1.0, b), lambda b: anp.where(cond, -1.0, b), rand(3, 4))


def test_where_with_a_tensor_condition():
    x = rand(3, 4, seed=19)
    cond = Tensor(x > 0)  # a boolean tensor as the condition
    check(lambda a: where(cond, a, a * 0.1), lambda a: anp.where(x > 0, a, a * 0.1), x)


@pytest.mark.parametrize(
    "low, high", [(-0.5, 0.7), (-0.5, None), (None, 0.7)], ids=["both", "low", "high"]
)
def test_clip(low, high):
    x = away_from_zero(4, 5, seed=20, low=0.0, high=2.0)
    x[np.abs(x - 0.7) < 1e-3] += 0.01  # no value within a finite-difference step of a bound
    x[np.abs(x + 0.5) < 1e-3] += 0.01
    a_low = -np.inf if low is None else low
    a_high = np.inf if high is None else high
    check(lambda t: t.clip(low, high), lambda a: anp.clip(a, a_low, a_high), x)


# ------------------------------------------------------------------------------------- compositions
COMPOSITIONS = {
    "layer_tanh_log_softmax": (
        lambda x, w, b: ((x @ w + b).tanh() * 2.0 - 1.0).log_softmax(axis=-1),
        lambda x, w, b: ag_log_softmax(anp.tanh(anp.dot(x, w) + b) * 2.0 - 1.0, -1),
        (rand(5, 3, seed=21), rand(3, 4, seed=22), rand(4, seed=23)),
    ),
    "diamond": (
        lambda x: (x * 2.0).exp() * (x * 2.0).tanh() + x.sigmoid() / (x**2 + 1.0),
        lambda x: anp.exp(x * 2.0) * anp.tanh(x * 2.0) + ag_expit(x) / (x**2 + 1.0),
        (rand(3, 4, seed=24),),
    ),
    "normalize_rows": (
        lambda x: (
            (x - x.mean(axis=1, keepdims=True))
            / (((x - x.mean(axis=1, keepdims=True)) ** 2).mean(axis=1, keepdims=True) + 1e-3) ** 0.5
        ),
        lambda x: (
            (x - anp.mean(x, axis=1, keepdims=True))
            / (
                anp.mean((x - anp.mean(x, axis=1, keepdims=True)) ** 2, axis=1, keepdims=True)
                + 1e-3
            )
            ** 0.5
        ),
        (rand(3, 5, seed=25),),
    ),
    "attention_like": (
        lambda q, k, v: ((q @ k.T) * 0.5).softmax(axis=-1) @ v,
        lambda q, k, v: anp.dot(ag_softmax(anp.dot(q, k.T) * 0.5, -1), v),
        (rand(3, 4, seed=26), rand(5, 4, seed=27), rand(5, 2, seed=28)),
    ),
    "gather_and_reduce": (
        lambda x: concatenate([x[np.array([1, 1])], x[:1].relu()], axis=0).amax(axis=0),
        lambda x: anp.max(anp.concatenate([x[np.array([1, 1])], anp.maximum(x[:1], 0)]), axis=0),
        (distinct(3, 4, seed=29) + 0.03,),
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_compositions(name):
    f, g, arrays = COMPOSITIONS[name]
    check(f, g, *arrays)


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


# ------------------------------------------------------------------------------------- hypothesis
FLOATS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
DIVISORS = st.one_of(st.floats(0.5, 3.0), st.floats(-3.0, -0.5))
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}


@st.composite
def broadcast_operands(draw, divisor=False):
    """Two arrays of broadcast-compatible shapes (0..3 dims, sides 1..4: leading dimensions added,
    size-1 axes stretched, both at once), and which of them is on the left."""
    shapes = draw(
        mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)
    )
    a_shape, b_shape = shapes.input_shapes
    a = draw(arrays(np.float64, a_shape, elements=FLOATS))
    b = draw(arrays(np.float64, b_shape, elements=DIVISORS if divisor else FLOATS))
    return a, b


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_binary_ops_broadcast_and_reduce_gradients_to_each_operand(op, data):
    a, b = data.draw(broadcast_operands(divisor=op == "div"))
    f, g = BINARY[op]
    ta, tb = check(f, g, a, b, num_atol=1e-5)
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape


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


# ------------------------------------------------------------------------------------- bad input
def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, f"error message spans lines: {message!r}"
    assert message.strip(), "empty error message"
    return message


@pytest.mark.parametrize(
    "op, word", [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("div", "divide")]
)
def test_non_broadcastable_shapes_name_both_shapes_and_the_op(op, word):
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((4,)))
    f = BINARY[op][0]
    with pytest.raises(InputError) as e:
        f(a, b)
    message = _one_line(e)
    assert "(2, 3)" in message and "(4,)" in message and word in message


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


def test_reshape_to_an_impossible_shape_names_both():
    t = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(InputError) as e:
        t.reshape(5, 2)
    message = _one_line(e)
    assert "(3, 4)" in message and "(5, 2)" in message


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_log_of_non_positive_values_is_refused(bad):
    t = Tensor(np.array([1.0, bad, 2.0]), requires_grad=True)
    with pytest.raises(InputError) as e:
        t.log()
    message = _one_line(e)
    assert "log" in message and "positive" in message


def test_a_tensor_exponent_is_refused():
    t = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(InputTypeError) as e:
        t ** Tensor(2.0)
    _one_line(e)


def test_errors_are_also_the_builtin_exceptions():
    with pytest.raises(ValueError):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(TypeError):
        Tensor(np.arange(3), requires_grad=True)


def test_log_through_the_table_is_refused_too():
    # x.apply("log") is the same logarithm as x.log(): non-positive input gets the same error
    # (not a numpy RuntimeWarning and a NaN).
    t = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(InputError) as e:
        t.apply("log")
    assert "log" in _one_line(e)


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
    W = _weights(out.shape)
    (out * Tensor(W)).sum().backward()  # accepted forward: the backward must work and be right
    f = lambda x, y: anp.sum(anp.matmul(x, y) * W)
    np.testing.assert_allclose(a.grad, ag_grad(f, 0)(A, B), rtol=1e-10)
    np.testing.assert_allclose(b.grad, ag_grad(f, 1)(A, B), rtol=1e-10)


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
