"""The ops added for PyTorch's surface, tested like the others (``check``: the value and the
gradient against HIPS autograd and central finite differences), with hypothesis over shapes
for batched matmul and the PyTorch-style reductions."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
from chainrule.errors import InputError, InputTypeError
from chainrule.tensor import Tensor

from .opcheck import away_from_zero, check, distinct, rand

OPS = {
    # name: (f on tensors, g on autograd arrays, input arrays)
    "var_unbiased_dim0": (lambda t: t.var(0), lambda x: anp.var(x, axis=0, ddof=1), (rand(4, 3),)),
    "var_unbiased_all": (lambda t: t.var(), lambda x: anp.var(x, ddof=1), (rand(4, 3),)),
    "var_keepdim": (
        lambda t: t.var(1, keepdim=True),
        lambda x: anp.var(x, axis=1, ddof=1, keepdims=True),
        (rand(4, 3),),
    ),
    "std_unbiased": (lambda t: t.std(1), lambda x: anp.std(x, axis=1, ddof=1), (rand(4, 3),)),
    "std_correction_0": (
        lambda t: torch.std(t, 0, correction=0),
        lambda x: anp.std(x, axis=0),
        (rand(4, 3),),
    ),
    "max_dim_values": (lambda t: t.max(1).values, lambda x: anp.max(x, 1), (distinct(3, 5),)),
    "min_dim_keepdim": (
        lambda t: t.min(0, keepdim=True)[0],
        lambda x: anp.min(x, 0, keepdims=True),
        (distinct(3, 5),),
    ),
    "logsumexp": (
        lambda t: t.logsumexp(1) * 1.0,
        lambda x: anp.log(anp.sum(anp.exp(x), axis=1)),
        (rand(3, 5),),
    ),
    "softmax_dim": (
        lambda t: torch.softmax(t, dim=0),
        lambda x: anp.exp(x) / anp.sum(anp.exp(x), axis=0),
        (rand(3, 4),),
    ),
    "abs": (lambda t: t.abs(), anp.abs, (away_from_zero(3, 4),)),
    "sqrt": (lambda t: torch.sqrt(t), anp.sqrt, (rand(3, 4, low=0.3, high=2.0),)),
    "clamp": (lambda t: t.clamp(-0.5, 0.7), lambda x: anp.clip(x, -0.5, 0.7), (distinct(3, 4),)),
    "clamp_min": (lambda t: torch.clamp(t, min=0.1), lambda x: anp.maximum(x, 0.1), (distinct(4),)),
    "maximum": (torch.maximum, anp.maximum, (distinct(3, 4), distinct(3, 4, seed=1) + 0.01)),
    "minimum_broadcast": (
        torch.minimum,
        anp.minimum,
        (distinct(3, 4), distinct(4, seed=2) + 0.01),
    ),
    "pow_method": (lambda t: t.pow(3), lambda x: x**3, (rand(3, 4),)),
    "clone": (lambda t: t.clone() * 2.0, lambda x: x * 2.0, (rand(2, 3),)),
    "view_flatten": (lambda t: t.view(2, -1).flatten(), lambda x: x.reshape(-1), (rand(2, 3, 2),)),
    "unsqueeze_squeeze": (
        lambda t: t.unsqueeze(0).unsqueeze(-1).squeeze(0) * 1.0,
        lambda x: x[:, :, None],
        (rand(2, 3),),
    ),
    "permute": (
        lambda t: t.permute(2, 0, 1),
        lambda x: anp.transpose(x, (2, 0, 1)),
        (rand(2, 3, 4),),
    ),
    "transpose_two_dims_of_3d": (
        lambda t: t.transpose(0, 2),
        lambda x: anp.transpose(x, (2, 1, 0)),
        (rand(2, 3, 4),),
    ),
    "stack_dim1": (
        lambda a, b: torch.stack([a, b], dim=1),
        lambda a, b: anp.stack([a, b], axis=1),
        (rand(2, 3), rand(2, 3, seed=1)),
    ),
    "cat": (
        lambda a, b: torch.cat([a, b], 1),
        lambda a, b: anp.concatenate([a, b], axis=1),
        (rand(2, 3), rand(2, 1, seed=1)),
    ),
    "embedding_lookup_C_of_X": (
        lambda C: C[Tensor(np.array([[0, 2, 2], [1, 0, 2]]))].view(2, -1),
        lambda C: C[np.array([[0, 2, 2], [1, 0, 2]])].reshape(2, -1),
        (rand(3, 4),),
    ),
    "range_and_labels": (
        lambda x: x[range(3), Tensor(np.array([1, 0, 1]))],
        lambda x: x[np.arange(3), np.array([1, 0, 1])],
        (rand(3, 2),),
    ),
    "boolean_mask": (
        lambda x: x[x.detach() > 0] * 1.0,
        lambda x: x[np.asarray(rand(3, 4)) > 0],
        (rand(3, 4),),
    ),
    "batched_matmul": (lambda a, b: a @ b, anp.matmul, (rand(2, 3, 4), rand(2, 4, 5, seed=1))),
    "batched_matmul_broadcast": (
        lambda a, b: torch.matmul(a, b),
        anp.matmul,
        (rand(2, 1, 3, 4), rand(5, 4, 2, seed=1)),
    ),
    "vector_at_stack": (lambda a, b: a @ b, anp.matmul, (rand(4), rand(3, 4, 2, seed=1))),
    "stack_at_vector": (lambda a, b: a @ b, anp.matmul, (rand(3, 2, 4), rand(4, seed=1))),
    "dot_1d": (lambda a, b: a @ b, anp.dot, (rand(4), rand(4, seed=1))),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_autograd_and_finite_differences(name):
    f, g, arrays = OPS[name]
    check(f, g, *arrays)


@st.composite
def matmul_shapes(draw):
    """Two stacks of matrices whose batch dimensions broadcast (numpy's matmul rules)."""
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    other = [draw(st.sampled_from([b, 1])) for b in batch]
    cut = draw(st.integers(0, len(other)))
    return (*batch, m, k), (*other[cut:], k, n)


@settings(max_examples=60, deadline=None)
@given(shapes=matmul_shapes(), swap=st.booleans())
def test_batched_matmul_over_random_shapes(shapes, swap):
    a_shape, b_shape = shapes
    if swap:  # the broadcast batch on the right operand instead
        a_shape, b_shape = (*b_shape[:-2], a_shape[-2], a_shape[-1]), (*a_shape[:-2], *b_shape[-2:])
    check(lambda a, b: a @ b, anp.matmul, rand(*a_shape), rand(*b_shape, seed=1))


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(2, 4), min_size=1, max_size=3),
    data=st.data(),
    keepdim=st.booleans(),
)
def test_unbiased_var_and_std_over_random_shapes(shape, data, keepdim):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = distinct(*shape)
    check(
        lambda t: t.var(dim, keepdim=keepdim),
        lambda a: anp.var(a, axis=dim, ddof=1, keepdims=keepdim),
        x,
    )
    check(
        lambda t: t.std(dim=dim, keepdim=keepdim),
        lambda a: anp.std(a, axis=dim, ddof=1, keepdims=keepdim),
        x,
    )


