"""The book's ``mnist_loader``: MNIST in the formats of *Neural Networks and Deep Learning*, read
from chainrule's MNIST files (:func:`chainrule.data.mnist`, the book's 50,000 / 10,000 / 10,000
split: the first 50,000 training images train, the last 10,000 validate, the test set tests).

* :func:`load_data` gives three pairs ``(images, labels)``: ``images`` float32 of shape
  ``(n, 784)`` (pixels in [0, 1]), ``labels`` int64 of shape ``(n,)``.
* :func:`load_data_wrapper` gives the lists the book's networks take: ``(x, y)`` with ``x`` a
  ``(784, 1)`` column; in the training list ``y`` is a ``(10, 1)`` one-hot column, in the
  validation and test lists ``y`` is the digit itself.

The files are found in ``DATA_DIR/mnist``, else ``$CHAINRULE_DATA/mnist``, else a user cache's
(:func:`chainrule.data.data_root`). When they are missing, a line on stderr says where it looked
and that it downloads them there (checksums verified, see :mod:`chainrule.data`); a ``data_dir``
that does not exist is refused instead (a mistyped path should not start a download).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from chainrule.data import data_root, mnist
from chainrule.data.download import MNIST_FILES
from chainrule.errors import DataError

__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]


def load_data(data_dir=None):
    """``(training_data, validation_data, test_data)``, each ``(images (n, 784), labels (n,))``."""
    folder = data_root(data_dir) / "mnist"
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DataError(
            f"the data folder {data_dir} does not exist; give the folder whose mnist subfolder "
            f"holds MNIST's files, or no folder to use {data_root(None)} (where MNIST is "
            "downloaded when missing)."
        )
    missing = [
        name
        for name in MNIST_FILES  # a file counts gzipped or not, as chainrule.data finds it
        if not any((folder / n).is_file() for n in (name, name.removesuffix(".gz")))
    ]
    if missing:
        print(
            f"MNIST is not in {folder} ({len(missing)} of its {len(MNIST_FILES)} files are "
            "missing); downloading them there (about 11 MB) ...",
            file=sys.stderr,
            flush=True,
        )
    d = mnist(data_dir)
    return (d.X_train, d.y_train), (d.X_val, d.y_val), (d.X_test, d.y_test)


def load_data_wrapper(data_dir=None):
    """``(training_data, validation_data, test_data)`` as lists of ``(x, y)``, ``x`` of shape
    ``(784, 1)``; ``y`` a ``(10, 1)`` one-hot column for training, the digit (an int) otherwise.
    The columns are views into one array, so the lists cost no copy of the images."""
    (X, y), (X_val, y_val), (X_test, y_test) = load_data(data_dir)
    training_data = [(x[:, None], vectorized_result(j)) for x, j in zip(X, y)]
    validation_data = [(x[:, None], int(j)) for x, j in zip(X_val, y_val)]
    test_data = [(x[:, None], int(j)) for x, j in zip(X_test, y_test)]
    return training_data, validation_data, test_data


def vectorized_result(j):
    """The digit ``j`` as the output the network should give: a ``(10, 1)`` column, 1.0 at ``j``."""
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e
