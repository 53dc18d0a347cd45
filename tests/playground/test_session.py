"""A playground session without a browser: training, the maths it shows, engines, keeping."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest
from conftest import central_difference

import chainrule
from chainrule.errors import ChainruleError, DataError, InputError
from chainrule.explain import explain
from chainrule.models import build
from chainrule.network import Network
from chainrule.playground import keep
from chainrule.playground.frames import OUTPUT_SIZE, grid
from chainrule.playground.session import Session
from chainrule.runs import HISTORY, MODEL, read_history


def twin_network(session) -> Network:
    """A Network built here from the session's settings and weights."""
    s = session.settings
    net = Network(session.sizes, s["activation"], session.cost, s["init"])
    net.set_parameters(session.model.parameters())
    return net


def test_the_circle_is_learned_and_the_cost_falls():
    s = Session()
    first = s.scores()[0]
    for _ in range(150):
        assert s.train_epoch()
        if s.scores()[3] >= 0.95:
            break
    cost, _, _, test_accuracy = s.scores()
    assert test_accuracy >= 0.95 and s.epoch <= 150
    assert cost < 0.5 * first
    assert [e.epoch for e in s.history.epochs] == list(range(1, s.epoch + 1))


@pytest.mark.parametrize("param", ["W1[2,1]", "b2[0]", "W3[0,1]"])
def test_explain_is_chainrule_explain_and_finite_differences_agree(param):
    s = Session()
    for _ in range(3):
        s.train_epoch()
    shown = s.explain(param, 7)
    x, y = s.X[7], s.problem.y[7]
    found = explain(twin_network(s), x, y, param)
    assert shown["product"] == pytest.approx(found.product, rel=1e-12, abs=1e-16)
    assert shown["gradient"] == pytest.approx(shown["numeric"], abs=1e-6)
    # The finite difference of this sample's cost, computed here.
    net = twin_network(s)
    kind, layer = param[0], int(param[1])
    index = tuple(int(i) for i in param[3:-1].split(","))
    array = (net.weights if kind == "W" else net.biases)[layer - 1]
    target = net.targets(np.array([y]))[0]

    def cost(value):
        array[index] = value
        return float(np.sum(net.cost.fn(net.feedforward(x[None])[0], target)))

    assert shown["product"] == pytest.approx(central_difference(cost, array[index]), abs=1e-8)
    assert shown["value"] == s.model.parameters()[f"{kind}{layer}"][index]


def test_step_through_numbers_are_the_networks():
    s = Session({"layers": [3, 2]})
    s.train_epoch()
    found = s.step_through(4)["stages"]
    net = twin_network(s)
    x, target = s.X[4], s.Y[4]
    nabla_b, nabla_w = net.backprop(x, target)
    a = x
    for stage in found[:3]:  # forward: z = W a + b, a = tanh(z), computed here
        W, b = net.weights[stage["layer"] - 1], net.biases[stage["layer"] - 1]
        z = W @ a + b
        a = np.tanh(z)
        np.testing.assert_allclose(stage["z"], z, rtol=1e-12)
        np.testing.assert_allclose(stage["a"], a, rtol=1e-12)
    deltas = {st["layer"]: st["delta"] for st in found if st["stage"] in ("BP1", "BP2")}
    for l, delta in deltas.items():
        np.testing.assert_allclose(delta, nabla_b[l - 1], rtol=1e-12)
    grads = {st["layer"]: st["nabla_w"] for st in found if st["stage"] == "BP3/BP4"}
    for l, g in grads.items():
        np.testing.assert_allclose(g, nabla_w[l - 1], rtol=1e-12)
    update = found[-1]
    np.testing.assert_allclose(update["W"][0], net.weights[0] - 0.1 * nabla_w[0], rtol=1e-12)
    s.apply_sample_step(4)
    np.testing.assert_allclose(s.model.parameters()["W1"], update["W"][0], rtol=1e-12)


def test_switching_engines_keeps_the_weights_and_the_engines_agree():
    s = Session()
    s.train_epoch()
    before = {k: v.copy() for k, v in s.model.parameters().items()}
    s.configure({"engine": "tensor"})
    assert s.model.engine == "tensor" and s.epoch == 1
    for k, v in s.model.parameters().items():
        np.testing.assert_array_equal(v, before[k])
    rows = s.agreement()["engines"]
    assert {r["engine"] for r in rows} == {"network", "tensor", "value"}
    assert max(r["max_diff"] for r in rows) < 1e-12
    assert max(r["cost"] for r in rows) - min(r["cost"] for r in rows) < 1e-12
    assert s.gradcheck()["passed"]