def test_max_with_dim_returns_values_and_the_indices_numpy_finds():
    x = distinct(4, 5, seed=3)
    t = Tensor(x, requires_grad=True)
    values, indices = t.max(1)
    np.testing.assert_array_equal(values.numpy(), x.max(1))
    np.testing.assert_array_equal(indices.numpy(), x.argmax(1))
    assert indices.dtype == np.int64
    values.sum().backward()
    expected = np.zeros_like(x)
    expected[np.arange(4), x.argmax(1)] = 1.0
    np.testing.assert_array_equal(t.grad.numpy(), expected)
    assert torch.argmax(t, 1).tolist() == x.argmax(1).tolist()
    assert t.argmax().item() == x.argmax()


def test_max_with_dim_sends_a_tie_to_the_first_index_only():
    t = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    t.max(1).values.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[0.0, 1.0, 0.0]])


def test_maximum_shares_a_tie():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    torch.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0])


def test_repeated_embedding_rows_add_up_their_gradients():
    C = Tensor(np.zeros((3, 2)), requires_grad=True)
    X = Tensor(np.array([[0, 0], [2, 0]]))
    C[X].sum().backward()
    np.testing.assert_array_equal(C.grad.numpy(), [[3.0, 3.0], [0.0, 0.0], [1.0, 1.0]])


