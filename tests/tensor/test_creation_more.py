"""linspace, logspace, normal, randn_like, rand_like, from_numpy, multinomial: values, shapes and
dtypes against real PyTorch (linspace and logspace bit for bit); random draws by their
distribution (PyTorch's numbers come from another generator, so a draw is judged by its mean,
spread and frequencies, with a fixed seed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
from chainrule.errors import InputError, InputTypeError

from .opcheck import _one_line


def same(ours, theirs):
    """The same shape, dtype and numbers, bit for bit."""
    assert ours.shape == tuple(theirs.shape)
    assert ours.numpy().dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@settings(max_examples=80, deadline=None)
@given(
    start=st.floats(-100, 100).map(lambda v: round(v, 3)),
    end=st.floats(-100, 100).map(lambda v: round(v, 3)),
    steps=st.integers(0, 300),
    dtype=st.sampled_from(["float32", "float64", None]),
)
def test_linspace_is_pytorchs_bit_for_bit(start, end, steps, dtype):
    same(
        torch.linspace(start, end, steps, dtype=dtype and getattr(torch, dtype)),
        real.linspace(start, end, steps, dtype=dtype and getattr(real, dtype)),
    )


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(-5, 5).map(lambda v: round(v, 3)),
    end=st.floats(-5, 5).map(lambda v: round(v, 3)),
    steps=st.integers(0, 300),
    base=st.sampled_from([10.0, 2.0, 3.5, 0.5]),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_logspace_is_pytorchs_bit_for_bit(start, end, steps, base, dtype):
    same(
        torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype)),
        real.logspace(start, end, steps, base=base, dtype=getattr(real, dtype)),
    )


@pytest.mark.parametrize(
    "args", [(0, 10, 4), (-3, 7, 5), (0, 1, 1), (5, -5, 6), (2.5, 9.5, 3)], ids=str
)
def test_integer_linspace_truncates_as_pytorch_does(args):
    same(torch.linspace(*args, dtype=torch.int64), real.linspace(*args, dtype=real.int64))


def test_the_learning_rate_sweep_of_makemore_part_2():
    """``lre = torch.linspace(-3, 0, 1000); lrs = 10**lre``: the lecture's exponents, and the
    rates as logspace gives them."""
    same(torch.linspace(-3, 0, 1000), real.linspace(-3, 0, 1000))
    same(torch.logspace(-3, 0, 1000), real.logspace(-3, 0, 1000))


# ------------------------------------------------------------------------ normal and *_like
NORMAL_FORMS = {
    "numbers_and_size": lambda lib: lib.normal(2.0, 3.0, size=(4, 5)),
    "tensor_mean": lambda lib: lib.normal(lib.zeros(3, 2, dtype=lib.float64), 1.0),
    "tensor_std": lambda lib: lib.normal(0.5, lib.ones(4)),
    "tensors_broadcast": lambda lib: lib.normal(lib.zeros(3, 1), lib.ones(1, 4)),
    "randn_like": lambda lib: lib.randn_like(lib.zeros(2, 3, dtype=lib.float64)),
    "rand_like": lambda lib: lib.rand_like(lib.zeros(5)),
}


@pytest.mark.parametrize("name", sorted(NORMAL_FORMS))
def test_random_creators_give_pytorchs_shape_and_dtype(name):
    ours, theirs = NORMAL_FORMS[name](torch), NORMAL_FORMS[name](real)
    assert ours.shape == tuple(theirs.shape)
    assert ours.numpy().dtype == theirs.numpy().dtype


def test_normal_draws_have_the_asked_mean_and_spread():
    g = torch.Generator().manual_seed(2147483647)
    n = 200_000
    x = torch.normal(torch.full((n,), 2.0), torch.full((n,), 3.0), generator=g).numpy()
    # the sample mean is within 5 standard errors of 2, the sample std within 1 % of 3
    assert abs(x.mean() - 2.0) < 5 * 3.0 / np.sqrt(n)
    assert abs(x.std() - 3.0) < 0.03
    u = torch.rand_like(torch.zeros(n), generator=g).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)


def test_a_generator_makes_the_draws_repeatable():
    draws = [
        torch.normal(0.0, 1.0, (3,), generator=torch.Generator().manual_seed(7)).numpy()
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*draws)


def test_normal_passes_a_zero_gradient_to_its_mean_and_std_as_pytorch_does():
    grads = []
    for lib in (torch, real):
        mean = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        std = lib.ones(3, dtype=lib.float64, requires_grad=True)
        lib.normal(mean, std).sum().backward()
        grads.append((np.asarray(mean.grad.numpy()), np.asarray(std.grad.numpy())))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_generators_seed_and_resume_as_pytorchs_do():
    for lib in (torch, real):
        assert lib.Generator().initial_seed() == 67280421310721  # PyTorch's default seed
        assert lib.Generator(device="cpu").manual_seed(5).initial_seed() == 5
        lib.manual_seed(11)
        assert lib.initial_seed() == 11
    g = torch.Generator().manual_seed(3)
    state = g.get_state()
    first = torch.randn(4, generator=g).numpy()
    again = torch.randn(4, generator=g.set_state(state)).numpy()
    np.testing.assert_array_equal(first, again)
    saved = torch.get_rng_state()
    torch.set_rng_state(saved)
    np.testing.assert_array_equal(
        torch.rand(3).numpy(), (torch.set_rng_state(saved), torch.rand(3))[1].numpy()
    )
    assert torch.Generator().seed() != torch.Generator().initial_seed()


# ------------------------------------------------------------------------ from_numpy
def test_from_numpy_shares_the_arrays_memory_as_pytorch_does():
    for lib in (torch, real):
        array = np.arange(6, dtype=np.float32).reshape(2, 3)
        t = lib.from_numpy(array)
        array[0, 0] = 100.0
        t[1, 2] = -1.0
        assert t[0, 0].item() == 100.0 and array[1, 2] == -1.0
        assert t.numpy().dtype == np.float32
    assert (
        torch.from_numpy(np.arange(3)).numpy().dtype == real.from_numpy(np.arange(3)).numpy().dtype
    )


# ------------------------------------------------------------------------ multinomial
def test_multinomial_draws_follow_the_weights():
    g = torch.Generator().manual_seed(2147483647)
    p = np.array([0.1, 0.0, 0.6, 0.3])
    n = 100_000
    draws = torch.multinomial(torch.tensor(p), n, replacement=True, generator=g).numpy()
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0  # a zero weight is never drawn
    sigma = np.sqrt(n * p * (1 - p))
    assert (np.abs(counts - n * p) <= 5 * sigma + 1e-9).all()


def test_multinomial_without_replacement_draws_each_category_once_as_torch():
    weights = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 0.0, 1.0, 1.0]])
    ours = torch.multinomial(torch.tensor(weights), 3, generator=torch.Generator().manual_seed(1))
    theirs = real.multinomial(real.tensor(weights), 3)
    assert ours.shape == tuple(theirs.shape) and ours.numpy().dtype == theirs.numpy().dtype
    for row, w in zip(ours.numpy(), weights):
        assert len(set(row)) == 3 and (w[row] > 0).all()
    one = torch.multinomial(torch.tensor([0.2, 0.8]), 1)
    assert one.shape == tuple(real.multinomial(real.tensor([0.2, 0.8]), 1).shape)


BAD = {
    "too many without replacement": (
        lambda: torch.multinomial(torch.tensor([1.0, 0.0, 0.0]), 2),
        InputError,
        "replacement=True",
    ),
    "negative weight": (
        lambda: torch.multinomial(torch.tensor([1.0, -1.0]), 1),
        InputError,
        "non-negative",
    ),
    "3-d weights": (lambda: torch.multinomial(torch.ones(2, 2, 2), 1), InputError, "1-D or 2-D"),
    "negative std": (lambda: torch.normal(0.0, torch.tensor([-1.0])), InputError, "std >= 0"),
    "two numbers, no size": (lambda: torch.normal(0.0, 1.0), InputError, "size"),
    "randn_like of ints": (lambda: torch.randn_like(torch.arange(3)), InputTypeError, "floats"),
    "from_numpy of a list": (lambda: torch.from_numpy([1, 2]), InputTypeError, "numpy array"),
    "negative steps": (lambda: torch.linspace(0, 1, -1), InputError, "steps"),
    "a cuda generator": (lambda: torch.Generator(device="cuda"), InputError, "CPU"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_sentence(name):
    f, error, words = BAD[name]
    with pytest.raises(error, match=words) as e:
        f()
    _one_line(e)
