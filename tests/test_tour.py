"""Every example of the tour (examples/tour/NN_name.py) runs, and the claim it makes holds."""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from image_files import png_size

from chainrule.viz.graph import GraphvizMissing, has_dot

TOUR = Path(__file__).resolve().parents[1] / "examples" / "tour"


def run(name: str, out: Path) -> dict:
    """Import examples/tour/<name>.py by path and return what its main(out) returns."""
    spec = importlib.util.spec_from_file_location(f"tour_{name}", TOUR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(out)


def assert_pictures(result: dict, out: Path) -> None:
    assert result["pictures"]
    for picture in result["pictures"]:
        assert Path(picture).parent == out
        width, height = png_size(picture)
        assert width > 0 and height > 0


def test_every_example_is_tested():
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert {p.stem for p in TOUR.glob("[0-9][0-9]_*.py")} <= tested


def test_01_graph(tmp_path):
    if has_dot():
        result = run("01_graph", tmp_path)
    else:  # the graph is written as DOT text, with a warning saying how to render it
        with pytest.warns(GraphvizMissing):
            result = run("01_graph", tmp_path)
    assert result["L"] == -8.0
    assert result["made_by"]["L"] == ("*", ["d", "f"])
    assert result["made_by"]["d"] == ("+", ["e", "c"])
    assert result["made_by"]["a"] == ("", [])
    assert result["grads"] == {
        "a": 6.0,
        "b": -4.0,
        "c": -2.0,
        "f": 4.0,
        "e": -2.0,
        "d": -2.0,
        "L": 1.0,
    }
    if has_dot():
        assert_pictures(result, tmp_path)


def test_02_chain_rule(tmp_path):
    result = run("02_chain_rule", tmp_path)
    for name in ("a", "c", "d"):
        assert abs(result["by_hand"][name] - result["backward"][name]) <= 1e-12
    assert result["backward"]["c"] == -2.0


def test_03_topological_order(tmp_path):
    result = run("03_topological_order", tmp_path)
    assert result["right"] == result["backward"]
    assert result["wrong"] != result["backward"]
    assert result["wrong"]["a"] == 0.0 and result["backward"]["a"] == 6.0


def test_04_accumulate(tmp_path):
    result = run("04_accumulate", tmp_path)
    assert result["x_grad"] == 7.0  # 2x + 1 at x = 3: three uses, three contributions
    once = np.array(result["once"])
    assert np.all(once != 0)
    np.testing.assert_allclose(result["without_zero_grad"], 2 * once, rtol=1e-12)
    np.testing.assert_allclose(result["with_zero_grad"], once, rtol=1e-12)


def test_05_neuron_mlp(tmp_path):
    result = run("05_neuron_mlp", tmp_path)
    assert abs(result["neuron"] - result["by_hand"]) <= 1e-12
    assert result["layer"] == result["one_by_one"]
    assert result["mlp"] == result["layer_by_layer"]
    assert result["n_parameters"] == 41


def test_06_gradient_descent(tmp_path):
    losses = run("06_gradient_descent", tmp_path)["losses"]
    assert len(losses) == 20
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 1e-3 * losses[0]


def test_07_learning_rate(tmp_path):
    result = run("07_learning_rate", tmp_path)
    final, start = result["final"], result["start"]
    assert set(result["diverged"]) == {0.1, 0.3}  # the large steps blow up, reported
    assert not math.isfinite(final[0.3])
    assert final[0.03] < final[0.003] < start  # small converges, smallest crawls
    assert_pictures(result, tmp_path)


def test_08_backprop_one_sample(tmp_path):
    result = run("08_backprop_one_sample", tmp_path)
    assert result["max_diff"] <= 1e-12
    engine_b, engine_w = result["backprop"]
    for mine, theirs in zip(result["nabla_w"] + result["nabla_b"], engine_w + engine_b):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


def test_09_minibatch_average(tmp_path):
    result = run("09_minibatch_average", tmp_path)
    assert result["max_rel_diff"] <= 1e-12
    (avg_b, avg_w), (batch_b, batch_w) = result["average"], result["batch"]
    for mine, theirs in zip(avg_b + avg_w, batch_b + batch_w):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


def test_10_matrix_pass(tmp_path):
    result = run("10_matrix_pass", tmp_path)
    assert result["max_rel_diff"] <= 1e-12
    assert result["bias_sum_diff"] <= 1e-12
    assert result["speedup"] > 1.0  # measured on the spot: the matrix pass is faster


def test_11_transpose(tmp_path):
    result = run("11_transpose", tmp_path)
    assert result["ones_grad"].tolist() == [3.0, 3.0]
    np.testing.assert_allclose(result["W_grad"], result["W_T_ones"], rtol=1e-15)


def test_12_gradient_influence(tmp_path):
    result = run("12_gradient_influence", tmp_path)
    grads, moved, eps = result["gradients"], result["moved"], result["eps"]
    for which in ("largest", "smallest"):
        assert moved[which] == pytest.approx(grads[which] * eps, rel=1e-3)
    assert abs(result["gradient_ratio"]) > 10
    assert result["cost_ratio"] == pytest.approx(result["gradient_ratio"], rel=1e-2)


def test_13_descent_kinds(tmp_path):
    result = run("13_descent_kinds", tmp_path)
    batch, mini, stochastic = result["names"]
    final, reached = result["final"], result["reached"]
    assert final[stochastic] < final[mini] < final[batch]
    assert reached[stochastic][0] < reached[mini][0] < reached[batch][0]  # fewer examples seen
    assert_pictures(result, tmp_path)


def test_14_xor(tmp_path):
    result = run("14_xor", tmp_path)
    assert result["one_neuron"] <= 0.75
    assert result["two_two_one"] == 1.0
    assert len(result["seeds_learned"]) >= 5


def test_15_digits(tmp_path):
    result = run("15_digits", tmp_path)
    assert result["test_accuracy"] > 0.9
    wrong = result["misclassified"]
    assert wrong == pytest.approx((1 - result["test_accuracy"]) * result["test_size"], abs=0.5)
    assert_pictures(result, tmp_path)


@pytest.mark.mpi
def test_16_parallelism(tmp_path):
    # Speed belongs in benchmarks/; the claim checked here is that every split of the batch
    # computes the same gradient: the matrix form the per-sample loop's, K ranks one process's.
    result = run("16_parallelism", tmp_path)
    assert result["largest_difference"] < 1e-12
    assert set(result["samples_per_second"]) == {
        "per-sample, batch 10", "matrix, batch 10", "matrix, batch 100", "matrix, batch 1000"
    }  # fmt: skip
    mpiexec = Path(sys.executable).with_name("mpiexec")
    shared = subprocess.run(
        [str(mpiexec), "-n", "2", sys.executable, str(TOUR / "16_parallelism.py")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shared.returncode == 0, shared.stderr
    assert "2 ranks share a batch of 1000" in shared.stdout and "rows [500, 500]" in shared.stdout
    difference = re.search(r"one process's by at most (\S+)$", shared.stdout, re.M)
    assert float(difference.group(1)) < 1e-12
