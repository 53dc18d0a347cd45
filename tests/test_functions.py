"""The shared table: each derivative against finite differences and against HIPS autograd, the
array and scalar forms against each other, and stability at extreme inputs."""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import elementwise_grad
from conftest import central_difference
from hypothesis import given
from hypothesis import strategies as st

from chainrule import functions as F
from chainrule.errors import InputError

# The same functions written independently in autograd's numpy, as the oracle.
ORACLE = {
    "identity": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + anp.exp(-x)),
    "tanh": anp.tanh,
    "relu": lambda x: anp.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: anp.where(x > 0, x, 0.01 * x),
    "softplus": lambda x: anp.log1p(anp.exp(x)),
    "exp": anp.exp,
    "log": anp.log,
}
POSITIVE_ONLY = {"log"}
points = st.floats(min_value=-20, max_value=20, allow_nan=False).filter(lambda x: abs(x) > 1e-3)


def test_the_table_lists_every_function_the_engines_need():
    assert set(F.ACTIVATIONS) == set(ORACLE)
    assert set(F.COSTS) == {"quadratic", "cross_entropy", "log_likelihood"}


@pytest.mark.parametrize("name", sorted(ORACLE))
@given(x=points)
def test_derivative_matches_finite_differences_and_autograd(name, x):
    fn = F.activation(name)
    if name in POSITIVE_ONLY:
        x = abs(x)
    y = fn.scalar(x)
    local = fn.scalar_derivative(x, y)
    numeric = central_difference(fn.scalar, x, h=1e-6 * max(1.0, abs(x)))
    assert local == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    oracle = float(elementwise_grad(ORACLE[name])(np.float64(x)))
    assert local == pytest.approx(oracle, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", sorted(ORACLE))
def test_array_form_equals_scalar_form(name):
    fn = F.activation(name)
    x = np.linspace(-6, 6, 101)
    if name in POSITIVE_ONLY:
        x = np.abs(x) + 0.1
    y = fn.forward(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, [fn.scalar(v) for v in x], rtol=1e-14, atol=1e-300)
    d = fn.derivative(x, y)
    np.testing.assert_allclose(
        d, [fn.scalar_derivative(v, w) for v, w in zip(x, y)], rtol=1e-14, atol=1e-300
    )


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "softplus"])
def test_array_form_keeps_float32(name):
    fn = F.activation(name)
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    y = fn.forward(x)
    assert y.dtype == np.float32
    assert fn.derivative(x, y).dtype == np.float32


def test_sigmoid_and_softplus_are_stable_at_plus_minus_1000():
    # pytest turns every warning into an error (pyproject), so an overflow warning fails here.
    x = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(F.sigmoid.forward(x), [0.0, 1.0])
    assert F.sigmoid.scalar(-1000.0) == 0.0 and F.sigmoid.scalar(1000.0) == 1.0
    np.testing.assert_array_equal(F.softplus.forward(x), [0.0, 1000.0])
    assert F.softplus.scalar(-1000.0) == 0.0 and F.softplus.scalar(1000.0) == 1000.0
    for fn in (F.sigmoid, F.softplus, F.tanh):
        for v in (-1000.0, 1000.0):
            y = fn.scalar(v)
            assert math.isfinite(fn.scalar_derivative(v, y))
        assert np.all(np.isfinite(fn.derivative(x, fn.forward(x))))
    # float32 saturates at a smaller |x|: still no warning, no NaN.
    x32 = np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=np.float32)
    assert np.all(np.isfinite(F.sigmoid.forward(x32)))
    assert np.all(np.isfinite(F.softplus.forward(x32)))


def test_log_near_zero_is_finite():
    x = np.array([1e-300, 1e-30, 1e-10])
    y = F.log.forward(x)
    np.testing.assert_allclose(y, np.log(x))
    assert np.all(np.isfinite(F.log.derivative(x, y)))
    assert F.log.scalar(1e-300) == pytest.approx(-690.7755, rel=1e-6)


@pytest.mark.parametrize("name", ["quadratic", "cross_entropy"])
@given(a=st.floats(0.01, 0.99), y=st.sampled_from([0.0, 1.0, 0.3]))
def test_cost_derivative_matches_finite_differences(name, a, y):
    c = F.cost(name)
    numeric = central_difference(lambda t: float(c.fn(t, y)), a, h=1e-7)
    assert float(c.derivative(a, y)) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_cross_entropy_has_no_nan_when_the_output_saturates_at_the_target():
    a = np.array([0.0, 1.0, 1e-300, 1.0 - 1e-16])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    cost = F.cross_entropy.fn(a, y)
    assert np.all(np.isfinite(cost))
    np.testing.assert_allclose(cost, 0.0, atol=1e-15)
    # And where it is finite it is the textbook formula.
    a, y = np.array([0.2, 0.7]), np.array([1.0, 0.0])
    np.testing.assert_allclose(F.cross_entropy.fn(a, y), [-math.log(0.2), -math.log(0.3)])


def test_quadratic_cost_is_half_the_squared_error():
    np.testing.assert_allclose(
        F.quadratic.fn(np.array([3.0, 0.5]), np.array([1.0, 0.0])), [2.0, 0.125]
    )


def test_unknown_names_list_the_known_ones():
    with pytest.raises(InputError, match="unknown activation 'swish'.*sigmoid.*tanh"):
        F.activation("swish")
    with pytest.raises(InputError, match="unknown cost 'hinge'.*cross_entropy.*quadratic"):
        F.cost("hinge")
    assert F.cost("Cross-Entropy") is F.cross_entropy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_costs_and_their_derivatives_stay_finite_where_outputs_saturate(dtype):
    a = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    for cost in (F.quadratic, F.cross_entropy, F.log_likelihood):
        assert np.all(np.isfinite(cost.fn(a, y))), cost
        assert np.all(np.isfinite(cost.derivative(a, y))), cost
    # Where a meets y the cross-entropy costs ~0 and its slope takes its limit -1/a or 1/(1-a).
    np.testing.assert_allclose(F.cross_entropy.fn(a[:2], y[:2]), 0.0, atol=1e-6)
    np.testing.assert_allclose(F.cross_entropy.derivative(a[:2], y[:2]), [1.0, -1.0], rtol=1e-6)


# exp(1000) overflows and log(-1000) is undefined: the engines refuse those inputs (tested there).
@pytest.mark.parametrize("name", sorted(set(ORACLE) - {"exp", "log"}))
def test_every_bounded_entry_is_finite_at_plus_minus_1000(name):
    fn = F.activation(name)
    x = np.array([-1000.0, 1000.0])
    y = fn.forward(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(fn.derivative(x, y)))
