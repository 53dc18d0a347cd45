"""chainrule.book against the book's algorithm typed again (book_reference.py), one sample at a
time on column vectors, as the judge: the same start and the same shuffles give the same weights
(to 1e-12) in both forms; and the book's printing, returns, seeds, JSON files and costs."""

import json
import random

import numpy as np
import pytest
from book_reference import Book
from conftest import central_difference

from chainrule.book import network, network2
from chainrule.errors import InputError

SIZES = [6, 5, 4, 3]


def one_hot(j, n=SIZES[-1]):
    e = np.zeros((n, 1))
    e[j] = 1.0
    return e


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, SIZES[-1], n)
    return [(rng.standard_normal((SIZES[0], 1)), one_hot(j)) for j in labels]


def assert_same_network(ours, book, tol=1e-12):
    for got, want in zip(ours.weights + ours.biases, book.weights + book.biases):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=tol)


@pytest.mark.parametrize("form", ["matrix", "per-sample"])
def test_network_sgd_gives_the_books_weights(form, capsys):
    np.random.seed(4)
    net = network.Network(SIZES, form=form)
    book = Book(net.biases, net.weights)
    training = data()
    random.seed(11)
    net.SGD(training, 3, 7, 3.0)  # 40 samples in batches of 7: the last batch has 5
    random.seed(11)
    book.SGD(training, 3, 7, 3.0)
    assert_same_network(net, book)
    assert capsys.readouterr().out == "Epoch 0 complete\nEpoch 1 complete\nEpoch 2 complete\n"


@pytest.mark.parametrize("form", ["matrix", "per-sample"])
@pytest.mark.parametrize("cost", [network2.CrossEntropyCost, network2.QuadraticCost])
def test_network2_sgd_with_l2_gives_the_books_weights(cost, form):
    np.random.seed(5)
    net = network2.Network(SIZES, cost=cost, form=form)
    book = Book(net.biases, net.weights, cross_entropy=cost is network2.CrossEntropyCost)
    training = data(seed=1)
    random.seed(12)
    net.SGD(training, 2, 10, 0.5, lmbda=5.0)
    random.seed(12)
    book.SGD(training, 2, 10, 0.5, lmbda=5.0)
    assert_same_network(net, book)


def test_the_start_is_the_books_draws_from_np_random():
    np.random.seed(7)
    first = network.Network(SIZES)
    np.random.seed(7)
    biases = [np.random.randn(y, 1) for y in SIZES[1:]]
    weights = [np.random.randn(y, x) for x, y in zip(SIZES[:-1], SIZES[1:])]
    np.random.seed(7)
    second = network2.Network(SIZES)
    for ours, want in zip(first.biases + first.weights, biases + weights):
        np.testing.assert_array_equal(ours, want)
    for ours, want, x in zip(second.weights, weights, SIZES[:-1]):
        np.testing.assert_array_equal(ours, want / np.sqrt(x))  # N(0, 1/n_in)
    assert (first.num_layers, first.sizes) == (4, SIZES)


def test_backprop_on_columns_matches_the_book_and_finite_differences():
    np.random.seed(2)
    net = network.Network(SIZES)
    x, y = data(1)[0]
    nabla_b, nabla_w = net.backprop(x, y)
    book_b, book_w = Book(net.biases, net.weights).backprop(x, y)
    assert [b.shape for b in nabla_b] == [(n, 1) for n in SIZES[1:]]
    for ours, want in zip(nabla_b + nabla_w, book_b + book_w):
        np.testing.assert_allclose(ours, want, rtol=1e-13, atol=1e-15)

    def cost(w):
        saved = net.weights[0][1, 2]
        net.weights[0][1, 2] = w
        c = 0.5 * float(np.sum((net.feedforward(x) - y) ** 2))
        net.weights[0][1, 2] = saved
        return c

    assert nabla_w[0][1, 2] == pytest.approx(central_difference(cost, net.weights[0][1, 2]))


def test_feedforward_and_evaluate_count_as_the_book():
    np.random.seed(3)
    net = network.Network(SIZES)
    book = Book(net.biases, net.weights)
    test = [(x, int(np.argmax(y))) for x, y in data(50, seed=3)]
    out = net.feedforward(test[0][0])
    assert out.shape == (SIZES[-1], 1)
    np.testing.assert_allclose(out, book.feedforward(test[0][0]), rtol=1e-14)
    right = sum(int(np.argmax(book.feedforward(x)) == y) for x, y in test)
    assert net.evaluate(test) == right and 0 < right < 50


