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
from forked import Forked, kill_after, position, run_whole, same_run

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


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    result = subprocess.run(
        [str(SCRIPT), *RUN, "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return out


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
    same_run(uninterrupted, out)


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


# ---------------------------------------------------------------------------------- forked runs
# The runs below are forked from this process and paused while the test reads their checkpoint
# (see forked.py), so a kill lands exactly after the kind of checkpoint the test wants.


def _resume(folder):
    run = Forked(["train", "--resume", folder, "--json"], Path(str(folder) + ".resume.log"))
    return run


XOR = ["train", "xor", "--epochs", "30", "--batch-size", "1", "--json"]  # 4 batches an epoch
KILLED_AFTER_AN_EPOCH_END = {
    # name: (command, wanted checkpoint)
    "network, every 3 < 4 batches": ([*XOR, "--checkpoint-every", "3"], 4),
    "network, every 10 > 4 batches": ([*XOR, "--checkpoint-every", "10"], 4),
    "tensor, every 3 < 4 batches": ([*XOR, "--engine", "tensor", "--checkpoint-every", "3"], 4),
    "tensor adam, every 10 > 4": (
        [
            *XOR,
            "--engine",
            "tensor",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--checkpoint-every",
            "10",
        ],
        4,
    ),
    "value, every 3 < 4 batches": (
        [*XOR, "--engine", "value", "--cost", "quadratic", "--checkpoint-every", "3"],
        4,
    ),
    "value, every 10 > 4 batches": (
        [*XOR, "--engine", "value", "--cost", "quadratic", "--checkpoint-every", "10"],
        4,
    ),
    "full-batch descent on moons": (
        [
            "train",
            "moons",
            "--epochs",
            "12",
            "--batch-size",
            "0",
            "--checkpoint-every",
            "1",
            "--json",
        ],
        4,
    ),
}


@pytest.mark.parametrize("name", KILLED_AFTER_AN_EPOCH_END)
def test_a_run_killed_right_after_an_epoch_end_checkpoint_resumes_bitwise(tmp_path, name):
    """SIGKILL exactly when the checkpoint on disk was written at an epoch's end (batch 0 of
    the next epoch): the resumed run must draw the next epoch's shuffle, not the first one's."""
    argv, from_epoch = KILLED_AFTER_AN_EPOCH_END[name]
    run_whole(argv, tmp_path / "whole")
    out = tmp_path / "killed"
    run = Forked([*argv, "--out", out], tmp_path / "killed.log")
    _, batch = kill_after(run, out, lambda e, b: b == 0 and e >= from_epoch)
    assert batch == 0 and not (out / "model.npz").exists()
    resumed = _resume(out)
    assert resumed.wait() == 0, resumed.text()
    same_run(tmp_path / "whole", out, epochs=len(_epochs(tmp_path / "whole")))
    assert not list(out.glob(".*.tmp")), "a killed write's temporary file was left behind"


def test_a_run_killed_twice_and_resumed_twice_ends_bitwise_identical(tmp_path):
    """The resumed run must go on checkpointing (--checkpoint-every is kept), so a second
    crash loses nothing either; one kill mid-epoch, one right after an epoch's end."""
    argv = [*XOR, "--engine", "tensor", "--optimizer", "adam", "--lr", "0.05",
            "--checkpoint-every", "3"]  # fmt: skip
    run_whole(argv, tmp_path / "whole")
    out = tmp_path / "killed"
    first = kill_after(
        Forked([*argv, "--out", out], tmp_path / "1.log"), out, lambda e, b: e >= 5 and b == 3
    )
    second = kill_after(_resume(out), out, lambda e, b: e > first[0] + 3 and b == 0)
    assert second > first
    last = _resume(out)
    assert last.wait() == 0, last.text()
    same_run(tmp_path / "whole", out, epochs=30)


def _epochs(folder):
    return json.loads((Path(folder) / "history.json").read_text())["epochs"]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_a_checkpoint_and_resume_bitwise(tmp_path, how):
    """What a scheduler (SIGTERM) or a closed terminal (SIGHUP) sends stops the run like Ctrl-C:
    a checkpoint at the next step boundary (none was asked for), one line, exit 130."""
    argv = ["train", "moons", "--epochs", "6", "--batch-size", "1", "--json"]
    run_whole(argv, tmp_path / "whole")
    out = tmp_path / "stopped"
    run = Forked([*argv, "--out", out], tmp_path / "stopped.log")
    deadline = time.monotonic() + 120
    while '"epoch": 1' not in run.text():  # training (and its signal handlers) under way
        assert run.poll() is None and time.monotonic() < deadline, run.text()
        time.sleep(0.005)
    os.kill(run.pid, getattr(signal, how))
    assert run.wait() == 130, run.text()
    lines = [line for line in run.text().splitlines() if line.startswith("chainrule:")]
    assert len(lines) == 1 and f"chainrule train --resume {out}" in lines[0], run.text()
    assert "Traceback" not in run.text()
    assert position(out) is not None and not (out / "model.npz").exists()
    resumed = _resume(out)
    assert resumed.wait() == 0, resumed.text()
    same_run(tmp_path / "whole", out, epochs=6)
