"""Elementwise ops (ops_elementwise): arithmetic with broadcasting, the shared activation table,
where/clamp, compositions; every value and gradient against HIPS autograd and central finite
differences, binary ops over random broadcast shapes (hypothesis); bad input."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
import torch
from autograd.scipy.special import expit as ag_expit
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

import chainrule.tensor
from chainrule.errors import InputError
from chainrule.tensor import Tensor, concatenate, where

from .opcheck import (
    _one_line,
    ag_log_softmax,
    ag_softmax,
    away_from_zero,
    check,
    distinct,
    rand,
)

LEAKY = 0.01


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


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_log_of_non_positive_values_is_refused(bad):
    t = Tensor(np.array([1.0, bad, 2.0]), requires_grad=True)
    with pytest.raises(InputError) as e:
        t.log()
    message = _one_line(e)
    assert "log" in message and "positive" in message


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


# ------------------------------------------------------------------------------------- issue 21
POWERS_AND_LOGS = {
    "log10": (lambda t: t.log10(), anp.log10, (rand(3, 4, low=0.2, high=3.0),)),
    "log2": (lambda t: t.log2(), anp.log2, (rand(3, 4, low=0.2, high=3.0),)),
    "number_to_a_tensor_power": (lambda t: 10**t, lambda x: 10.0**x, (rand(3, 4),)),
    "half_to_a_tensor_power": (lambda t: 0.5**t, lambda x: 0.5**x, (rand(3, 4),)),
    "tensor_to_a_tensor_power": (
        lambda a, b: a**b,
        lambda a, b: a**b,
        (rand(3, 4, low=0.3, high=2.0), rand(4, seed=1)),
    ),
    "pow_method_with_a_tensor": (
        lambda a, b: a.pow(b),
        lambda a, b: a**b,
        (rand(2, 3, low=0.3, high=2.0), rand(2, 1, seed=2)),
    ),
}


@pytest.mark.parametrize("name", sorted(POWERS_AND_LOGS))
def test_logs_and_powers_match_autograd_and_finite_differences(name):
    f, g, arrays = POWERS_AND_LOGS[name]
    check(f, g, *arrays)


def test_makemore_learning_rate_exponents_match_pytorch():
    lre = np.linspace(-3, 0, 7)
    ours = 10 ** chainrule.tensor.tensor(lre)
    theirs = 10 ** torch.tensor(lre)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    assert (2 ** chainrule.tensor.tensor([1, 3])).tolist() == (2 ** torch.tensor([1, 3])).tolist()
    np.testing.assert_allclose(
        chainrule.tensor.tensor([1.0, 100.0]).log10().numpy(),
        torch.tensor([1.0, 100.0]).log10().numpy(),
        rtol=2e-7,  # float32: numpy's and torch's log10 differ in the last bit
    )


COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", COMPARE)
def test_comparison_methods_match_pytorch(name):
    a, b = [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], [2.0, 2.0, 2.0]
    ours = getattr(chainrule.tensor.tensor(a), name)(chainrule.tensor.tensor(b))
    theirs = getattr(torch.tensor(a), name)(torch.tensor(b))
    assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist()
    assert getattr(chainrule.tensor.tensor(a), name)(2.0).tolist() == theirs.tolist()


def test_and_or_xor_not_on_booleans_and_integers_match_pytorch():
    def logic(lib):
        p, q = lib.tensor([True, True, False, False]), lib.tensor([True, False, True, False])
        i, j = lib.tensor([12, 10]), lib.tensor([10, 6])
        return [r.tolist() for r in (p & q, p | q, p ^ q, ~p, (p > 0) & ~q, i & j, i | j, ~i)]

    assert logic(chainrule.tensor) == logic(torch)


def test_and_or_not_on_floats_are_refused_in_one_sentence():
    x = chainrule.tensor.tensor([1.0, 0.0])
    for idiom in (lambda: x & x, lambda: x | x, lambda: ~x):
        with pytest.raises(TypeError) as e:
            idiom()
        assert "compare first" in _one_line(e)
