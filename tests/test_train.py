"""The shared training loop: one mechanism for batch, mini-batch and stochastic descent; history,
callbacks, divergence, and one sentence for each kind of bad input."""

import numpy as np
import pytest

from chainrule.data import digits
from chainrule.errors import InputError
from chainrule.network import Network
from chainrule.train import History, Loop, Position, TrainingDiverged, diverged, guard, train


class Spy(Network):
    """A Network that records which rows each update saw."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches = []

    def update(self, X, Y, eta, lmbda=0.0, n=None, form="matrix"):
        self.batches.append(X[:, 0].copy())
        super().update(X, Y, eta, lmbda, n, form)


def _data(n=25):
    X = np.zeros((n, 2))
    X[:, 0] = np.arange(n)  # the first feature names the row
    return X, np.arange(n) % 2


@pytest.mark.parametrize("batch_size, sizes", [(None, [25]), (10, [10, 10, 5]), (1, [1] * 25)])
def test_batch_minibatch_and_stochastic_are_one_loop(batch_size, sizes):
    X, y = _data()
    net = Spy([2, 2], dtype=np.float64, seed=0)
    train(net, X, y, epochs=2, batch_size=batch_size, lr=0.01, seed=3)
    per_epoch = len(sizes)
    assert [len(b) for b in net.batches] == sizes * 2
    for epoch in range(2):
        seen = np.concatenate(net.batches[epoch * per_epoch : (epoch + 1) * per_epoch])
        assert sorted(seen) == list(range(25))  # every sample exactly once per epoch
    if batch_size == 1:
        first, second = (np.concatenate(net.batches[i * 25 : (i + 1) * 25]) for i in range(2))
        assert not np.array_equal(first, second)  # reshuffled each epoch


def test_digits_reach_95_percent_and_the_history_is_complete():
    data = digits()
    net = Network([64, 30, 10], "sigmoid", "cross_entropy", "scaled", np.float32, seed=1)
    seen = []
    history = train(
        net,
        data.X_train,
        data.y_train,
        epochs=15,
        batch_size=10,
        lr=0.5,
        test=(data.X_test, data.y_test),
        seed=1,
        callbacks=[seen.append],
    )
    assert history.best() >= 0.95
    assert [e.epoch for e in history.epochs] == list(range(1, 16)) and seen == history.epochs
    first, last = history.epochs[0], history.epochs[-1]
    assert last.cost < first.cost and last.train_accuracy > first.train_accuracy
    assert all(e.epoch_seconds > 0 for e in history.epochs)
    assert all(len(e.grad_norms) == 2 and all(g > 0 for g in e.grad_norms) for e in history.epochs)
    # The recorded figures are the model's own: re-evaluating gives the last record.
    assert net.evaluate(data.X_test, data.y_test)[1] == last.test_accuracy


def test_same_seed_same_run():
    data = digits()
    runs = []
    for _ in range(2):
        net = Network([64, 10, 10], dtype=np.float64, seed=7)
        runs.append(train(net, data.X_train, data.y_train, epochs=2, lr=1.0, seed=5))
    assert runs[0].column("cost") == runs[1].column("cost")


def test_a_learning_rate_too_large_is_reported_not_crashed_on():
    data = digits()
    # An unbounded activation: too large a step sends the weights, and the cost, to NaN. It is
    # caught within the epoch, at the step where it happened (checked every 1% of an epoch).
    saved = []

    class Keep:
        every = 2

        def save(self, position, history):
            saved.append((position, {k: v.copy() for k, v in net.parameters().items()}))

    net = Network([64, 30, 10], "leaky_relu", "quadratic", "scaled", seed=1)
    with pytest.raises(
        TrainingDiverged, match=r"diverged at step \d+ of epoch 1 with learning rate 3.0.*0.3"
    ):
        train(net, data.X_train, data.y_train, epochs=3, lr=3.0, seed=1, checkpoint=Keep())
    assert saved and all(np.isfinite(a).all() for _, p in saved for a in p.values())
    # The same network with a sensible rate learns.
    net = Network([64, 30, 10], "leaky_relu", "quadratic", "scaled", seed=1)
    history = train(net, data.X_train, data.y_train, epochs=3, lr=0.5, seed=1)
    assert history.column("cost")[-1] < history.column("cost")[0]


def test_a_saturated_float32_sigmoid_does_not_fake_a_divergence():
    # float32 sigmoid gives exactly 1.0 once z > ~17; cross-entropy must stay finite there.
    data = digits()
    net = Network([64, 10], "sigmoid", "cross_entropy", "scaled", np.float32, seed=1)
    net.weights[0] *= 200  # saturate every output unit
    history = train(net, data.X_train, data.y_train, epochs=2, lr=0.001, seed=1)
    assert all(np.isfinite(history.column("cost")))


def test_one_hot_targets_and_small_label_types_are_accepted():
    data = digits()
    Y = np.eye(10)[data.y_train]
    net = Network([64, 10, 10], dtype=np.float64, seed=2)
    history = train(net, data.X_train, Y, epochs=2, lr=1.0, test=(data.X_test, data.y_test))
    assert 0 <= history.epochs[-1].train_accuracy <= 1
    with pytest.raises(InputError, match=r"make the last layer size 10"):
        train(Network([64, 5], seed=0), data.X_train, data.y_train.astype(np.uint8), epochs=1)
    with pytest.raises(InputError, match=r"targets have shape \(1347, 3\)"):
        train(Network([64, 5], seed=0), data.X_train, np.ones((1347, 3)), epochs=1)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda X, y: (X[:, :2], y), "2 features per sample but the network's input layer has 3"),
        (lambda X, y: (X, y + 5), "labels run from 5 to 6 but the network's 2 output"),
        (lambda X, y: (X, y.astype(float)), "whole class numbers"),
        (lambda X, y: (np.where(X > 3, np.nan, X), y), "contains NaN or infinite"),
        (lambda X, y: (X[:0], y[:0]), "non-empty 2-D array"),
        (lambda X, y: (X, y[:-1]), "25 samples but 24 labels"),
    ],
)
def test_bad_data_gets_one_sentence(change, words):
    X, y = _data()
    X = np.hstack([X, np.ones((25, 1))])
    X, y = change(X, y)
    with pytest.raises(InputError, match=words):
        train(Network([3, 2], seed=0), X, y, epochs=1)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(batch_size=26), "batch size 26 does not fit 25 training samples"),
        (dict(batch_size=0), "batch size 0 does not fit"),
        (dict(lr=0.0), "learning rate must be a positive number"),
        (dict(lr=-1.0), "learning rate must be a positive number"),
        (dict(l2=-1.0), "L2 strength"),
    ],
)
def test_bad_settings_get_one_sentence(kwargs, words):
    X, y = _data()
    with pytest.raises(InputError, match=words):
        train(Network([2, 2], seed=0), X, y, epochs=1, **kwargs)


def _loop(net, X, y, batch_size=4, lr=0.5, seed=3):
    return Loop(net, X, y, net.targets(y), None, batch_size, lr, 0.0, np.random.default_rng(seed))


def test_the_step_generator_stopped_anywhere_and_restarted_ends_where_train_does():
    """The playground's way of training: ``Loop.steps`` a few steps at a time, with a new Loop
    (new settings) from the saved position now and then, ends bitwise where ``train`` ends."""
    X = np.random.default_rng(1).uniform(-1, 1, (30, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    whole = Network([2, 3, 2], "tanh", dtype=np.float64, seed=5)
    train(whole, X, y, epochs=3, batch_size=4, lr=0.5, seed=3)
    pieces = Network([2, 3, 2], "tanh", dtype=np.float64, seed=5)
    rng = np.random.default_rng(3)
    for epoch in (1, 2, 3):
        position, done = Position(epoch), []
        while not done or done[-1] < 8:  # 30 samples in batches of 4: 8 steps
            loop = _loop(pieces, X, y)
            loop.rng = rng  # (one generator for the whole run, as a session keeps it)
            steps = loop.steps(position, History({}))
            done += [next(steps) for _ in range(min(3, 8 - (done[-1] if done else 0)))]
            position.batch = done[-1]
        assert done == list(range(1, 9))
    for name, array in whole.parameters().items():
        assert pieces.parameters()[name].tobytes() == array.tobytes(), name


def test_one_rule_and_one_sentence_for_divergence():
    net = Network([2, 2, 1], "identity", dtype=np.float64, seed=0)
    assert guard(net, 1.0, 1) is None and guard(net, 1.0, 1, cost=0.5) is None
    with pytest.raises(TrainingDiverged, match=r"^training diverged in epoch 4 .* cost became nan"):
        guard(net, 1.0, 4, cost=float("nan"))
    net.set_parameters({**net.parameters(), "W1": np.full((2, 2), 2e12)})
    with pytest.raises(TrainingDiverged) as raised:
        guard(net, 3.0, 2, step=7)
    sentence = (
        "training diverged at step 7 of epoch 2 with learning rate 3.0: the weights became "
        "NaN, infinite or larger than 1e+12; try a smaller learning rate, e.g. 0.3."
    )
    assert str(raised.value) == str(diverged(3.0, 2, 7)) == sentence
