"""Every picture of training, written into a temporary folder and checked as a whole PNG of the
size asked for; the learning-rate sweep's diverging rate is the one reported and the one drawn
blowing up; the deep sigmoid net's earlier layers get the smaller gradients."""

import math

import numpy as np
import pytest
from image_files import png_size

from chainrule import experiments
from chainrule.data import digits
from chainrule.errors import InputError
from chainrule.experiments import compare_descent, learning_rate_sweep
from chainrule.network import Network
from chainrule.train import train
from chainrule.viz import plots, sweeps
from chainrule.viz.plots import plot_grad_norms, plot_misclassified, plot_weights
from chainrule.viz.sweeps import plot_descent, plot_sweep


@pytest.fixture(scope="module")
def data():
    d = digits(dtype=np.float64)
    return d.X_train[:400], d.y_train[:400], d.X_test, d.y_test


@pytest.fixture(scope="module")
def trained(data):
    X, y, _, _ = data
    net = Network([64, 16, 10], "sigmoid", "cross_entropy", "scaled", np.float64, seed=1)
    train(net, X, y, epochs=3, batch_size=10, lr=0.5)
    return net


def test_gradient_norms_vanish_towards_the_input_of_a_deep_sigmoid_net(data, tmp_path):
    X, y, _, _ = data
    net = Network([64, 30, 30, 30, 10], "sigmoid", "quadratic", "scaled", np.float64, seed=1)
    history = train(net, X, y, epochs=4, batch_size=10, lr=0.5)
    for epoch in history.epochs:
        first, *_, last = epoch.grad_norms
        assert first < last / 5  # each layer back multiplies delta by W^T and sigma' <= 1/4
    path = plot_grad_norms(history, tmp_path / "norms.png")
    assert png_size(path) == (800, 500)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["norms.png"]  # no temporary left


def test_first_layer_weights_as_images(trained, tmp_path):
    assert png_size(plot_weights(trained, tmp_path / "w.png")) == (800, 800)
    assert png_size(plot_weights(trained, tmp_path / "w4.png", max_units=4)) == (800, 800)
    with pytest.raises(InputError, match="3 inputs are not a square image"):
        plot_weights(Network([3, 2, 2], seed=0), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_misclassified_digits(trained, data, tmp_path):
    _, _, X_test, y_test = data
    wrong = int((trained.predict(X_test) != y_test).sum())
    assert 0 < wrong < len(y_test)
    assert png_size(plot_misclassified(trained, X_test, y_test, tmp_path / "m.png")) == (800, 800)
    # All right: the grid says so instead of failing.
    right = trained.predict(X_test[:20])
    assert png_size(plot_misclassified(trained, X_test[:20], right, tmp_path / "r.png")) == (
        800,
        800,
    )


def _capture(monkeypatch, module):
    """Keep each figure a plot function saves, to look at what it drew."""
    figures = []
    original = module.save_figure

    def keep(fig, path, dpi=100):
        figures.append(fig)
        return original(fig, path, dpi)

    monkeypatch.setattr(module, "save_figure", keep)
    return figures


def test_the_sweep_reports_and_draws_the_diverging_rate(data, tmp_path, monkeypatch):
    X, y, _, _ = data
    sweep = learning_rate_sweep(
        lambda: Network([64, 16, 10], "leaky_relu", "quadratic", "scaled", np.float64, seed=1),
        X,
        y,
        rates=[0.03, 0.3, 3.0],
        epochs=3,
    )
    assert sweep.diverged == {3.0: 1}
    for rate in (0.03, 0.3):
        costs = sweep.costs[rate]
        assert len(costs) == 4 and all(map(math.isfinite, costs)) and costs[-1] < costs[0]
    blown = sweep.costs[3.0]
    assert len(blown) == 2 and not math.isfinite(blown[-1])  # stopped where it blew up

    figures = _capture(monkeypatch, sweeps)
    path = plot_sweep(sweep, tmp_path / "sweep.png")
    assert png_size(path) == (800, 500)
    ax = figures[0].axes[0]
    curves = {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }
    assert sorted(curves) == ["eta = 0.03", "eta = 0.3", "eta = 3 (diverged in epoch 1)"]
    # The diverging curve stops at its last finite cost and a red cross marks where it blew up.
    assert list(curves["eta = 3 (diverged in epoch 1)"].get_xdata()) == [0]
    assert list(curves["eta = 0.3"].get_xdata()) == [0, 1, 2, 3]
    crosses = [l for l in ax.get_lines() if l.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [1]
    assert crosses[0].get_color() == "red"


def test_a_run_that_blows_up_while_finite_counts_as_diverged(monkeypatch, data):
    X, y, _, _ = data
    monkeypatch.setattr(experiments, "BLOW_UP", 0.5)  # any cost above half the start "blows up"
    sweep = learning_rate_sweep(lambda: Network([64, 8, 10], seed=2), X, y, [1e-6], epochs=2)
    assert sweep.diverged == {1e-6: 1} and len(sweep.costs[1e-6]) == 2


def test_batch_minibatch_and_stochastic_descent(data, tmp_path):
    X, y, _, _ = data
    X, y = X[:200], y[:200]
    runs = compare_descent(
        lambda: Network([64, 16, 10], "sigmoid", "cross_entropy", "scaled", np.float64, seed=1),
        X,
        y,
        batch_sizes=(None, 10, 1),
        epochs=2,
        lr=0.5,
        eval_samples=100,
    )
    assert [r.name for r in runs] == [
        "batch (200 per step)",
        "mini-batch (10 per step)",
        "stochastic (1 per step)",
    ]
    batch, mini, sgd = runs
    assert len(batch.costs) == 3  # the start, then one step per epoch
    assert len(mini.costs) == 1 + 2 * 20 and len(sgd.costs) > len(mini.costs)
    for run in runs:
        assert run.examples[0] == 0 and run.examples[-1] == 2 * len(X)
        assert np.all(np.diff(run.examples) > 0) and np.all(np.diff(run.seconds) >= 0)
        assert run.costs[0] == batch.costs[0]  # the same start
    # Per example seen, more (smaller) steps go further.
    assert sgd.costs[-1] < mini.costs[-1] < batch.costs[-1]
    assert png_size(plot_descent(runs, tmp_path / "descent.png")) == (1200, 500)


def test_plot_history_still_writes_its_picture(data, tmp_path):
    X, y, X_test, y_test = data
    net = Network([64, 8, 10], seed=0)
    history = train(net, X, y, epochs=2, test=(X_test, y_test))
    assert png_size(plots.plot_history(history, tmp_path / "h.png")) == (1000, 400)
