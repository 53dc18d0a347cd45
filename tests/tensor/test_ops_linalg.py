"""einsum, inverse, norm, torch.linalg, torch.equal: values and gradients against HIPS autograd
and central finite differences, the same lines on real PyTorch, hypothesis over the lectures'
contractions with random sizes and dtypes, bad input in one sentence."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
from chainrule.errors import InputError, InputTypeError

from .opcheck import _one_line, away_from_zero, check, distinct, rand
from .torch_oracle import against_torch


def well_conditioned(*shape, seed=0):
    """Square matrices ``I * n + noise``: far from singular, so the inverse is smooth."""
    n = shape[-1]
    return rand(*shape, seed=seed, low=-0.5, high=0.5) + n * np.eye(n)


OPS = {
    # name: (f on tensors, g on autograd arrays, input arrays)
    "einsum_matmul": (
        lambda a, b: torch.einsum("ij,jk->ik", a, b),
        anp.dot,
        (rand(2, 3), rand(3, 4, seed=1)),
    ),
    "einsum_batched_weights": (
        lambda a, b: torch.einsum("bij,jk->bik", a, b),
        lambda a, b: anp.einsum("bij,jk->bik", a, b),
        (rand(2, 3, 4), rand(4, 2, seed=1)),
    ),
    "einsum_attention_scores": (
        lambda q, k: torch.einsum("bhtd,bhsd->bhts", q, k),
        lambda q, k: anp.einsum("bhtd,bhsd->bhts", q, k),
        (rand(2, 2, 3, 4), rand(2, 2, 3, 4, seed=1)),
    ),
    "einsum_implicit_output": (
        lambda a, b: torch.einsum("ij,kj", a, b),
        lambda a, b: anp.einsum("ij,kj", a, b),
        (rand(2, 3), rand(4, 3, seed=1)),
    ),
    "einsum_trace_diagonal": (lambda a: torch.einsum("ii->", a), anp.trace, (rand(3, 3),)),
    "einsum_diag_times": (
        lambda a, b: torch.einsum("ii,i->i", a, b),
        lambda a, b: anp.diag(a) * b,  # autograd's einsum has no repeated letters
        (rand(3, 3), rand(3, seed=1)),
    ),
    "einsum_sum_out_one_operand": (
        lambda a, b: torch.einsum("ij,k->ik", a, b),
        lambda a, b: anp.einsum("ij,k->ik", a, b),
        (rand(2, 3), rand(4, seed=1)),
    ),
    "einsum_ellipsis_broadcast": (
        lambda a, b: torch.einsum("...ij,jk->...ik", a, b),
        lambda a, b: anp.einsum("...ij,jk->...ik", a, b),
        (rand(2, 1, 2, 3), rand(3, 2, seed=1)),
    ),
    "einsum_three_operands_list": (
        lambda a, b, c: torch.einsum("i,ij,j->", [a, b, c]),
        lambda a, b, c: anp.einsum("i,ij,j->", a, b, c),
        (rand(2), rand(2, 3, seed=1), rand(3, seed=2)),
    ),
    "inverse": (lambda a: torch.inverse(a), anp.linalg.inv, (well_conditioned(3, 3),)),
    "inverse_batched": (lambda a: a.inverse(), anp.linalg.inv, (well_conditioned(2, 3, 3),)),
    "linalg_inv": (lambda a: torch.linalg.inv(a), anp.linalg.inv, (well_conditioned(4, 4),)),
    "norm": (lambda t: t.norm(), lambda x: anp.sqrt(anp.sum(x**2)), (rand(3, 4),)),
    "norm_dim": (lambda t: t.norm(dim=1), lambda x: anp.sqrt(anp.sum(x**2, 1)), (rand(3, 4),)),
    "norm_p1_keepdim": (
        lambda t: t.norm(p=1, dim=0, keepdim=True),
        lambda x: anp.sum(anp.abs(x), 0, keepdims=True),
        (away_from_zero(3, 4),),
    ),
    "norm_p3": (
        lambda t: torch.norm(t, 3, dim=-1),
        lambda x: anp.sum(anp.abs(x) ** 3, -1) ** (1 / 3),
        (away_from_zero(3, 4),),
    ),
    "norm_inf": (
        lambda t: t.norm(float("inf"), dim=1),
        lambda x: anp.max(anp.abs(x), 1),
        (distinct(3, 4),),
    ),
    "vector_norm_tuple_dim": (
        lambda t: torch.linalg.vector_norm(t, dim=(0, 2)),
        lambda x: anp.sqrt(anp.sum(x**2, (0, 2))),
        (rand(2, 3, 2),),
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_autograd_and_finite_differences(name):
    f, g, arrays = OPS[name]
    check(f, g, *arrays)


TORCH_LINES = {
    "einsum_bij_jk": (
        lambda lib, a, b: lib.einsum("bij,jk->bik", a, b),
        (rand(2, 3, 4), rand(4, 5, seed=1)),
    ),
    "einsum_scores": (
        lambda lib, q, k: lib.einsum("bhtd,bhsd->bhts", q, k) * 0.5,
        (rand(2, 3, 4, 5), rand(2, 3, 4, 5, seed=1)),
    ),
    "einsum_outer": (lambda lib, a, b: lib.einsum("i,j", a, b), (rand(3), rand(4, seed=1))),
    "einsum_spaces_and_ellipsis": (
        lambda lib, a, b: lib.einsum("... i j , ... j k -> ... i k", a, b),
        (rand(2, 3, 4), rand(2, 4, 2, seed=1)),
    ),
    "inverse": (lambda lib, a: lib.linalg.inv(a) @ a.inverse(), (well_conditioned(2, 3, 3),)),
    "norm": (lambda lib, a: a.norm() + lib.norm(a, dim=1).sum() + a.norm(p="fro"), (rand(3, 4),)),
    "linalg_norm": (lambda lib, a: lib.linalg.norm(a, dim=1) + lib.linalg.norm(a), (rand(3, 4),)),
    "norm_inf_ties": (
        lambda lib, a: a.norm(float("inf"), dim=1),
        (np.array([[1.0, -2.0, 2.0], [3.0, 0.0, 1.0]]),),
    ),
    "norm_of_zero_row": (lambda lib, a: a.norm(dim=1), (np.array([[0.0, 0.0], [3.0, 4.0]]),)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(TORCH_LINES))
def test_the_same_lines_give_pytorchs_values_and_gradients(name, dtype):
    f, arrays = TORCH_LINES[name]
    against_torch(
        f, *arrays, dtype=dtype, tol=dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else None
    )


@st.composite
def contraction(draw):
    """One of the lectures' contractions with random sizes."""
    b, h, t, s, d = (draw(st.integers(1, 4)) for _ in range(5))
    return draw(
        st.sampled_from(
            [
                ("bij,jk->bik", (b, t, d), (d, s)),
                ("bhtd,bhsd->bhts", (b, h, t, d), (b, h, s, d)),
                ("bhts,bhsd->bhtd", (b, h, t, s), (b, h, s, d)),
                ("ij,jk", (t, d), (d, s)),
                ("btc,btc->bt", (b, t, d), (b, t, d)),
            ]
        )
    )


