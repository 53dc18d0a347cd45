"""The Tensor core's bad input (issue 19's list), each refused in one sentence as PyTorch refuses
it, and the dtype of a gradient as PyTorch keeps it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule.tensor
from chainrule.errors import ChainruleError

from .opcheck import _one_line

LIBS = [torch, chainrule.tensor]


@pytest.mark.parametrize(
    "idiom, error",
    [
        (lambda lib: lib.tensor([[1, 2], [3]]), ValueError),
        (lambda lib: lib.tensor([1.0, 2.0]).reshape(-2, 1), (ValueError, RuntimeError)),
        (lambda lib: lib.zeros(6).reshape(-1, -1), (ValueError, RuntimeError)),
        (lambda lib: lib.zeros(2, dtype="bogus"), TypeError),
        (lambda lib: lib.tensor([1.0], dtype="bogus"), TypeError),
        (lambda lib: len(lib.tensor(1.0)), TypeError),
    ],
    ids=["ragged", "reshape_minus_2", "two_minus_1", "zeros_bogus", "tensor_bogus", "len_0d"],
)
def test_refused_as_pytorch_refuses_it_in_one_sentence(idiom, error):
    for lib in LIBS:
        with pytest.raises(error) as e:
            idiom(lib)
    assert isinstance(e.value, ChainruleError)
    _one_line(e)


def test_the_sentences_name_the_problem():
    with pytest.raises(ValueError, match="ragged"):
        chainrule.tensor.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="'bogus' is not a dtype.*float32"):
        chainrule.tensor.zeros(2, dtype="bogus")
    with pytest.raises(ValueError, match=r"\(-2, 3\)"):
        chainrule.tensor.zeros(6).reshape(-2, 3)


@pytest.mark.parametrize("leaf, other", [("float32", "float64"), ("float64", "float32")])
def test_a_leaf_keeps_its_dtype_in_its_gradient(leaf, other):
    grads = []
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], dtype=getattr(lib, leaf), requires_grad=True)
        b = lib.tensor([3.0, 4.0], dtype=getattr(lib, other), requires_grad=True)
        (a * b).sum().backward()
        (a * b * 2).sum().backward()  # accumulated, still in the leaf's dtype
        grads.append((a.grad, b.grad))
    (ta, tb), (ca, cb) = grads
    assert str(ca.dtype) == leaf and str(cb.dtype) == other
    assert str(ta.dtype) == f"torch.{leaf}" and str(tb.dtype) == f"torch.{other}"
    np.testing.assert_allclose(ca.numpy(), ta.numpy())
    np.testing.assert_allclose(cb.numpy(), tb.numpy())
