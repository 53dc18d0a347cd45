"""gather, scatter_add, index_select, masked_fill, tril/triu: values and gradients against HIPS
autograd and central finite differences (``check``), the same lines on real PyTorch
(``against_torch``), hypothesis over shapes and dtypes, and bad input named in one sentence."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch as real_torch
import torch.nn.functional as real_F
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F
from chainrule.errors import InputError, InputTypeError

from .opcheck import _one_line, check, rand
from .torch_oracle import against_torch

IDX = np.array([[0, 2, 2], [1, 0, 3], [3, 3, 0]])  # repeats, so gradients must add up
MASK = rand(3, 4, seed=5) > 0


def ag_gather(x, index, axis):
    return anp.take_along_axis(x, index, axis)


OPS = {
    # name: (f on tensors, g on autograd arrays, input arrays)
    "gather_dim1": (
        lambda t: t.gather(1, torch.tensor(IDX)),
        lambda x: x[np.arange(3)[:, None], IDX],
        (rand(3, 4),),
    ),
    "gather_dim0": (
        lambda t: torch.gather(t, 0, torch.tensor(IDX[:2, :2] % 3)),
        lambda x: x[IDX[:2, :2] % 3, np.arange(2)[None, :]],
        (rand(3, 4),),
    ),
    "scatter_add": (
        lambda t, s: t.scatter_add(1, torch.tensor(IDX), s),
        lambda x, s: (
            x
            + anp.stack(
                [anp.stack([anp.sum(s[i] * (IDX[i] == j)) for j in range(4)]) for i in range(3)]
            )
        ),
        (rand(3, 4), rand(3, 3, seed=1)),
    ),
    "index_select_repeats": (
        lambda t: t.index_select(1, torch.tensor([3, 0, 3])),
        lambda x: x[:, [3, 0, 3]],
        (rand(2, 4),),
    ),
    "masked_fill": (
        lambda t: t.masked_fill(torch.tensor(MASK), -1.5),
        lambda x: anp.where(MASK, -1.5, x),
        (rand(3, 4),),
    ),
    "masked_fill_broadcast_mask": (
        lambda t: t.masked_fill(torch.tensor(MASK[:1]), 0.0),
        lambda x: anp.where(MASK[:1], 0.0, x),
        (rand(3, 4),),
    ),
    "masked_fill_tensor_value": (
        lambda t, v: t.masked_fill(torch.tensor(MASK), v),
        lambda x, v: x * ~MASK + v * MASK,  # autograd's where keeps v's gradient unsummed
        (rand(3, 4), np.array(0.7)),
    ),
    "tril": (lambda t: torch.tril(t), anp.tril, (rand(4, 4),)),
    "triu_offset_batched": (lambda t: t.triu(1), lambda x: anp.triu(x, 1), (rand(2, 3, 4),)),
    "tril_negative": (lambda t: t.tril(-1), lambda x: anp.tril(x, -1), (rand(4, 3),)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_autograd_and_finite_differences(name):
    f, g, arrays = OPS[name]
    check(f, g, *arrays)


TORCH_LINES = {
    "gather": lambda lib, x: lib.gather(x, 1, lib.tensor(IDX)),
    "gather_smaller_index": lambda lib, x: x.gather(0, lib.tensor([[2, 0], [2, 2]])),
    "scatter_add": lambda lib, x, s: x.scatter_add(1, lib.tensor(IDX[:2, :2]), s),
    "index_select": lambda lib, x: lib.index_select(x, 0, lib.tensor([2, 2, 0])),
    "masked_fill_inf_then_softmax": lambda lib, x: x.masked_fill(
        lib.tril(lib.ones(3, 4)) == 0, float("-inf")
    ).softmax(dim=-1),
    "tril": lambda lib, x: lib.tril(x, diagonal=1),
    "triu": lambda lib, x: lib.triu(x, -1),
}
TORCH_INPUTS = {"scatter_add": (rand(3, 4), rand(2, 2, seed=1))}  # torch: src of index shape


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(TORCH_LINES))
def test_the_same_lines_give_pytorchs_values_and_gradients(name, dtype):
    against_torch(TORCH_LINES[name], *TORCH_INPUTS.get(name, (rand(3, 4),)), dtype=dtype)


def test_the_attention_mask_of_lets_build_gpt():
    """The lecture's cell: tril, masked_fill with -inf, softmax; every row averages the past."""
    T = 4
    tril = torch.tril(torch.ones(T, T))
    wei = torch.zeros((T, T)).masked_fill(tril == 0, float("-inf")).softmax(dim=-1)
    expected = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]
    np.testing.assert_allclose(wei.numpy(), expected, rtol=1e-7)
    assert wei.dtype == np.float32


