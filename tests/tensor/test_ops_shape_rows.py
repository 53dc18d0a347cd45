"""The row-folded backward rules of ops_shape: ``(..., K) @ (K, N)`` (leading dimensions as
rows, one matrix product for dL/dB) and an embedding lookup ``C[X]`` (a one-hot product while
small, ``numpy.add.at`` beyond), against HIPS autograd, central finite differences and real
PyTorch."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.tensor import Tensor, ops_shape

from .opcheck import check, rand, weights

LEADING = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@settings(max_examples=30, deadline=None)
@given(leading=LEADING, k=st.integers(1, 4), n=st.integers(1, 4), seed=st.integers(0, 99))
def test_stacked_rows_times_a_matrix(leading, k, n, seed):
    check(
        lambda a, b: a @ b,
        lambda a, b: anp.matmul(a, b),
        rand(*leading, k, seed=seed),
        rand(k, n, seed=seed + 1),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("grad_of", ["both", "a", "b"])
def test_stacked_rows_times_a_matrix_as_pytorch(dtype, grad_of):
    """(B, T, C) @ (C, H) as in a transformer's projections, gradients as PyTorch's, also when
    only one side requires a gradient (the other gets none)."""
    A, B = rand(4, 3, 5, seed=1).astype(dtype), rand(5, 2, seed=2).astype(dtype)
    W = weights((4, 3, 2)).astype(dtype)
    a = Tensor(A, requires_grad=grad_of in ("both", "a"))
    b = Tensor(B, requires_grad=grad_of in ("both", "b"))
    ta = real.tensor(A, requires_grad=a.requires_grad)
    tb = real.tensor(B, requires_grad=b.requires_grad)
    ((a @ b) * Tensor(W)).sum().backward()
    ((ta @ tb) * real.tensor(W)).sum().backward()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for ours, theirs in ((a, ta), (b, tb)):
        if theirs.grad is None:
            assert ours.grad is None
        else:
            assert ours.grad.dtype == dtype
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 6),
    width=st.integers(1, 4),
    index_shape=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple),
    seed=st.integers(0, 99),
)
def test_embedding_lookup_with_repeated_rows(rows, width, index_shape, seed):
    index = np.random.default_rng(seed).integers(-rows, rows, size=index_shape)
    check(lambda c: c[Tensor(index)], lambda c: c[index], rand(rows, width, seed=seed))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_lookups_small_and_large_give_pytorchs_gradient(dtype, monkeypatch):
    """Both ways of the rule (the one-hot product, and numpy.add.at once the one-hot matrix
    would pass its size limit) give PyTorch's gradient for a batch of contexts."""
    C = rand(27, 10, seed=3).astype(dtype)
    X = np.random.default_rng(4).integers(0, 27, size=(32, 3))
    W = weights((32, 3, 10)).astype(dtype)
    tc = real.tensor(C, requires_grad=True)
    (real.nn.functional.embedding(real.tensor(X), tc) * real.tensor(W)).sum().backward()
    for limit in (ops_shape._ONE_HOT_MAX, 0):
        monkeypatch.setattr(ops_shape, "_ONE_HOT_MAX", limit)
        c = Tensor(C, requires_grad=True)
        (c[Tensor(X)] * Tensor(W)).sum().backward()
        assert c.grad.dtype == dtype
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(c.grad.numpy(), tc.grad.numpy(), rtol=rtol, atol=1e-6)
