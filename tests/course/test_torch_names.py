"""docs/from-pytorch.md's table of the torch names the course uses is what
scripts/docs/torch_names.py finds in the code today; the collector finds torch's names and only
those; the table's notes say what chainrule does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import chainrule.tensor as chainrule_torch
from chainrule.errors import ChainruleError

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("torch_names", ROOT / "scripts/docs/torch_names.py")
torch_names = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torch_names)


def test_the_committed_table_is_what_the_code_gives():
    assert torch_names.main(["--check"]) == 0, "run python scripts/docs/torch_names.py"


def test_the_collector_finds_torch_names_and_nothing_else():
    source = """
import argparse
import numpy as np
import chainrule.tensor as torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
x = torch.randn(3).view(-1, 1)
p = F.softmax(x, dim=1).sum(1)
m = x.max(1, keepdim=True).values
a = np.zeros(3).reshape(3)
words = "a b".split()
args = argparse.Namespace(seed=1)
print(args.seed, x.shape)
optimizer.zero_grad()
loader = DataLoader([1, 2])
"""
    assert torch_names.collect(source) == {
        "torch.randn",
        "Tensor.view",
        "torch.nn.functional.softmax",
        "Tensor.sum",
        "Tensor.max",
        "Tensor.max(dim).values",
        "Tensor.shape",
        "optim.Optimizer.zero_grad",
        "torch.utils.data.DataLoader",
    }


def test_every_row_says_rightly_whether_chainrule_has_the_name():
    rows = torch_names.rows()
    assert len(rows) > 80
    for name, supported, users in rows:
        assert users, name
        if name.startswith("torch."):
            target = chainrule_torch
            for part in name.split(".")[1:]:
                target = getattr(target, part, None)
            assert (target is not None) == supported, name


def test_the_notes():
    """Seeds give other numbers than PyTorch's; no CUDA; PyTorch's files are refused."""
    torch.manual_seed(0)
    chainrule_torch.manual_seed(0)
    theirs, ours = torch.randn(5).numpy(), chainrule_torch.randn(5).numpy()
    assert not np.allclose(theirs, ours)
    g, h = torch.Generator().manual_seed(1), chainrule_torch.Generator().manual_seed(1)
    assert not np.allclose(torch.randn(5, generator=g), chainrule_torch.randn(5, generator=h))
    assert chainrule_torch.cuda.is_available() is False
    assert set(torch_names.NOTES) <= {name for name, _, _ in torch_names.rows()}


def test_a_file_pytorch_wrote_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ChainruleError):
        chainrule_torch.load(path)
    chainrule_torch.save({"w": chainrule_torch.ones(2)}, tmp_path / "ours.pt")
    assert chainrule_torch.load(tmp_path / "ours.pt")["w"].tolist() == [1.0, 1.0]


def test_what_the_page_says_is_different_or_missing():
    """docs/from-pytorch.md's list: Tensor(1.0) is float64 where torch.tensor(1.0) is float32;
    backward takes no create_graph; no CUDA; no convolutions, recurrent layers or complex
    tensors. (.data and the in-place rules: tests/tensor/test_ops_inplace.py.)"""
    assert chainrule_torch.Tensor(1.0).dtype == chainrule_torch.float64
    assert chainrule_torch.tensor(1.0).dtype == chainrule_torch.float32
    x = chainrule_torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError):
        (x * x).sum().backward(create_graph=True)
    with pytest.raises(ChainruleError, match="CPU"):
        x.to("cuda")
    for name in ("Conv2d", "RNN", "LSTM"):
        assert hasattr(torch.nn, name) and not hasattr(chainrule_torch.nn, name)
    assert not hasattr(chainrule_torch, "complex64") and not hasattr(
        chainrule_torch, "sparse_coo_tensor"
    )
