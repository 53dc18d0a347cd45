"""Data sets: loaders with fixed splits, a strict IDX reader and a verified downloader.

``load(name)`` returns a :class:`Dataset` whose ``X_*`` are float arrays of shape
``(n, n_features)`` and whose ``y_*`` are int64 labels of shape ``(n,)``; see
:mod:`chainrule.data.datasets` for the data sets and their splits.
"""

from chainrule.data.datasets import DATASETS, Dataset, data_root, digits, load, mnist, moons, xor
from chainrule.data.download import MIRRORS, MNIST_FILES, fetch, fetch_mnist
from chainrule.data.idx import read_idx

__all__ = [
    "DATASETS",
    "MIRRORS",
    "MNIST_FILES",
    "Dataset",
    "data_root",
    "digits",
    "fetch",
    "fetch_mnist",
    "load",
    "mnist",
    "moons",
    "read_idx",
    "xor",
]
