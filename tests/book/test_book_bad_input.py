"""chainrule.book on data and arguments the book never shows: whole-number labels in training
data (one-hot targets, whatever the batch size; judged by the book's algorithm on the one-hot
columns), and one sentence (InputError, DataError) for every argument that used to fail deep
inside, train nothing in silence, or start a download without a word."""

import random

import numpy as np
import pytest
from book_reference import Book

from chainrule.book import mnist_loader, network, network2
from chainrule.data import download
from chainrule.errors import DataError, InputError

SIZES = [6, 5, 4, 3]


def labelled(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((SIZES[0], 1)), int(j)) for j in rng.integers(0, SIZES[-1], n)]


def one_hot(data):
    return [(x, np.eye(SIZES[-1])[j][:, None]) for x, j in data]


@pytest.mark.parametrize("batch", [SIZES[-1], 7, 1, 40])  # 3: the batch size equals the outputs
@pytest.mark.parametrize("kind", ["int", "numpy"])
def test_whole_number_labels_train_as_their_one_hot_columns(batch, kind):
    data = labelled()
    if kind == "numpy":
        data = [(x, np.int64(j)) for x, j in data]
    np.random.seed(4)
    net = network2.Network(SIZES)
    book = Book(net.biases, net.weights, cross_entropy=True)
    random.seed(11)
    net.SGD(data, 2, batch, 0.5, lmbda=1.0)
    random.seed(11)
    book.SGD(one_hot(data), 2, batch, 0.5, lmbda=1.0)
    for ours, want in zip(net.weights + net.biases, book.weights + book.biases):
        np.testing.assert_allclose(ours, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "y, match",
    [
        (2.0, "whole-number label"),  # a float is no label, and no (3, 1) column either
        (np.zeros((4, 1)), r"\(3, 1\) column"),
        ("2", "whole-number label"),
        (True, "whole-number label"),
        (7, r"labels run from \d to 7"),  # (the lowest label of the shuffled batch)
    ],
)
def test_a_bad_target_is_one_sentence_at_any_batch_size(y, match):
    np.random.seed(0)
    net = network.Network(SIZES)
    data = labelled(6)
    data[2] = (data[2][0], y)
    for batch in (3, 6):
        with pytest.raises(InputError, match=match):
            net.SGD(data, 1, batch, 1.0)


def test_labels_and_columns_mixed_are_refused():
    data = one_hot(labelled(6))
    data[1] = (data[1][0], 1)
    with pytest.raises(InputError, match="all of one kind"):
        network.Network(SIZES).update_mini_batch(data, 1.0)


@pytest.mark.parametrize(
    "epochs, batch, eta, match",
    [
        (1, 0, 1.0, "mini_batch_size must be a whole number >= 1, not 0"),
        (1, 2.5, 1.0, "mini_batch_size must be a whole number >= 1, not 2.5"),
        (1, -1, 1.0, "mini_batch_size must be a whole number >= 1, not -1"),
        (1, True, 1.0, "mini_batch_size must be"),
        (-1, 10, 1.0, "epochs must be a whole number >= 0, not -1"),
        (1.5, 10, 1.0, "epochs must be"),
        (1, 10, float("nan"), "eta must be a finite number >= 0"),
        (1, 10, "fast", "eta must be"),
        (1, 10, -3.0, "eta must be"),
    ],
)
@pytest.mark.parametrize("book", [network, network2])
def test_bad_sgd_arguments_are_one_sentence(book, epochs, batch, eta, match):
    net = book.Network(SIZES)
    before = [w.copy() for w in net.weights]
    with pytest.raises(InputError, match=match):
        net.SGD(labelled(), epochs, batch, eta)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))  # nothing trained


def test_empty_data_is_one_sentence():
    net = network.Network(SIZES)
    with pytest.raises(InputError, match="test_data is empty"):
        net.evaluate([])
    with pytest.raises(InputError, match="the mini-batch is empty"):
        net.update_mini_batch([], 1.0)
    with pytest.raises(InputError, match="training_data is empty"):
        net.SGD([], 1, 10, 1.0)
    two = network2.Network(SIZES)
    with pytest.raises(InputError, match="is empty"):
        two.accuracy([])
    with pytest.raises(InputError, match="is empty"):
        two.total_cost([], 0.0)
    with pytest.raises(InputError, match="needs evaluation_data"):
        two.SGD(labelled(), 1, 10, 1.0, monitor_evaluation_accuracy=True)
    with pytest.raises(InputError, match=r"list of \(x, y\) pairs"):
        net.evaluate([1, 2, 3])


@pytest.mark.parametrize(
    "content, match",
    [
        (None, "cannot read .*missing.json"),
        ("not json at all", "is not JSON"),
        ("\udcff", "is not JSON"),
        ("[1, 2]", "is not a network2 file"),
        ('{"sizes": [6, 3]}', "is not a network2 file"),
        ('{"sizes": [6, 3], "weights": [[1, 2]], "biases": [], "cost": "QuadraticCost"}', "dam"),
        ('{"sizes": "abc", "weights": [], "biases": [], "cost": "QuadraticCost"}', "damaged"),
    ],
)
def test_network2_load_of_a_bad_file_is_one_sentence(tmp_path, content, match):
    path = tmp_path / ("missing.json" if content is None else "net.json")
    if content is not None:
        path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(InputError, match=match):
        network2.load(path)


def test_a_data_folder_that_does_not_exist_is_refused_without_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "MIRRORS", ["http://127.0.0.1:9/never-asked/"])
    folder = tmp_path / "a folder that does not exist"
    with pytest.raises(DataError, match="does not exist; give the folder whose mnist"):
        mnist_loader.load_data_wrapper(folder)
    assert not folder.exists()


def test_missing_mnist_says_where_it_looked_before_downloading(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    monkeypatch.setattr(download, "MIRRORS", [])  # the download itself fails at once
    with pytest.raises(DataError, match="downloading it failed"):
        mnist_loader.load_data_wrapper()
    err = capsys.readouterr().err
    assert f"MNIST is not in {tmp_path / 'mnist'} (4 of its 4 files are missing)" in err
    assert "downloading them there" in err
