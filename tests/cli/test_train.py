"""`chainrule train`, run as a user runs it: lines or JSON per epoch, a run folder with history,
model and plot, and exit status 2 with one sentence for bad input."""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule import load as load_network
from chainrule.data import digits

SCRIPT = Path(sys.executable).with_name("chainrule")


def run(*args, timeout=120):
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ}
    )


def test_train_with_no_arguments_learns_digits(tmp_path):
    result = subprocess.run(
        [str(SCRIPT), "train"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 30
    summary = json.loads((tmp_path / "runs/digits/history.json").read_text())
    best = max(e["test_accuracy"] for e in summary["epochs"])
    assert best >= 0.95
    assert f"best test accuracy {best:.2%}" in lines[-1]


def test_json_lines_and_the_run_folder(tmp_path):
    out = tmp_path / "run"
    result = run("train", "digits", "--epochs", "4", "--json", "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    epochs, summary = records[:-1], records[-1]
    assert [r["epoch"] for r in epochs] == [1, 2, 3, 4]
    for r in epochs:
        for key in ("cost", "train_accuracy", "test_accuracy", "epoch_seconds"):
            assert isinstance(r[key], float)
        assert 0 <= r["train_accuracy"] <= 1 and 0 <= r["test_accuracy"] <= 1
    assert summary["summary"] is True
    assert summary["best_test_accuracy"] == max(r["test_accuracy"] for r in epochs)

    history = json.loads((out / "history.json").read_text())
    assert [e["test_accuracy"] for e in history["epochs"]] == [r["test_accuracy"] for r in epochs]
    # The saved model is the trained one: it scores the last epoch's accuracy again.
    net = load_network(out / "model.npz")
    data = digits()
    assert net.evaluate(data.X_test, data.y_test)[1] == epochs[-1]["test_accuracy"]
    png = (out / "history.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 400)
    shown = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert shown == ["history.json", "history.png", "model.npz"]


def test_per_sample_backprop_gives_the_same_run(tmp_path):
    results = [
        run(
            "train",
            "xor",
            "--epochs",
            "50",
            "--json",
            "--dtype",
            "float64",
            "--backprop",
            form,
            "--out",
            str(tmp_path / form),
        )
        for form in ("matrix", "per-sample")
    ]
    for r in results:
        assert r.returncode == 0, r.stderr
    costs = [[json.loads(l)["cost"] for l in r.stdout.splitlines()[:-1]] for r in results]
    assert len(costs[0]) == len(costs[1]) == 50
    np.testing.assert_allclose(costs[0], costs[1], rtol=1e-10)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--activation", "swish"], "invalid choice: 'swish' (choose from 'identity'"),
        (["--cost", "hinge"], "--cost: invalid choice: 'hinge' (choose from 'cross_entropy'"),
        (["--layers", "784", "30", "10"], "64 features per sample but the network's input"),
        (["--layers", "64", "30", "5"], "labels run from 0 to 9 but the network's 5 output"),
        (["--lr", "-1"], "--lr: must be a positive number, got '-1'"),
        (["--batch-size", "5000"], "batch size 5000 does not fit 1347 training samples"),
        (
            ["--activation", "leaky_relu", "--cost", "quadratic", "--lr", "3", "--epochs", "2"],
            "diverged at step",
        ),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, args, words):
    result = run("train", "digits", "--out", str(tmp_path / "r"), *args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and words in errors[0], result.stderr
    assert result.stderr.strip() == errors[0], "one line, nothing else (no bar into a pipe)"
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run("--debug", "train", "digits", "--layers", "784", "30", "10")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_the_tensor_engine_trains_from_the_command_line(tmp_path):
    runs = {}
    for engine in ("network", "tensor"):
        result = run(
            "train",
            "digits",
            "--epochs",
            "3",
            "--json",
            "--engine",
            engine,
            "--dtype",
            "float64",
            "--out",
            str(tmp_path / engine),
        )
        assert result.returncode == 0, result.stderr
        runs[engine] = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
    # Same seed, same initial weights, same SGD: the two engines follow the same path.
    np.testing.assert_allclose(
        [r["cost"] for r in runs["tensor"]], [r["cost"] for r in runs["network"]], rtol=1e-9
    )
    adam = run(
        "train",
        "digits",
        "--epochs",
        "5",
        "--json",
        "--engine",
        "tensor",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--out",
        str(tmp_path / "adam"),
    )
    assert adam.returncode == 0, adam.stderr
    assert json.loads(adam.stdout.splitlines()[-1])["best_test_accuracy"] >= 0.93


def test_adam_needs_the_tensor_engine(tmp_path):
    result = run("train", "digits", "--optimizer", "adam", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "--optimizer adam needs --engine tensor" in result.stderr


def test_a_diverging_run_in_json_mode_exits_2_with_one_sentence(tmp_path):
    result = run(
        "train",
        "digits",
        "--json",
        "--activation",
        "leaky_relu",
        "--cost",
        "quadratic",
        "--lr",
        "3",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "r"),
    )
    assert result.returncode == 2 and "diverged at step" in result.stderr
    for line in result.stdout.splitlines():
        json.loads(line)  # whatever was printed is valid JSON


def test_json_has_no_nan_or_infinity():
    from chainrule.cli.train import _finite

    record = _finite({"cost": float("nan"), "grad_norms": [1.0, float("inf")], "epoch": 3})
    assert json.loads(json.dumps(record, allow_nan=False)) == {
        "cost": None,
        "grad_norms": [1.0, None],
        "epoch": 3,
    }


def test_debug_works_after_the_command_too(tmp_path):
    result = run("train", "digits", "--layers", "784", "30", "10", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_the_value_engine_trains_through_the_same_loop(tmp_path):
    result = run(
        "train",
        "xor",
        "--engine",
        "value",
        "--cost",
        "quadratic",
        "--epochs",
        "20",
        "--json",
        "--out",
        str(tmp_path / "v"),
    )
    assert result.returncode == 0, result.stderr
    network = run(
        "train",
        "xor",
        "--engine",
        "network",
        "--cost",
        "quadratic",
        "--epochs",
        "20",
        "--dtype",
        "float64",
        "--json",
        "--out",
        str(tmp_path / "n"),
    )
    costs = [[json.loads(l)["cost"] for l in r.stdout.splitlines()[:-1]] for r in (result, network)]
    np.testing.assert_allclose(costs[0], costs[1], rtol=1e-10)
    refused = run("train", "xor", "--engine", "value", "--out", str(tmp_path / "r"))
    assert refused.returncode == 2 and "quadratic cost only" in refused.stderr
