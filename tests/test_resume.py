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


def _same_run(a, b, epochs=4):
    first, second = _arrays(a / "model.npz"), _arrays(b / "model.npz")
    assert first.keys() == second.keys()
    for name in first:
        assert np.array_equal(first[name], second[name]), name  # bitwise, not approximately
    costs = [
        [e["cost"] for e in json.loads((r / "history.json").read_text())["epochs"]] for r in (a, b)
    ]
    assert costs[0] == costs[1] and len(costs[0]) == epochs


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


# ---------------------------------------------------------------------------------- forked runs
# The runs below are forked from this process (no second interpreter to start: the machine's
# cores are shared) and stopped with SIGSTOP while the test reads their checkpoint, so a kill
# lands exactly after the kind of checkpoint the test wants, never by luck of timing.


class Forked:
    """``chainrule ARGV`` in a forked child; its stdout and stderr go to ``log``."""

    def __init__(self, argv, log):
        self.log = Path(log)
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command and leave without pytest's cleanup
            code = 1
            try:
                fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
                sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
                from chainrule.cli import main

                code = main([str(a) for a in argv])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.status = None

    def poll(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def wait(self, timeout=300.0):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                self.wait()
                raise AssertionError(f"the run did not end within {timeout} s")
            time.sleep(0.01)
        return self.status

    def pause(self) -> bool:
        """Stop the child (SIGSTOP); False if it has already ended."""
        if self.poll() is not None:
            return False
        os.kill(self.pid, signal.SIGSTOP)
        _, status = os.waitpid(self.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            self.status = os.waitstatus_to_exitcode(status)
            return False
        return True

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)
        os.kill(self.pid, signal.SIGCONT)
        return self.wait()

    def text(self):
        return self.log.read_text() if self.log.exists() else ""


def _position(folder):
    """The ``(epoch, batch)`` the checkpoint in ``folder`` would resume at, or None."""
    try:
        with np.load(Path(folder) / "checkpoint.npz", allow_pickle=False) as f:
            position = json.loads(f["__header__"].tobytes())["position"]
    except FileNotFoundError:
        return None
    return position["epoch"], position["batch"]


def _kill_after(run, folder, wanted, timeout=240.0):
    """Pause ``run`` until its checkpoint is at a position ``wanted(epoch, batch)`` accepts,
    then SIGKILL it there; return that position."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.pause():
            raise AssertionError(f"the run ended before a wanted checkpoint:\n{run.text()}")
        position = _position(folder)
        if position is not None and wanted(*position):
            assert run.kill() == -signal.SIGKILL
            return position
        os.kill(run.pid, signal.SIGCONT)
        time.sleep(0.002)
    run.kill()
    raise AssertionError("no wanted checkpoint appeared")


def _run_whole(argv, folder):
    run = Forked([*argv, "--out", folder], Path(str(folder) + ".log"))
    assert run.wait() == 0, run.text()


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
    _run_whole(argv, tmp_path / "whole")
    out = tmp_path / "killed"
    run = Forked([*argv, "--out", out], tmp_path / "killed.log")
    _, batch = _kill_after(run, out, lambda e, b: b == 0 and e >= from_epoch)
    assert batch == 0 and not (out / "model.npz").exists()
    resumed = _resume(out)
    assert resumed.wait() == 0, resumed.text()
    _same_run(tmp_path / "whole", out, epochs=len(_epochs(tmp_path / "whole")))
    assert not list(out.glob(".*.tmp")), "a killed write's temporary file was left behind"


def test_a_run_killed_twice_and_resumed_twice_ends_bitwise_identical(tmp_path):
    """The resumed run must go on checkpointing (--checkpoint-every is kept), so a second
    crash loses nothing either; one kill mid-epoch, one right after an epoch's end."""
    argv = [*XOR, "--engine", "tensor", "--optimizer", "adam", "--lr", "0.05",
            "--checkpoint-every", "3"]  # fmt: skip
    _run_whole(argv, tmp_path / "whole")
    out = tmp_path / "killed"
    first = _kill_after(
        Forked([*argv, "--out", out], tmp_path / "1.log"), out, lambda e, b: e >= 5 and b == 3
    )
    second = _kill_after(_resume(out), out, lambda e, b: e > first[0] + 3 and b == 0)
    assert second > first
    last = _resume(out)
    assert last.wait() == 0, last.text()
    _same_run(tmp_path / "whole", out, epochs=30)


def _epochs(folder):
    return json.loads((Path(folder) / "history.json").read_text())["epochs"]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_a_checkpoint_and_resume_bitwise(tmp_path, how):
    """What a scheduler (SIGTERM) or a closed terminal (SIGHUP) sends stops the run like Ctrl-C:
    a checkpoint at the next step boundary (none was asked for), one line, exit 130."""
    argv = ["train", "moons", "--epochs", "6", "--batch-size", "1", "--json"]
    _run_whole(argv, tmp_path / "whole")
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
    assert _position(out) is not None and not (out / "model.npz").exists()
    resumed = _resume(out)
    assert resumed.wait() == 0, resumed.text()
    _same_run(tmp_path / "whole", out, epochs=6)


def test_a_second_run_on_the_same_folder_is_refused_in_one_sentence(tmp_path, capsys):
    """Two runs writing one folder would mix their files: the second is refused, naming the
    first's process, and the first finishes untouched."""
    from chainrule.cli import main

    out = tmp_path / "run"
    first = Forked(["train", "xor", "--epochs", "3000", "--json", "--out", out], tmp_path / "1.log")
    deadline = time.monotonic() + 120
    while '"epoch": 1' not in first.text():
        assert first.poll() is None and time.monotonic() < deadline, first.text()
        time.sleep(0.005)
    assert first.pause(), "the first run ended too soon"  # it holds the folder meanwhile
    try:
        code = main(["train", "xor", "--epochs", "1", "--out", str(out)])
        err = capsys.readouterr().err
    finally:
        first.kill()
    assert code == 2
    assert err.count("\n") == 1 and f"process {first.pid}" in err and "in use" in err, err
    assert not (out / "model.npz").exists()


def test_a_full_disk_says_one_sentence_and_keeps_the_last_good_checkpoint(
    tmp_path, capsys, monkeypatch
):
    """ENOSPC on the third checkpoint: exit 2, one line naming the file, no temporary file
    left, and the second checkpoint still whole (the run resumes from it)."""
    import errno

    from chainrule.cli import main

    out = tmp_path / "run"
    real = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    argv = ["train", "xor", "--epochs", "20", "--batch-size", "1", "--checkpoint-every", "3"]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "disk is full" in err and str(out) in err, err
    assert "Traceback" not in err
    assert not list(out.glob(".*.tmp"))
    assert _position(out) == (2, 0)  # saves: (1, 3), (2, 0); the third failed
    monkeypatch.setattr(os, "fsync", real)
    assert main(["train", "--resume", str(out)]) == 0
    _same_run_whole_xor(tmp_path, out, argv)


def test_a_read_only_run_folder_says_one_sentence(tmp_path, capsys, monkeypatch):
    """EROFS when renaming the checkpoint into place: one sentence, nothing half-written."""
    import errno

    from chainrule.cli import main

    def replace(src, dst):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "run"
    code = main(["train", "xor", "--epochs", "3", "--checkpoint-every", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "read-only" in err, err
    assert not list(out.glob(".*.tmp")) and not (out / "checkpoint.npz").exists()


def _same_run_whole_xor(tmp_path, out, argv):
    whole = tmp_path / "whole"
    _run_whole(argv, whole)
    _same_run(whole, out, epochs=20)


def test_stale_temporary_files_of_killed_writes_are_removed_on_the_next_start(tmp_path, capsys):
    """A write killed mid-way leaves ``.NAME.RANDOM.tmp``; the next run on the folder removes
    it (and only it) before training."""
    from chainrule.cli import main

    out = tmp_path / "run"
    argv = ["train", "xor", "--epochs", "3", "--checkpoint-every", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    stale = [out / ".checkpoint.npz.k1ll3d.tmp", out / ".model.npz.x.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    (out / "notes.tmp").write_text("the user's own file")
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    assert not any(p.exists() for p in stale) and (out / "notes.tmp").exists()