def test_bad_dims_and_indices_are_clear_errors():
    t = Tensor(rand(2, 3))
    for bad in (lambda: t.sum(2), lambda: t.var(5), lambda: t[5], lambda: t.unsqueeze(4)):
        with pytest.raises(InputError):
            bad()
    with pytest.raises(InputError, match="correction"):
        Tensor(rand(1, 3)).var(0)
    with pytest.raises(InputError, match="matmul"):
        Tensor(rand(2, 3, 4)) @ Tensor(rand(2, 5, 4))


BAD_DIMS = {
    "softmax": lambda t: t.softmax(dim=2),
    "log_softmax": lambda t: t.log_softmax(-3),
    "argmax": lambda t: t.argmax(dim=9),
    "argmin": lambda t: t.argmin(dim=-3),
    "transpose": lambda t: t.transpose(0, 5),
    "permute": lambda t: t.permute(0, 2),
    "squeeze": lambda t: t.squeeze(4),
    "unsqueeze": lambda t: t.unsqueeze(-4),
    "flatten": lambda t: t.flatten(3),
    "size": lambda t: t.size(5),
    "max": lambda t: t.max(dim=2),
    "logsumexp": lambda t: t.logsumexp(dim=7),
}


@pytest.mark.parametrize("op", list(BAD_DIMS))
def test_a_dim_a_tensor_does_not_have_is_named_in_one_sentence(op):
    """PyTorch says 'Dimension out of range'; numpy would wrap some (transpose(0, 5) swapped
    dims 0 and 1) and raise AxisError or IndexError for others."""
    t = Tensor(rand(2, 3), requires_grad=True)
    with pytest.raises(InputError) as e:
        BAD_DIMS[op](t)
    message = str(e.value)
    assert "\n" not in message and "out of range" in message and "(2, 3)" in message


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: torch.zeros(-1), InputError, "negative"),
        (lambda: torch.ones(2, -3), InputError, "negative"),
        (lambda: torch.full((2, -1), 1.0), InputError, "negative"),
        (lambda: torch.randint(0, 5, (-2,)), InputError, "negative"),
        (lambda: torch.randn(2, "a"), InputTypeError, "whole numbers"),
        (lambda: torch.rand(2.5), InputTypeError, "whole numbers"),
        (lambda: Tensor(rand(2, 3)).sum(dim=1.0), InputTypeError, "integer"),
    ],
)
def test_impossible_sizes_are_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_flatten_and_squeeze_still_take_negative_dims():
    t = Tensor(np.zeros((2, 1, 3, 1)))
    assert t.squeeze(-1).shape == (2, 1, 3) and t.squeeze(1).shape == (2, 3, 1)
    assert t.flatten(-3, -2).shape == (2, 3, 1) and t.transpose(-1, 0).shape == (1, 1, 3, 2)
    assert t.unsqueeze(-1).shape == (2, 1, 3, 1, 1) and t.size(-2) == 3


def test_a_dtype_change_passes_the_gradient_back_in_the_input_dtype():
    x = Tensor(np.array([0.5, 0.25, -2.0]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and x.to(torch.float64) is x
    (y * Tensor(np.array([1.0, 3.0, 0.1], dtype=np.float32))).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.float32([1.0, 3.0, 0.1]).astype(np.float64))
    labels = Tensor(np.array([1.7, 2.2])).long()
    assert labels.dtype == np.int64 and not labels.requires_grad and labels.tolist() == [1, 2]