def test_sgd_prints_the_books_epoch_lines(capsys):
    np.random.seed(0)
    net = network.Network(SIZES)
    test = [(x, int(np.argmax(y))) for x, y in data(30, seed=9)]
    random.seed(0)
    net.SGD(data(), 2, 10, 3.0, test_data=test)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Epoch 0: {lines[0].split()[2]} / 30", f"Epoch 1: {net.evaluate(test)} / 30"]


def test_network2_monitors_returns_and_prints_the_four_lists(capsys):
    np.random.seed(1)
    net = network2.Network(SIZES)
    training = data(seed=4)
    evaluation = [(x, int(np.argmax(y))) for x, y in data(20, seed=5)]
    random.seed(1)
    lists = net.SGD(
        training,
        2,
        10,
        0.5,
        lmbda=2.0,
        evaluation_data=evaluation,
        monitor_evaluation_cost=True,
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        monitor_training_accuracy=True,
    )
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = lists
    assert [len(x) for x in lists] == [2, 2, 2, 2]
    book = Book(net.biases, net.weights, cross_entropy=True)
    squares = sum(float(np.sum(w**2)) for w in book.weights)

    def ce(data, to_column):
        total = 0.0
        for x, y in data:
            a, t = book.feedforward(x), to_column(y)
            total -= float(np.sum(t * np.log(a) + (1 - t) * np.log(1 - a)))
        return total / len(data) + 0.5 * 2.0 / len(data) * squares

    assert training_cost[-1] == pytest.approx(ce(training, lambda y: y), rel=1e-12)
    assert evaluation_cost[-1] == pytest.approx(ce(evaluation, one_hot), rel=1e-12)
    right = sum(int(np.argmax(book.feedforward(x)) == y) for x, y in evaluation)
    assert evaluation_accuracy[-1] == right
    assert training_accuracy[-1] == net.accuracy(training, convert=True)
    out = capsys.readouterr().out
    assert out.count("Epoch 1 training complete\n") == 1
    assert f"Cost on training data: {training_cost[-1]}\n" in out
    assert f"Accuracy on evaluation data: {right} / 20\n" in out
    assert f"Accuracy on training data: {training_accuracy[-1]} / 40\n" in out


def test_early_stopping_stops_when_accuracy_stalls():
    np.random.seed(1)
    net = network2.Network(SIZES)
    evaluation = [(x, int(np.argmax(y))) for x, y in data(20, seed=5)]
    random.seed(1)
    _, accuracy, _, _ = net.SGD(
        data(seed=4),
        50,
        10,
        0.0,
        evaluation_data=evaluation,
        monitor_evaluation_accuracy=True,
        early_stopping_n=3,
    )  # eta = 0: nothing changes, so it stops after the first epoch and three without gain
    assert len(accuracy) == 4 and len(set(accuracy)) == 1


def test_save_and_load_use_the_books_json(tmp_path):
    np.random.seed(6)
    net = network2.Network(SIZES, cost=network2.QuadraticCost)
    path = tmp_path / "net.json"
    net.save(path)
    saved = json.loads(path.read_text())
    assert sorted(saved) == ["biases", "cost", "sizes", "weights"]
    assert saved["cost"] == "QuadraticCost" and saved["sizes"] == SIZES
    assert np.shape(saved["biases"][0]) == (SIZES[1], 1)
    loaded = network2.load(path)
    assert loaded.cost is network2.QuadraticCost
    x = data(1)[0][0]
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))
    saved["cost"] = "HingeCost"
    path.write_text(json.dumps(saved))
    with pytest.raises(InputError, match="names the cost 'HingeCost'"):
        network2.load(path)


def test_costs_match_their_formulas():
    a, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    z = np.log(a / (1 - a))  # sigmoid(z) = a
    assert network2.QuadraticCost.fn(a, y) == pytest.approx(0.5 * (0.2**2 + 0.1**2))
    assert network2.CrossEntropyCost.fn(a, y) == pytest.approx(-np.log(0.8) - np.log(0.9))
    np.testing.assert_allclose(network2.QuadraticCost.delta(z, a, y), (a - y) * a * (1 - a))
    np.testing.assert_allclose(network2.CrossEntropyCost.delta(z, a, y), a - y)
    np.testing.assert_array_equal(network2.vectorized_result(3)[:, 0], np.eye(10)[3])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: network.Network(SIZES, form="loop"), "unknown form 'loop'"),
        (lambda: network2.Network(SIZES, cost=object), "unknown cost"),
        (lambda: setattr(network.Network(SIZES), "weights", [np.zeros((2, 2))]), "shapes"),
    ],
)
def test_bad_settings_get_one_sentence(make, match):
    with pytest.raises(InputError, match=match):
        make()
