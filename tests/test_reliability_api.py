"""The Python API refuses wrong shapes and empty input with chainrule's own one-sentence errors
(issue 11, point 4): never a raw IndexError, ZeroDivisionError or numpy error from deep inside,
and never a silent result."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.check import gradcheck
from chainrule.errors import ChainruleError
from chainrule.explain import explain
from chainrule.models import ENGINES, build
from chainrule.network import Network
from chainrule.train import train


def net():
    return Network([2, 3, 2], seed=0)


X4, Y4 = np.zeros((4, 2)), np.zeros((4, 2))
LABELS = np.array([0, 1, 1, 0])

CASES = {
    "Network(None)": lambda: Network(None),
    "feedforward, 3 features for 2 inputs": lambda: net().feedforward(np.zeros((4, 3))),
    "feedforward, a 3-D array": lambda: net().feedforward(np.zeros((1, 4, 2))),
    "feedforward, strings": lambda: net().feedforward([["a", "b"]]),
    "feedforward, a ragged list": lambda: net().feedforward([[1, 2], [1]]),
    "feedforward, a number": lambda: net().feedforward(3.0),
    "predict, 3 features": lambda: net().predict(np.zeros((4, 3))),
    "backprop_batch, no samples": lambda: net().backprop_batch(np.zeros((0, 2)), np.zeros((0, 2))),
    "update, 3 features": lambda: net().update(np.zeros((4, 3)), Y4, 0.1),
    "update, 3 targets a row": lambda: net().update(X4, np.zeros((4, 3)), 0.1),
    "update, no samples": lambda: net().update(np.zeros((0, 2)), np.zeros((0, 2)), 0.1),
    "update, labels not targets": lambda: net().update(X4, LABELS, 0.1),
    "update, eta a string": lambda: net().update(X4, Y4, "fast"),
    "step, 3 features": lambda: net().step(np.zeros((4, 3)), Y4, 0.1),
    "mean_gradient per-sample, no samples": lambda: net().mean_gradient(
        np.zeros((0, 2)), np.zeros((0, 2)), "per-sample"
    ),
    "batch_cost, no samples": lambda: net().batch_cost(np.zeros((0, 2)), np.zeros((0, 2))),
    "batch_cost, 3 targets a row": lambda: net().batch_cost(X4, np.zeros((4, 3))),
    "total_cost, 3 targets a row": lambda: net().total_cost(X4, np.zeros((4, 3))),
    "evaluate, no samples": lambda: net().evaluate(np.zeros((0, 2)), np.zeros(0, dtype=int)),
    "set_parameters, b1 missing": lambda: net().set_parameters({"W1": np.zeros((3, 2))}),
    "set_parameters, W1 misshapen": lambda: net().set_parameters(
        {**net().parameters(), "W1": np.zeros((2, 2))}
    ),
    "set_parameters, a list": lambda: net().set_parameters([1, 2]),
    "train, no samples": lambda: train(net(), np.zeros((0, 2)), np.zeros(0, dtype=int)),
    "train, 1-D inputs": lambda: train(net(), np.zeros(4), LABELS),
    "train, float labels": lambda: train(net(), X4, np.zeros(4)),
    "gradcheck, no samples": lambda: gradcheck(net(), np.zeros((0, 2)), np.zeros(0, dtype=int)),
    "gradcheck, label 9 of 2 outputs": lambda: gradcheck(net(), np.zeros((2, 2)), [0, 9]),
    "gradcheck, 1 label for 2 samples": lambda: gradcheck(net(), np.zeros((2, 2)), [0]),
    "gradcheck, eps a string": lambda: gradcheck(net(), np.zeros((2, 2)), [0, 1], eps="x"),
    "gradcheck, eps too small to move a weight": lambda: gradcheck(
        net(), np.zeros((2, 2)), [0, 1], eps=1e-300
    ),
    "gradcheck, max_params 2.5": lambda: gradcheck(net(), np.zeros((2, 2)), [0, 1], max_params=2.5),
    "gradcheck, strings": lambda: gradcheck(net(), [["a", "b"]], [0]),
    "explain, label 7 of 2 outputs": lambda: explain(net(), np.zeros(2), 7, "W1[0,0]"),
    "explain, a target of 3 for 2 outputs": lambda: explain(
        net(), np.zeros(2), np.zeros(3), "W1[0,0]"
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_wrong_input_is_chainrules_own_one_sentence(name):
    # (with numpy's warnings raised as errors, a warning would show here too)
    with np.errstate(all="raise"), pytest.raises(ChainruleError) as info:
        CASES[name]()
    message = str(info.value)
    assert "\n" not in message and message.endswith((".", ")")), message


def test_a_failed_update_leaves_the_weights_untouched():
    """The check after the fact runs before any weight changed."""
    network = net()
    before = {k: v.copy() for k, v in network.parameters().items()}
    with pytest.raises(ChainruleError):
        network.update(X4, np.zeros((4, 3)), 0.1)
    for name, array in network.parameters().items():
        assert np.array_equal(array, before[name]), name


def test_the_same_calls_with_right_shapes_still_work():
    """The checks refuse only what is wrong: each method on good input gives a result."""
    network = net()
    assert network.feedforward(X4).shape == (4, 2) and network.feedforward(X4[0]).shape == (2,)
    network.update(X4, Y4, 0.1)
    network.set_parameters(network.parameters())
    assert np.isfinite(network.batch_cost(X4, Y4))


# ---------------------------------------------------------------- the same through every engine
PROTOCOL_CASES = {
    "batch_cost, no samples": lambda m: m.batch_cost(np.zeros((0, 2)), np.zeros((0, 2))),
    "gradient, no samples": lambda m: m.gradient(np.zeros((0, 2)), np.zeros((0, 2))),
    "step, no samples": lambda m: m.step(np.zeros((0, 2)), np.zeros((0, 2)), 0.1),
    "batch_cost, 5 features for 2 inputs": lambda m: m.batch_cost(np.zeros((3, 5)), Y4[:3]),
    "gradient, 3 targets a row": lambda m: m.gradient(X4, np.zeros((4, 3))),
    # issue 19 point 6: labels where targets belong, in a batch as long as the output layer is
    # wide (2 here), must not broadcast into target rows
    "step, labels as long as the outputs": lambda m: m.step(X4[:2], np.array([0, 1]), 0.1),
    "gradient, labels as long as the outputs": lambda m: m.gradient(X4[:2], np.array([0, 1])),
    "outputs, 5 features for 2 inputs": lambda m: m.outputs(np.zeros((3, 5))),
    "set_parameters, nothing": lambda m: m.set_parameters({}),
    "set_parameters, W1 a single number": lambda m: m.set_parameters(
        {name: np.zeros(1) for name in m.parameters()}
    ),
    "set_parameters, a list": lambda m: m.set_parameters([1, 2]),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", PROTOCOL_CASES)
def test_every_engine_refuses_what_network_refuses(engine, name):
    """An empty batch, a misfit batch or misfit parameters get the one sentence on every engine
    (the tensor and Value engines raised ZeroDivisionError, KeyError or IndexError, or
    broadcast a single number into every weight)."""
    model = build(engine, [2, 3, 2], seed=0)
    before = {k: v.copy() for k, v in model.parameters().items()}
    with np.errstate(all="raise"), pytest.raises(ChainruleError) as info:
        PROTOCOL_CASES[name](model)
    message = str(info.value)
    assert "\n" not in message and message.endswith((".", ")")), message
    for key, array in model.parameters().items():  # nothing half-changed
        assert np.array_equal(array, before[key]), key