@st.composite
def gather_case(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    ishape = [
        draw(st.integers(1, n)) if d != axis else draw(st.integers(1, 5))
        for d, n in enumerate(shape)
    ]
    seed = draw(st.integers(0, 2**16))
    index = np.random.default_rng(seed).integers(0, shape[axis], size=ishape)
    return shape, dim, index, seed


@settings(max_examples=40, deadline=None)
@given(case=gather_case(), dtype=st.sampled_from(["float64", "float32"]))
def test_gather_and_scatter_add_over_random_shapes(case, dtype):
    shape, dim, index, seed = case
    x = rand(*shape, seed=seed)
    against_torch(lambda lib, t: lib.gather(t, dim, lib.tensor(index)), x, dtype=dtype)
    src = rand(*index.shape, seed=seed + 1)
    against_torch(lambda lib, t, s: t.scatter_add(dim, lib.tensor(index), s), x, src, dtype=dtype)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(2, 4), min_size=2, max_size=3),
    diagonal=st.integers(-3, 3),
    dtype=st.sampled_from(["float64", "float32"]),
)
def test_triangles_over_random_shapes(shape, diagonal, dtype):
    against_torch(
        lambda lib, t: lib.tril(t, diagonal) + t.triu(diagonal) * 2, rand(*shape), dtype=dtype
    )


def test_in_place_forms_change_the_tensor_itself_as_torch_does():
    results = []
    for lib in (torch, real_torch):
        x = lib.zeros(3, 4)
        same = x.scatter_add_(1, lib.tensor(IDX[:, :2]), lib.ones(3, 2))
        x.masked_fill_(lib.tensor(MASK[0]), 5.0).tril_()
        assert same is x
        results.append(x.numpy().copy())
    np.testing.assert_array_equal(*results)


def test_integer_tensors_pass_through_without_gradients():
    x = torch.arange(12).reshape(3, 4)
    assert torch.tril(x).dtype == np.int64
    np.testing.assert_array_equal(
        x.gather(1, torch.tensor(IDX)).numpy(),
        np.arange(12).reshape(3, 4)[np.arange(3)[:, None], IDX],
    )
    np.testing.assert_array_equal(
        x.masked_fill(x > 5, 0).numpy(),
        np.where(np.arange(12).reshape(3, 4) > 5, 0, np.arange(12).reshape(3, 4)),
    )


BAD = {
    "gather index out of range": (
        lambda x: x.gather(1, torch.tensor([[0, 4]])),
        InputError,
        "out of bounds",
    ),
    "gather negative index": (
        lambda x: x.gather(1, torch.tensor([[-1]])),
        InputError,
        "out of bounds",
    ),
    "gather float index": (
        lambda x: x.gather(1, torch.tensor([[0.0]])),
        InputTypeError,
        "integer index",
    ),
    "gather wrong rank": (lambda x: x.gather(1, torch.tensor([0])), InputError, "2 dimensions"),
    "gather index too long": (lambda x: x.gather(1, torch.tensor([[0]] * 4)), InputError, "larger"),
    "scatter_add src too small": (
        lambda x: x.scatter_add(1, torch.tensor([[0, 1]]), torch.ones(1, 1)),
        InputError,
        "src",
    ),
    "index_select 2-d index": (
        lambda x: x.index_select(0, torch.tensor([[0]])),
        InputError,
        "1-D index",
    ),
    "masked_fill float mask": (
        lambda x: x.masked_fill(torch.ones(3, 4), 0.0),
        InputTypeError,
        "boolean mask",
    ),
    "masked_fill bad broadcast": (
        lambda x: x.masked_fill(torch.ones(2, dtype=torch.bool), 0.0),
        InputError,
        "broadcast",
    ),
    "tril of a vector": (lambda x: torch.tril(x[0]), InputError, "at least 2 dimensions"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_sentence(name):
    f, error, words = BAD[name]
    with pytest.raises(error, match=words) as e:
        f(torch.zeros(3, 4))
    _one_line(e)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_on_any_dim_as_the_attention_code_calls_it(dim, dtype):
    """``F.softmax(wei, dim=-1)``, ``torch.softmax(x, dim)``, ``x.softmax(dim)``: PyTorch's values
    and gradients on every dim of a (B, T, T) tensor, positional or by keyword."""

    def f(lib, x):
        functional = F if lib is torch else real_F
        return functional.softmax(x, dim=dim) + lib.softmax(x, dim) * x.softmax(dim=dim)

    against_torch(f, rand(2, 3, 4), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_is_clamp_as_in_torch(dtype):
    against_torch(
        lambda lib, x: lib.clip(x, -0.5, 0.7) + x.clip(min=0.1) + lib.clip(x, max=1.0),
        rand(3, 4, seed=3),
        dtype=dtype,
    )