def test_more_than_two_classes_take_a_softmax_except_on_the_value_engine():
    s = Session({"data": "multi_gaussian", "classes": 4})
    assert s.cost == "log_likelihood" and s.sizes[-1] == 4
    assert s.frame()["output"]["kind"] == "classes"
    s.configure({"engine": "value"})
    assert s.cost == "quadratic" and any("value engine" in n for n in s.notes)


def test_regression_is_a_tanh_output_on_the_quadratic_cost():
    s = Session({"data": "plane", "cost": "cross_entropy"})
    assert s.cost == "quadratic" and s.sizes[-1] == 1 and s.Y.shape == (len(s.X), 1)
    for _ in range(20):
        s.train_epoch()
    _, accuracy, test_cost, _ = s.scores()
    assert np.isnan(accuracy) and test_cost < 0.01


def test_divergence_pauses_with_a_message():
    s = Session({"activation": "identity", "lr": 10.0})
    assert not s.train_epoch()
    assert "diverged" in s.diverged and "learning rate" in s.diverged
    assert not s.train_epoch()  # stays paused until reset
    json.dumps(s.frame(), allow_nan=False)  # what the page gets is still JSON
    s.configure({"lr": 0.01})
    s.reset()
    assert s.train_epoch()


def test_a_refused_change_leaves_the_session_as_it_was():
    s = Session()
    s.train_epoch()
    model, settings = s.model, dict(s.settings)
    for bad in ({"lr": -1}, {"layers": [0]}, {"features": []}, {"wings": 2}, {"data": "csv"}):
        with pytest.raises(InputError):
            s.configure(bad)
    with pytest.raises(DataError):
        s.load_csv("1,2\n")
    assert s.model is model and s.settings == settings and s.epoch == 1
    with pytest.raises(InputError, match="no parameter"):
        s.explain("W9[0,0]")


def test_the_output_map_is_the_models_output_on_the_grid():
    s = Session()
    frame = s.frame()
    pixels = np.frombuffer(base64.b64decode(frame["output"]["data"]), np.uint8)
    assert pixels.shape == (OUTPUT_SIZE**2,)
    corners = grid(s.problem.domain, OUTPUT_SIZE)[[0, OUTPUT_SIZE - 1, -1]]
    a = np.clip(s.model.outputs(corners[:, :2])[:, 0], 0, 1)
    np.testing.assert_allclose(pixels[[0, OUTPUT_SIZE - 1, -1]], np.floor(a * 255), atol=1)
    assert len(frame["neurons"]) == 4 and len(frame["neurons"][1]) == 4


def test_the_model_file_and_the_run_folder_are_chainrules(tmp_path):
    s = Session()
    for _ in range(3):
        s.train_epoch()
    (tmp_path / "m.npz").write_bytes(keep.model_file(s))
    loaded = chainrule.load(tmp_path / "m.npz")
    for k, v in s.model.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[k], v)
    with zipfile.ZipFile(io.BytesIO(keep.run_folder(s))) as zipped:
        zipped.extractall(tmp_path)
    assert len(read_history(tmp_path / "run" / HISTORY).epochs) == 3
    assert chainrule.load(tmp_path / "run" / MODEL).sizes == [2, 4, 2, 1]


def test_a_model_file_loads_back_and_one_that_does_not_fit_is_refused(tmp_path):
    other = build("tensor", [3, 5, 1], "sigmoid", "quadratic", "normal", seed=9)
    chainrule.save(other, tmp_path / "o.npz")
    s = Session()
    keep.load_model(s, (tmp_path / "o.npz").read_bytes())
    assert s.settings["features"] == ["x1", "x2", "x1^2"] and s.settings["layers"] == [5]
    assert s.model.engine == "tensor"
    np.testing.assert_array_equal(s.model.parameters()["W1"], other.parameters()["W1"])
    wide = build("network", [2, 3, 4], "sigmoid", "quadratic", "normal", seed=9)
    chainrule.save(wide, tmp_path / "w.npz")
    with pytest.raises(DataError, match="do not fit"):
        keep.load_model(s, (tmp_path / "w.npz").read_bytes())
    with pytest.raises(ChainruleError, match="not a model file"):
        keep.load_model(s, b"not a zip")
    assert s.settings["layers"] == [5]
