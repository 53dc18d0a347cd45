"""The book's mnist_loader on the real MNIST files: its formats and split, checked against the raw
IDX bytes read here by hand; and one epoch on a slice of it against the book's algorithm."""

import gzip
import random

import numpy as np
import pytest
from book_reference import Book

from chainrule.book import mnist_loader, network


@pytest.fixture(scope="module")
def wrapped(mnist_root):
    return mnist_loader.load_data_wrapper(mnist_root)


def raw(root, name, header):
    """An IDX file's payload as uint8, its header skipped (16 bytes for images, 8 for labels)."""
    return np.frombuffer(gzip.decompress((root / "mnist" / name).read_bytes())[header:], np.uint8)


def test_load_data_wrapper_gives_the_books_lists(mnist_root, wrapped):
    root = mnist_root
    training, validation, test = wrapped
    assert (len(training), len(validation), len(test)) == (50000, 10000, 10000)
    images = raw(root, "train-images-idx3-ubyte.gz", 16).reshape(60000, 784)
    labels = raw(root, "train-labels-idx1-ubyte.gz", 8)
    for i in (0, 1, 49999):
        x, y = training[i]
        assert x.shape == (784, 1) and y.shape == (10, 1)
        np.testing.assert_allclose(x[:, 0], images[i] / 255.0, rtol=1e-6)
        assert y[:, 0].tolist() == np.eye(10)[labels[i]].tolist()
    x, y = validation[0]  # the validation set is the last 10,000 training images
    np.testing.assert_allclose(x[:, 0], images[50000] / 255.0, rtol=1e-6)
    assert y == labels[50000] and isinstance(y, int)
    test_labels = raw(root, "t10k-labels-idx1-ubyte.gz", 8)
    assert [y for _, y in test[:100]] == test_labels[:100].tolist()


def test_load_data_gives_the_books_arrays(mnist_root):
    root = mnist_root
    (X, y), (X_val, y_val), (X_test, y_test) = mnist_loader.load_data(root)
    assert X.shape == (50000, 784) and y.shape == (50000,)
    assert X_val.shape == (10000, 784) and X_test.shape == (10000, 784) and y_test.shape == (10000,)
    assert X.dtype == np.float32 and X.min() >= 0.0 and X.max() == 1.0
    assert y_val[0] == raw(root, "train-labels-idx1-ubyte.gz", 8)[50000]


def test_one_epoch_on_a_slice_of_mnist_gives_the_books_weights(wrapped):
    training, _, test = wrapped
    np.random.seed(0)
    net = network.Network([784, 30, 10])
    book = Book(net.biases, net.weights)
    random.seed(0)
    net.SGD(training[:300], 1, 10, 3.0)
    random.seed(0)
    book.SGD(training[:300], 1, 10, 3.0)
    for ours, want in zip(net.weights + net.biases, book.weights + book.biases):
        np.testing.assert_allclose(ours, want, rtol=0, atol=1e-12)
    right = sum(int(np.argmax(book.feedforward(x)) == y) for x, y in test[:500])
    assert net.evaluate(test[:500]) == right
