"""The book's ``mnist_loader``: MNIST in the formats of *Neural Networks and Deep Learning*, read
from chainrule's MNIST files (:func:`chainrule.data.mnist`, the book's 50,000 / 10,000 / 10,000
split: the first 50,000 training images train, the last 10,000 validate, the test set tests).

* :func:`load_data` gives three pairs ``(images, labels)``: ``images`` float32 of shape
  ``(n, 784)`` (pixels in [0, 1]), ``labels`` int64 of shape ``(n,)``.
* :func:`load_data_wrapper` gives the lists the book's networks take: ``(x, y)`` with ``x`` a
  ``(784, 1)`` column; in the training list ``y`` is a ``(10, 1)`` one-hot column, in the
  validation and test lists ``y`` is the digit itself.

The files are found in ``$CHAINRULE_DATA/mnist`` (else a user cache) and downloaded, checksums
verified, when missing: see :mod:`chainrule.data`.
"""

from __future__ import annotations

import numpy as np

from chainrule.data import mnist

__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]


def load_data(data_dir=None):
    """``(training_data, validation_data, test_data)``, each ``(images (n, 784), labels (n,))``."""
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
