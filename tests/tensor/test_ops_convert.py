"""A tensor as Python values (ops_convert): each idiom run on chainrule and on PyTorch itself,
which is the judge of the values and of the error classes (``for`` needs IndexError, ``len``
of a 0-d tensor is a TypeError, an ambiguous truth a RuntimeError)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule.tensor

LIBS = [torch, chainrule.tensor]


def _both(f):
    """``f(lib)`` for PyTorch and for chainrule; the two results."""
    return [f(lib) for lib in LIBS]


def test_nelement_is_numel():
    theirs, ours = _both(lambda lib: (lib.zeros(2, 3).nelement(), lib.tensor(1.0).nelement()))
    assert ours == theirs == (6, 1)


def test_iterating_gives_the_rows_and_stops_at_the_end():
    values = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    theirs, ours = _both(lambda lib: [row.tolist() for row in lib.tensor(values)])
    assert ours == theirs == values
    theirs, ours = _both(lambda lib: [int(i) for i in lib.tensor([3, 1, 2])])
    assert ours == theirs == [3, 1, 2]


def test_rows_from_iteration_carry_the_gradient():
    x = chainrule.tensor.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum((row * (i + 1)).sum() for i, row in enumerate(x))
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [2.0, 2.0]])


@pytest.mark.parametrize("lib", LIBS, ids=["torch", "chainrule"])
def test_an_index_past_the_end_is_an_index_error(lib):
    with pytest.raises(IndexError, match="5"):
        lib.zeros(3)[5]
    with pytest.raises(IndexError):
        lib.zeros(2, 3)[0, 3]


@pytest.mark.parametrize("spec", [".4f", "8.2e", "", ">10.3f"])
def test_format_of_a_0d_tensor_formats_its_number(spec):
    theirs, ours = _both(lambda lib: format(lib.tensor(2.718281828, dtype=lib.float64), spec))
    if spec:
        assert ours == theirs
    assert f"{chainrule.tensor.tensor([0.5]):.2f}" == "0.50"  # one element: its number too


def test_format_of_a_tensor_of_many_numbers_is_refused_in_one_sentence():
    for lib in LIBS:
        with pytest.raises(TypeError):
            format(lib.ones(3), ".4f")


def test_one_element_tensors_as_python_numbers_and_indices():
    def convert(lib):
        i, x, flag = lib.tensor([2]), lib.tensor(2.5), lib.tensor(True)
        return (int(x), float(i), bool(flag), bool(lib.tensor(0.0)), [10, 20, 30][i], range(i))

    theirs, ours = _both(convert)
    assert ours == theirs == (2, 2.0, True, False, 30, range(0, 2))


@pytest.mark.parametrize(
    "idiom, error",
    [
        (lambda lib: int(lib.ones(2)), ValueError),
        (lambda lib: float(lib.ones(2)), ValueError),
        (lambda lib: bool(lib.ones(2)), RuntimeError),
        (lambda lib: [1, 2][lib.tensor(1.0)], TypeError),
        (lambda lib: len(lib.tensor(1.0)), TypeError),
        (lambda lib: iter(lib.tensor(1.0)), TypeError),
    ],
    ids=["int_of_two", "float_of_two", "bool_of_two", "float_index", "len_0d", "iter_0d"],
)
def test_what_pytorch_refuses_is_refused_with_its_error_class_in_one_sentence(idiom, error):
    for lib in LIBS:
        with pytest.raises(error) as e:
            idiom(lib)
    message = str(e.value)
    assert "\n" not in message and message.endswith(".")


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's, with numpy 2
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_0d_tensor_with_a_0d_numpy_array_is_a_tensor(dtype):
    theirs, ours = _both(lambda lib: lib.tensor(3.0, dtype=getattr(lib, dtype)) - np.ones(()))
    assert isinstance(ours, chainrule.tensor.Tensor) and ours.shape == ()
    assert ours.item() == theirs.item() == 2.0
    x = chainrule.tensor.tensor(3.0, requires_grad=True)
    (x * x).backward()  # the same leaf twice in one 0-d product: its gradient adds up
    (x * x).backward()
    assert (x.grad - np.ones(())).item() == 11.0 and np.asarray(x.grad).shape == ()