@settings(max_examples=40, deadline=None)
@given(
    case=contraction(), dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)
)
def test_einsum_contractions_over_random_sizes(case, dtype, seed):
    equation, a_shape, b_shape = case
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else None
    a, b = rand(*a_shape, seed=seed), rand(*b_shape, seed=seed + 1)
    against_torch(lambda lib, x, y: lib.einsum(equation, x, y), a, b, dtype=dtype, tol=tol)


def test_equal_is_one_bool_for_shape_and_values():
    cases = [
        (np.array([1, 2]), np.array([1.0, 2.0])),
        (np.ones(2), np.ones(3)),
        (np.ones((2, 2)), np.ones((2, 2))),
        (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
        (np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    ]
    for a, b in cases:
        ours = torch.equal(torch.tensor(a), torch.tensor(b))
        assert ours is real.equal(real.tensor(a), real.tensor(b))
        assert torch.tensor(a).equal(torch.tensor(b)) is ours


BAD = {
    "singular": (lambda: torch.linalg.inv(torch.zeros(2, 2)), InputError, "singular"),
    "not square": (lambda: torch.inverse(torch.ones(2, 3)), InputError, "square"),
    "int inverse": (
        lambda: torch.inverse(torch.eye(2, dtype=torch.int64)),
        InputTypeError,
        "float",
    ),
    "int norm": (lambda: torch.arange(3).norm(), InputTypeError, "float"),
    "matrix norm": (lambda: torch.linalg.norm(torch.ones(2, 2), ord=2), InputError, "matrix norm"),
    "einsum operand count": (
        lambda: torch.einsum("ij,jk->ik", torch.ones(2, 2)),
        InputError,
        "2 operand",
    ),
    "einsum subscripts": (
        lambda: torch.einsum("ijk->i", torch.ones(2, 2)),
        InputError,
        "do not fit",
    ),
    "einsum sizes": (
        lambda: torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(4, 2)),
        InputError,
        "cannot take shapes",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_sentence(name):
    f, error, words = BAD[name]
    with pytest.raises(error, match=words) as e:
        f()
    _one_line(e)
