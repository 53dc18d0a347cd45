"""Devices on a CPU-only engine, against real PyTorch (2.13, CPU build): ``torch.device("cpu")``,
``torch.cuda.is_available()``, ``x.to(...)`` in PyTorch's forms (dtype, device, both, another
tensor, ``copy=``), ``x.cpu()``, ``x.device``; any other device is one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real

import chainrule.tensor as torch
from chainrule.errors import InputError


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip()
    return message


def test_the_cpu_device_reads_and_compares_as_pytorchs():
    for args in (("cpu",), ("cpu", 0), ("cpu:0",)):
        ours, theirs = torch.device(*args), real.device(*args)
        assert (str(ours), repr(ours), ours.type, ours.index) == (
            str(theirs), repr(theirs), theirs.type, theirs.index
        )  # fmt: skip
    assert torch.device("cpu") == "cpu" and torch.device(torch.device("cpu")) == "cpu"
    assert torch.cuda.is_available() is real.cuda.is_available() is False
    assert torch.cuda.device_count() == 0 and torch.backends.mps.is_available() is False
    assert torch.zeros(2).device == torch.device("cpu") and not torch.zeros(2).is_cuda
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # the usual line
    assert torch.ones(3).to(device).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xla", 0])
def test_any_other_device_is_one_sentence(name):
    for attempt in (
        lambda: torch.device(name),
        lambda: torch.zeros(2).to(name),
        lambda: torch.zeros(2).to(device=name),
        lambda: torch.nn.Linear(2, 2).to(name),
    ):
        with pytest.raises(InputError) as e:
            attempt()
        assert "CPU only" in _one_line(e)


def test_to_takes_pytorchs_forms():
    x = np.array([1.5, -2.25, 3.0], dtype=np.float32)
    ours, theirs = torch.tensor(x, requires_grad=True), real.tensor(x, requires_grad=True)
    other64, real64 = torch.zeros(1, dtype=torch.float64), real.zeros(1, dtype=real.float64)
    forms = [
        ((torch.float64,), {}, (real.float64,), {}),
        (("cpu",), {}, ("cpu",), {}),
        (("cpu", torch.float64), {}, ("cpu", real.float64), {}),
        ((other64,), {}, (real64,), {}),
        (
            (),
            {"dtype": torch.float64, "device": "cpu"},
            (),
            {"dtype": real.float64, "device": "cpu"},
        ),
        ((torch.int64,), {}, (real.int64,), {}),
        (
            (torch.device("cpu"),),
            {"non_blocking": True},
            (real.device("cpu"),),
            {"non_blocking": True},
        ),
    ]
    for args, kwargs, real_args, real_kwargs in forms:
        a, b = ours.to(*args, **kwargs), theirs.to(*real_args, **real_kwargs)
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert (a is ours) == (b is theirs)  # itself when nothing changes, as PyTorch
        assert a.requires_grad == b.requires_grad
    assert ours.to("cpu", copy=True) is not ours and theirs.to("cpu", copy=True) is not theirs
    assert ours.cpu() is ours


def test_to_passes_the_gradient_back_in_the_tensors_own_dtype():
    x = np.array([0.5, -1.0], dtype=np.float32)
    ours, theirs = torch.tensor(x, requires_grad=True), real.tensor(x, requires_grad=True)
    (ours.to("cpu", torch.float64) ** 2).sum().backward()
    (theirs.to("cpu", real.float64) ** 2).sum().backward()
    assert ours.grad.dtype == np.float32 and theirs.grad.dtype == real.float32
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_to_with_something_that_is_neither_device_nor_dtype_is_one_sentence():
    with pytest.raises(TypeError) as e:
        torch.zeros(1).to([1])
    assert "device" in _one_line(e)
