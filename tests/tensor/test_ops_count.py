"""all, any, bincount, unique, randperm, histc, histogram against real PyTorch: the same calls,
the same counts, shapes and dtypes, over hypothesis-drawn data (values on bin edges included),
and bad input in one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import chainrule.tensor as torch
from chainrule.errors import InputError, InputTypeError

from .opcheck import _one_line


def same(ours, theirs):
    assert ours.shape == tuple(theirs.shape)
    assert ours.numpy().dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def both(f, *arrays):
    """``f(lib, *tensors)`` on chainrule and on PyTorch, compared output by output."""
    ours = f(torch, *(torch.tensor(a) for a in arrays))
    theirs = f(real, *(real.tensor(a) for a in arrays))
    for a, b in zip(
        ours if isinstance(ours, tuple) else [ours],
        theirs if isinstance(theirs, tuple) else [theirs],
    ):
        same(a, b)


TRUTH = {
    "all": lambda lib, x: lib.all(x),
    "any_dim": lambda lib, x: lib.any(x, dim=1),
    "all_dim_keepdim": lambda lib, x: lib.all(x, 0, keepdim=True),
    "method_any_negative_dim": lambda lib, x: x.any(-1),
    "method_all_of_comparison": lambda lib, x: (x > 0).all(dim=1),
    "any_tuple_dims": lambda lib, x: lib.any(x, dim=(0, 2)),
}


@pytest.mark.parametrize("name", sorted(TRUTH))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_all_and_any_are_pytorchs(name, dtype):
    x = np.array([[[1, 0], [2, 3]], [[0, 0], [1, 1]], [[4, 5], [6, -1]]]).astype(dtype)
    both(TRUTH[name], x)


def test_all_and_any_of_a_zero_dim_tensor():
    for value in (0.0, 2.0):
        both(lambda lib, x: (lib.all(x, 0), x.any(), lib.any(x, 0, keepdim=True)), np.array(value))


COUNTS = {
    "bincount": lambda lib, x: lib.bincount(x),
    "bincount_minlength": lambda lib, x: x.bincount(minlength=9),
    "bincount_weights": lambda lib, x: lib.bincount(x, weights=lib.linspace(0, 1, len(x))),
    "bincount_double_weights": lambda lib, x: x.bincount(lib.ones(len(x), dtype=lib.float64)),
    "unique": lambda lib, x: lib.unique(x),
    "unique_inverse_counts": lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
    "unique_counts_of_floats": lambda lib, x: (x.double() / 2).unique(return_counts=True),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_are_pytorchs(name):
    both(COUNTS[name], np.array([3, 1, 3, 0, 5, 1, 1]))


def test_randperm_is_a_permutation_of_pytorchs_shape_and_dtype():
    g = torch.Generator().manual_seed(0)
    for n in (0, 1, 7):
        ours, theirs = torch.randperm(n, generator=g), real.randperm(n)
        assert ours.shape == tuple(theirs.shape) and ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(np.sort(ours.numpy()), np.arange(n))
    same(torch.randperm(1, dtype=torch.float32), real.randperm(1, dtype=real.float32))


HISTOGRAMS = {
    "histc_default_range": lambda lib, x: lib.histc(x, bins=7),
    "histc_given_range": lambda lib, x: x.histc(bins=5, min=-1, max=1),
    "histc_one_bin": lambda lib, x: lib.histc(x, 1, 0, 0),
    "histogram_bins": lambda lib, x: lib.histogram(x, bins=6),
    "histogram_range": lambda lib, x: lib.histogram(x, 4, range=(-0.5, 0.75)),
    "histogram_density": lambda lib, x: lib.histogram(x, 5, density=True),
    "histogram_weight": lambda lib, x: lib.histogram(x, 3, weight=x * x),
    "histogram_edges": lambda lib, x: lib.histogram(
        x, bins=lib.tensor([-1.0, -0.25, 0.0, 0.5, 2.0], dtype=x.dtype)
    ),
}
EDGES = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.0, -1.0, 0.75, 0.1])  # on edges on purpose


@pytest.mark.parametrize("name", sorted(HISTOGRAMS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histograms_are_pytorchs(name, dtype):
    both(HISTOGRAMS[name], EDGES.astype(dtype))
    both(HISTOGRAMS[name], np.random.default_rng(0).standard_normal((4, 50)).astype(dtype))


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(
        st.sampled_from([np.float32, np.float64]),
        st.integers(1, 60),
        elements=st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.1, 1 / 3, 0.5, 1.0, 1.5, 3.0])
        | st.floats(-3, 3, width=32),
    ),
    bins=st.integers(1, 12),
    lo=st.sampled_from([0.0, -1.0, -2.5]),
    hi=st.sampled_from([0.0, 1.0, 2.0, 3.0]),
)
def test_histc_and_histogram_over_random_data(x, bins, lo, hi):
    both(lambda lib, t: lib.histc(t, bins, lo, hi), x)
    if lo < hi:
        both(lambda lib, t: lib.histogram(t, bins, range=(lo, hi)), x)


def test_the_activation_histogram_of_makemore_part_3():
    """``hy, hx = torch.histogram(t, density=True)`` as the lecture plots it (bins=100)."""
    t = np.tanh(np.random.default_rng(1).standard_normal((32, 100)) * 3).astype(np.float32)
    both(lambda lib, x: lib.histogram(x, density=True), t)


BAD = {
    "int histc": (lambda: torch.histc(torch.arange(3)), InputTypeError, "floats"),
    "zero bins": (lambda: torch.histc(torch.ones(3), bins=0), InputError, "bins >= 1"),
    "max below min": (lambda: torch.histc(torch.ones(3), 4, 2, 1), InputError, "min < max"),
    "edges not increasing": (
        lambda: torch.histogram(torch.ones(3), torch.tensor([1.0, 0.0])),
        InputError,
        "increasing",
    ),
    "negative bincount": (lambda: torch.bincount(torch.tensor([-1])), InputError, "non-negative"),
    "float bincount": (lambda: torch.bincount(torch.tensor([1.0])), InputError, "integers"),
    "weight shape": (
        lambda: torch.histogram(torch.ones(3), 2, weight=torch.ones(2)),
        InputError,
        "weight",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_sentence(name):
    f, error, words = BAD[name]
    with pytest.raises(error, match=words) as e:
        f()
    _one_line(e)
