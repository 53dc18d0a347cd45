"""``torch.utils.data`` against real PyTorch (2.13, CPU): the batches a DataLoader yields (values,
dtypes, structure: PyTorch's default collate), their number, drop_last; shuffling (a new
permutation each epoch, repeatable with a seeded generator); random_split."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils import data as real_data

import chainrule.tensor as torch
from chainrule.errors import InputError
from chainrule.tensor.utils.data import DataLoader, Dataset, TensorDataset, random_split


def _plain(batch):
    """A batch as nested Python values with dtypes, comparable across the two libraries."""
    if isinstance(batch, (torch.Tensor, real.Tensor)):
        array = np.asarray(batch.numpy())
        return ("tensor", array.dtype.name, array.shape, array.tolist())
    if isinstance(batch, dict):
        return ("dict", [(k, _plain(v)) for k, v in batch.items()])
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_plain(b) for b in batch])
    return batch


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 30),
    batch_size=st.integers(1, 12),
    drop_last=st.booleans(),
    dtype=st.sampled_from(["float32", "float64", "int64"]),
)
def test_tensor_dataset_batches_are_pytorchs(n, batch_size, drop_last, dtype):
    x = np.arange(n * 3).reshape(n, 3).astype(dtype)
    y = np.arange(n) % 4
    ours = DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size, False, drop_last)
    theirs = real_data.DataLoader(
        real_data.TensorDataset(real.from_numpy(x), real.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


class Mixed:
    """Samples of every kind the default collate knows (a numpy array, an int, a float, a
    string, a dict), as a map-style dataset for either library."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return (np.full(2, i * 0.5), i, float(i) / 3, f"s{i}", {"k": i, "v": np.ones(1) * i})


def test_default_collate_of_mixed_samples_is_pytorchs():
    ours = [_plain(b) for b in DataLoader(type("D", (Mixed, Dataset), {})(None), batch_size=2)]
    theirs = [
        _plain(b) for b in real_data.DataLoader(type("D", (Mixed, real_data.Dataset), {})(None), 2)
    ]
    assert ours == theirs
    unbatched = DataLoader(TensorDataset(torch.arange(3)), batch_size=None)
    real_unbatched = real_data.DataLoader(real_data.TensorDataset(real.arange(3)), batch_size=None)
    assert [_plain(b) for b in unbatched] == [_plain(b) for b in real_unbatched]


def test_shuffle_gives_a_new_permutation_each_epoch_repeatable_with_a_generator():
    data = TensorDataset(torch.arange(50), torch.arange(50) * 10)
    loader = DataLoader(
        data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1)
    )
    epochs = [[b[0].tolist() for b in loader] for _ in range(3)]
    for batches in epochs:
        seen = [i for batch in batches for i in batch]
        assert sorted(seen) == list(range(50)) and [len(b) for b in batches] == [8] * 6 + [2]
    assert epochs[0] != epochs[1] != epochs[2]
    again = DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1))
    assert [b[0].tolist() for b in again] == epochs[0]
    for xb, yb in loader:  # the fields stay paired
        assert (yb.numpy() == xb.numpy() * 10).all()


def test_random_split_partitions_the_dataset():
    data = TensorDataset(torch.arange(10))
    parts = random_split(data, [0.7, 0.3], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [
        len(p) for p in real_data.random_split(range(10), [0.7, 0.3])
    ]
    values = sorted(int(p[i][0].item()) for p in parts for i in range(len(p)))
    assert values == list(range(10))
    with pytest.raises(InputError, match="lengths"):
        random_split(data, [3, 3])


def test_bad_loader_arguments_are_one_sentence():
    data = TensorDataset(torch.arange(4))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="batch_size"):
            DataLoader(data, batch_size=bad)
    with pytest.raises(InputError, match="first dimension"):
        TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(TypeError, match="cannot batch"):
        list(
            DataLoader(
                type(
                    "D", (Dataset,), {"__len__": lambda s: 2, "__getitem__": lambda s, i: object()}
                )(),
                2,
            )
        )
