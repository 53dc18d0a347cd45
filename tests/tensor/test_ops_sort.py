"""sort, argsort, topk, cumsum, cumprod: values and gradients against HIPS autograd and central
finite differences, the same lines on real PyTorch (sort's indices of ties included: both sorts
are stable; topk's tie order PyTorch leaves unspecified), hypothesis over shapes and dtypes."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
from chainrule.errors import InputError

from .opcheck import _one_line, check, distinct, rand
from .torch_oracle import against_torch


def ag_cumprod(x):
    """Running products along axis 1 as a chain of multiplications (autograd's own prod
    divides by x, which is NaN at a zero)."""
    columns = [x[:, 0]]
    for j in range(1, x.shape[1]):
        columns.append(columns[-1] * x[:, j])
    return anp.stack(columns, 1)


X = distinct(3, 4)
ROWS, COLS = np.arange(3)[:, None], np.arange(4)[None, :]
UP1, UP0 = np.argsort(X, 1), np.argsort(X, 0)  # numpy's permutations of the fixed input


OPS = {
    # name: (f on tensors, g on autograd arrays, input arrays); a sort of distinct values is a
    # fixed permutation near X, so autograd differentiates x[that permutation]
    "sort_values": (lambda t: t.sort(1).values, lambda x: x[ROWS, UP1], (X,)),
    "sort_descending_dim0": (
        lambda t: torch.sort(t, 0, descending=True)[0],
        lambda x: x[UP0[::-1], COLS],
        (X,),
    ),
    "topk": (lambda t: t.topk(2).values, lambda x: x[ROWS, UP1[:, ::-1][:, :2]], (X,)),
    "topk_smallest_dim0": (
        lambda t: torch.topk(t, 2, dim=0, largest=False)[0],
        lambda x: x[UP0[:2], COLS],
        (X,),
    ),
    "cumsum": (lambda t: t.cumsum(1), lambda x: anp.cumsum(x, 1), (rand(3, 4),)),
    "cumsum_dim0_3d": (
        lambda t: torch.cumsum(t, dim=0),
        lambda x: anp.cumsum(x, 0),
        (rand(3, 2, 2),),
    ),
    "cumprod": (
        lambda t: t.cumprod(-1),
        ag_cumprod,
        (rand(3, 4),),
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_autograd_and_finite_differences(name):
    f, g, arrays = OPS[name]
    check(f, g, *arrays)


TIES = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.5, 0.5, 0.5, -1.0, 0.5]])
TORCH_LINES = {
    "sort": lambda lib, x: lib.sort(x, dim=-1),
    "sort_descending": lambda lib, x: x.sort(dim=1, descending=True),
    "sort_dim0": lambda lib, x: x.sort(0),
    "argsort_descending": lambda lib, x: (x * 1, lib.argsort(x, dim=1, descending=True)),
    "topk": lambda lib, x: x.topk(3, dim=1),
    "topk_smallest": lambda lib, x: lib.topk(x, 2, largest=False),
    "cumsum": lambda lib, x: lib.cumsum(x, dim=1),
    "cumprod": lambda lib, x: x.cumprod(dim=1),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(TORCH_LINES))
def test_the_same_lines_give_pytorchs_values_and_gradients(name, dtype):
    # PyTorch leaves the order of tied values in topk unspecified: topk gets distinct values
    against_torch(TORCH_LINES[name], X if name.startswith("topk") else TIES, dtype=dtype)


def test_cumprod_gradient_is_exact_through_zeros():
    """The rule needs no division, so a zero (even two) gives PyTorch's gradient, not NaN."""
    x = np.array([[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 1.5, -2.0, 0.5, 1.0]])
    against_torch(lambda lib, t: t.cumprod(1), x)
    check(lambda t: t.cumprod(1), ag_cumprod, x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_sorts_and_sums_match_torch(dtype):
    data = np.array([[3, 1, 3, 0], [1, 1, 0, 2]]).astype(dtype)
    for name in ("sort", "cumsum", "cumprod", "argsort"):
        kwargs = {"descending": True} if name == "argsort" else {}
        ours = getattr(torch.tensor(data), name)(1, **kwargs)
        theirs = getattr(real.tensor(data), name)(1, **kwargs)
        for a, b in zip(
            ours if isinstance(ours, tuple) else [ours],
            theirs if isinstance(theirs, tuple) else [theirs],
        ):
            assert a.numpy().dtype == b.numpy().dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    data=st.data(),
    descending=st.booleans(),
    dtype=st.sampled_from(["float64", "float32"]),
)
def test_sort_topk_cumsum_over_random_shapes_with_ties(shape, data, descending, dtype):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    seed = data.draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).integers(-3, 4, size=shape) / 2  # ties on purpose
    against_torch(lambda lib, t: t.sort(dim, descending=descending), x, dtype=dtype)
    against_torch(lambda lib, t: lib.topk(t, k, dim).values, x, dtype=dtype, grad=False)
    against_torch(lambda lib, t: lib.topk(t, k, dim), distinct(*shape, seed=seed), dtype=dtype)
    against_torch(lambda lib, t: t.cumsum(dim) * t.cumprod(dim), x, dtype=dtype)


def test_a_zero_dim_tensor_sorts_and_sums_as_one_element():
    for name in ("cumsum", "cumprod"):
        assert getattr(torch.tensor(2.5), name)(0).shape == getattr(real.tensor(2.5), name)(0).shape
    values, indices = torch.tensor(2.5).sort()
    assert values.item() == 2.5 and indices.item() == 0


def test_bad_k_and_dim_are_one_sentence():
    with pytest.raises(InputError, match="k=5 is out of range") as e:
        torch.zeros(2, 4).topk(5)
    _one_line(e)
    with pytest.raises(InputError, match="dim 2 is out of range") as e:
        torch.zeros(2, 4).sort(2)
    _one_line(e)
