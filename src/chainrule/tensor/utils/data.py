"""``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split`` and the
``DataLoader`` that walks a dataset in batches.

``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
collate_fn=None)`` yields each batch as PyTorch's default collate makes it: samples that are
tuples give a list with one stacked tensor per field; tensors and numpy arrays are stacked
(a new first dimension of size ``batch_size``); Python floats become a float64 tensor, ints an
int64 one; dicts are collated per key; strings stay a tuple. The order is shuffled each epoch
(each ``iter``) when ``shuffle=True``, from ``generator`` or the global generator (numpy's
PCG64: the same seed gives the same order run after run, but not PyTorch's order).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor
from chainrule.tensor.creation import _rng
from chainrule.tensor.ops_shape import stack

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is the i-th sample, ``len(dataset)`` their number.
    Subclass it and define both."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__.")


class TensorDataset(Dataset):
    """Samples ``(t1[i], t2[i], ...)`` from tensors of one first dimension (inputs, labels)."""

    def __init__(self, *tensors):
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        if not tensors or any(t.ndim == 0 for t in tensors):
            raise InputError("TensorDataset needs one or more tensors with a first dimension.")
        sizes = {len(t) for t in tensors}
        if len(sizes) != 1:
            raise InputError(
                f"TensorDataset's tensors must have one first dimension (one row per sample), "
                f"got {[t.shape for t in tensors]}."
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """``dataset`` cut at random into Subsets of ``lengths`` (counts summing to its length, or
    fractions summing to 1, the remainder dealt one by one from the first)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1):
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n or any(k < 0 for k in lengths):
        raise InputError(
            f"random_split's lengths {lengths} must be counts summing to the dataset's "
            f"length {n} (or fractions summing to 1)."
        )
    order = _rng(generator).permutation(n).tolist()
    bounds = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def default_collate(batch):
    """A list of samples -> one batch, as PyTorch's default_collate (see the module's doc)."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return Tensor(xp.asarray(batch, dtype=xp.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(xp.asarray(batch, dtype=xp.int64))
    if isinstance(first, numbers.Real):
        return Tensor(xp.asarray(batch, dtype=xp.float64))
    if isinstance(first, (str, bytes)):
        return tuple(batch)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in batch):
            raise InputError("each sample in a batch must have the same number of fields.")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise InputTypeError(
        f"default_collate cannot batch samples of type {type(first).__name__}; return tensors, "
        "numpy arrays, numbers, or tuples/dicts of them, or pass collate_fn=."
    )


def _convert(sample):
    """A sample as PyTorch's default_convert leaves it when batch_size=None."""
    if isinstance(sample, np.ndarray):
        return Tensor(sample)
    if isinstance(sample, tuple):
        return [_convert(s) for s in sample]
    return sample


class DataLoader:
    """Batches of ``dataset`` (see the module's doc); ``len(loader)`` is the number of batches,
    ``ceil(n / batch_size)`` (``floor`` with ``drop_last=True``)."""

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator=None,
        collate_fn=None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ):
        if batch_size is not None and (
            not isinstance(batch_size, (int, np.integer))
            or isinstance(batch_size, bool)
            or batch_size < 1
        ):
            raise InputError(f"batch_size must be a positive whole number, got {batch_size!r}.")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise InputError(f"num_workers must be 0 or more, got {num_workers!r}.")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.generator = bool(shuffle), drop_last, generator
        self.collate_fn = collate_fn
        self.num_workers = num_workers  # accepted; batches are made in this process

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        return _rng(self.generator).permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield _convert(self.dataset[int(i)])
            return
        fast = self.collate_fn is None and type(self.dataset) is TensorDataset
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            if fast:  # one indexing per tensor, the same values as stacking the samples
                yield [t[index] for t in self.dataset.tensors]
            else:
                samples = [self.dataset[int(i)] for i in index]
                yield (self.collate_fn or default_collate)(samples)
