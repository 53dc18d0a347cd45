"""Nothing lost: a run killed mid-epoch (SIGKILL) or stopped with Ctrl-C (SIGINT) resumes from
its checkpoint and ends bitwise identical to a run that was never interrupted."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(sys.executable).with_name("chainrule")
# The scalar engine on moons: slow enough (~0.3 s an epoch) to be caught mid-epoch.
RUN = [
    "train",
    "moons",
    "--engine",
    "value",
    "--cost",
    "quadratic",
    "--epochs",
    "4",
    "--checkpoint-every",
    "10",
    "--json",
]


def _start(out):
    return subprocess.Popen(
        [str(SCRIPT), *RUN, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the run ended before it left a checkpoint"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.005)


def _arrays(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files if k != "__header__"}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    result = subprocess.run(
        [str(SCRIPT), *RUN, "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return out


def _same_run(a, b):
    first, second = _arrays(a / "model.npz"), _arrays(b / "model.npz")
    assert first.keys() == second.keys()
    for name in first:
        assert np.array_equal(first[name], second[name]), name  # bitwise, not approximately
    costs = [
        [e["cost"] for e in json.loads((r / "history.json").read_text())["epochs"]] for r in (a, b)
    ]
    assert costs[0] == costs[1] and len(costs[0]) == 4


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_an_interrupted_run_resumes_to_the_same_end(tmp_path, uninterrupted, how):
    out = tmp_path / "run"
    process = _start(out)
    _wait_for(out / "checkpoint.npz", process)
    os.kill(process.pid, getattr(signal, how))
    stdout, stderr = process.communicate(timeout=60)
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
    else:  # Ctrl-C: a checkpoint at the step boundary and one line saying how to resume
        assert process.returncode == 130, stderr
        lines = [line for line in stderr.splitlines() if line.startswith("chainrule:")]
        assert len(lines) == 1 and f"chainrule train --resume {out}" in lines[0]
        assert "Traceback" not in stderr
    assert not (out / "model.npz").exists(), "the run finished before it was interrupted"
    epochs_done = len(stdout.splitlines())
    assert epochs_done < 4

    resumed = subprocess.run(
        [str(SCRIPT), "train", "--resume", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    _same_run(uninterrupted, out)


def test_resume_without_a_checkpoint_says_so(tmp_path):
    result = subprocess.run(
        [str(SCRIPT), "train", "--resume", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no checkpoint to resume" in result.stderr and "Traceback" not in result.stderr


def test_a_damaged_checkpoint_is_refused(tmp_path):
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 not really a zip")
    result = subprocess.run(
        [str(SCRIPT), "train", "--resume", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "not a usable chainrule checkpoint" in result.stderr


def test_resume_in_process_matches_for_every_engine(tmp_path):
    """The API: checkpoint mid-epoch, rebuild from the file, finish: same weights, any engine."""
    from chainrule.data import moons
    from chainrule.runs import Checkpoint, build_model, load_checkpoint
    from chainrule.train import TrainingInterrupted, train

    data = moons(n_samples=60)
    for engine, optimizer in (("network", "sgd"), ("tensor", "adam"), ("value", "sgd")):
        settings = {
            "engine": engine,
            "layers": [2, 4, 2],
            "activation": "tanh",
            "cost": "quadratic",
            "init": "scaled",
            "dtype": "float64",
            "seed": 3,
            "optimizer": optimizer,
            "lr": 0.05,
            "dataset": "moons",
            "data_dir": None,
        }
        fit = {"epochs": 3, "batch_size": 8, "lr": 0.05, "seed": 5}
        whole = build_model(settings)
        train(whole, data.X_train, data.y_train, **fit)

        folder = tmp_path / engine
        model = build_model(settings)
        calls = []
        with pytest.raises(TrainingInterrupted):
            train(
                model,
                data.X_train,
                data.y_train,
                checkpoint=Checkpoint(folder, model, settings),
                stop=lambda calls=calls: calls.append(1) or len(calls) == 9,
                **fit,
            )
        _, back, position, history = load_checkpoint(folder)
        assert (position.epoch, position.batch) == (2, 3)  # 6 batches an epoch: step 9 = 2.3
        train(back, data.X_train, data.y_train, resume=(position, history), **fit)
        for name, array in whole.parameters().items():
            assert np.array_equal(back.parameters()[name], array), (engine, name)
