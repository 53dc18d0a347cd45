"""``mpiexec -n K chainrule train``, run as a user runs it: rank 0 alone speaks and writes, the
run equals one process's, Ctrl-C saves a checkpoint that K' ranks resume, a lost rank ends the
job in seconds with one sentence, and bad setups get one sentence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_distributed import MPIEXEC, gone

from chainrule.data import load as load_dataset
from chainrule.models.store import load
from chainrule.runs import build_model, load_checkpoint
from chainrule.train import train

pytestmark = pytest.mark.mpi  # one mpiexec at a time (conftest.xdist_group)
CHAINRULE = Path(sys.executable).with_name("chainrule")
DIGITS = ["digits", "--dtype", "float64", "--batch-size", "20", "--seed", "2"]


def command(k: int | None, *args) -> list[str]:
    """``mpiexec -n k chainrule ARGS`` (or ``chainrule ARGS`` alone for k None)."""
    return ([str(MPIEXEC), "-n", str(k)] if k else []) + [str(CHAINRULE), *args]


def run(k, *args, timeout=90, env=None):
    return subprocess.run(
        command(k, *args), capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def errors(stderr: str) -> list[str]:
    """The lines chainrule said on stderr (the progress bar's carriage returns cut away)."""
    lines = [part for line in stderr.splitlines() for part in line.split("\r")]
    return [line for line in lines if line.startswith("chainrule:")]


def test_two_ranks_train_as_one_process_and_only_rank_0_speaks(tmp_path):
    one = run(None, "train", "xor", "--epochs", "20", "--json", "--dtype", "float64",
              "--out", str(tmp_path / "one"))  # fmt: skip
    two = run(2, "train", "xor", "--epochs", "20", "--json", "--dtype", "float64",
              "--out", str(tmp_path / "two"))  # fmt: skip
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    records = [json.loads(line) for line in two.stdout.splitlines()]
    assert len(records) == 21  # 20 epochs and a summary, once: the other rank is quiet
    expected = [json.loads(line) for line in one.stdout.splitlines()]
    for got, want in zip(records[:-1], expected[:-1]):
        assert got["cost"] == pytest.approx(want["cost"], rel=1e-12)
        assert got["test_accuracy"] == want["test_accuracy"]
    a, b = load(tmp_path / "one" / "model.npz"), load(tmp_path / "two" / "model.npz")
    for name, p in a.parameters().items():
        np.testing.assert_allclose(b.parameters()[name], p, rtol=0, atol=1e-12)
    assert sorted(p.name for p in (tmp_path / "two").iterdir() if p.name[0] != ".") == [
        "history.json", "history.png", "model.npz",
    ]  # fmt: skip


def start(k, out: Path, *args, flags=(), env=None) -> subprocess.Popen:
    """A long digits run under ``mpiexec``, returned once its first checkpoint is written."""
    process = subprocess.Popen(
        [str(MPIEXEC), *flags, "-n", str(k), str(CHAINRULE), "train", *DIGITS, "--out", str(out),
         "--checkpoint-every", "5", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    end = time.time() + 60
    while not (out / "checkpoint.npz").exists():
        assert process.poll() is None and time.time() < end, process.communicate()
        time.sleep(0.1)
    return process


def rank_pid(launcher: int, rank: int) -> int:
    """The process id of MPI rank ``rank`` under the launcher ``launcher`` (from /proc)."""
    todo, end = [launcher], time.time() + 10
    while time.time() < end:
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) in todo:
                todo.append(int(pid))
                if f"PMI_RANK={rank}".encode() in environ:
                    return int(pid)
    raise AssertionError(f"no rank {rank} under process {launcher}")


def test_ctrl_c_saves_a_checkpoint_that_three_ranks_resume_to_the_same_end(tmp_path):
    out = tmp_path / "run"
    process = start(2, out, "--epochs", "4", "--json")
    process.send_signal(signal.SIGINT)  # the launcher passes Ctrl-C to every rank
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    said = errors(stderr)
    assert len(said) == 1 and said[0].startswith("chainrule: interrupted (Ctrl-C): stopped at")
    assert said[0].endswith(f"resume with `mpiexec -n 2 chainrule train --resume {out}`.")
    resumed = run(3, "train", "--resume", str(out), "--json")
    assert resumed.returncode == 0, resumed.stderr
    settings = json.loads((out / "history.json").read_text())["settings"]
    alone = build_model(settings)  # the uninterrupted run, in one process
    data = load_dataset("digits", dtype=np.float64)
    train(alone, data.X_train, data.y_train, epochs=4, batch_size=20, lr=settings["lr"],
          seed=2)  # fmt: skip
    for name, p in alone.parameters().items():  # within rounding of the uninterrupted run
        np.testing.assert_allclose(load(out / "model.npz").parameters()[name], p, atol=1e-9)


@pytest.mark.parametrize(
    ("sig", "flags", "said"),
    [
        (signal.SIGSTOP, (), "stopped answering (killed, crashed or hung for more than 2s)"),
        # (SIGKILL under `mpiexec -disable-auto-cleanup`, where the launcher reports the lost
        # rank, named it on the branch's machine but not reliably on a clean install: left out
        # until the launcher's report is understood; a SIGKILL is covered by the next test.)
    ],
)
def test_a_lost_rank_ends_the_job_in_seconds_naming_it(tmp_path, sig, flags, said):
    out = tmp_path / "run"
    process = start(2, out, "--epochs", "200", flags=flags, env={"CHAINRULE_MPI_TIMEOUT": "2"})
    lost = rank_pid(process.pid, 1)
    os.kill(lost, sig)
    began = time.time()
    _, stderr = process.communicate(timeout=60)
    assert time.time() - began < 20
    assert process.returncode != 0
    assert errors(stderr) == [
        f"chainrule: error: rank 1 of 2 {said}; resume with "
        f"`mpiexec -n 2 chainrule train --resume {out}`."
    ]
    assert gone(lost)
    settings, _, position, _ = load_checkpoint(out)  # the checkpoint left behind is whole
    assert settings["epochs"] == 200 and position.epoch >= 1


def test_a_killed_rank_under_the_default_launcher_ends_the_job_at_once(tmp_path):
    process = start(2, tmp_path / "run", "--epochs", "200")
    os.kill(rank_pid(process.pid, 1), signal.SIGKILL)
    began = time.time()
    process.communicate(timeout=60)  # MPICH's mpiexec cleans up the others itself
    assert time.time() - began < 10
    assert process.returncode != 0


def test_ranks_started_with_different_settings_get_one_sentence(tmp_path):
    out = str(tmp_path / "run")
    # Two command lines under one launcher: rank 1 asks for another learning rate.
    mixed = subprocess.run(
        [str(MPIEXEC), "-n", "1", str(CHAINRULE), "train", "xor", "--lr", "1", "--out", out,
         ":", "-n", "1", str(CHAINRULE), "train", "xor", "--lr", "2", "--out", out],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert mixed.returncode == 2
    assert errors(mixed.stderr) == [
        "chainrule: error: rank 1 was started with other settings than rank 0 (epochs, batch "
        "size, learning rate, L2, seed or model); start every rank with the same command."
    ]
    assert not (tmp_path / "run" / "model.npz").exists()


def test_mpi4py_missing_under_a_launcher_says_what_to_install(tmp_path):
    fake = tmp_path / "mpi4py"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('no MPI here')\n")
    result = run(None, "train", "xor", "--out", str(tmp_path / "run"),
                 env={"PMI_SIZE": "2", "PMI_RANK": "0", "PYTHONPATH": str(tmp_path)})  # fmt: skip
    assert result.returncode == 2
    assert errors(result.stderr) == [
        "chainrule: error: distributed training needs mpi4py and an MPI library; install "
        "chainrule[distributed] (pip install 'chainrule[distributed]')."
    ]


def test_without_a_launcher_mpi4py_is_never_imported(tmp_path):
    code = (
        "import sys; from chainrule.cli import main; "
        f"code = main(['train', 'xor', '--epochs', '3', '--out', {str(tmp_path)!r}]); "
        "print(code, 'mpi4py' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "PMIX_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.stdout.splitlines()[-1] == "0 False", result.stderr


# ------------------------------------------------------------ start-up: every rank ends together
LEAVER = "from mpi4py import MPI; import sys; MPI.COMM_WORLD.bcast(None, root=0); sys.exit(1)"


def test_a_rank_that_leaves_after_the_settings_ends_the_job_naming_it(tmp_path):
    # Issue 19, point 8: rank 0 waited forever in the start-up's agreement (allgather).
    out = tmp_path / "run"
    result = subprocess.run(
        [str(MPIEXEC), "-n", "1", str(CHAINRULE), "train", "xor", "--epochs", "2", "--out",
         str(out), ":", "-n", "1", sys.executable, "-c", LEAVER],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "CHAINRULE_MPI_TIMEOUT": "3"},
    )  # fmt: skip
    assert result.returncode != 0
    assert errors(result.stderr) == [
        "chainrule: error: rank 1 of 2 stopped answering (killed, crashed or hung for more than "
        "3s) while the job started; start it again."
    ]
    assert not (out / "model.npz").exists()


@pytest.mark.parametrize("bad", [0, 1], ids=["rank 0", "rank 1"])
def test_a_bad_flag_on_one_rank_ends_every_rank_with_its_sentence(tmp_path, bad):
    # Issue 19, point 9: the rank with the bad flag left before MPI started, and the other one
    # waited for it in MPI's initialisation forever.
    good = [str(CHAINRULE), "train", "xor", "--epochs", "2", "--out", str(tmp_path / "run")]
    wrong = [str(CHAINRULE), "train", "xor", "--epochs", "abc"]
    first, second = (wrong, good) if bad == 0 else (good, wrong)
    result = subprocess.run(
        [str(MPIEXEC), "-n", "1", *first, ":", "-n", "1", *second],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    said = [line for line in result.stderr.splitlines() if "error:" in line]
    assert said == [
        "chainrule train: error: argument --epochs: must be a positive whole number, got 'abc'; "
        "see `chainrule train --help`."
    ]
    assert not (tmp_path / "run" / "model.npz").exists()


@pytest.mark.parametrize("delay", [0.2, 1.0, 2.5])
def test_ctrl_c_while_the_ranks_start_ends_every_rank(tmp_path, delay):
    # Issue 19, point 9: Ctrl-C reached one rank before MPI started and the other inside it.
    process = subprocess.Popen(
        [str(MPIEXEC), "-n", "2", str(CHAINRULE), "train", "xor", "--epochs", "300", "--out",
         str(tmp_path / "run")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(delay)
        process.send_signal(signal.SIGINT)  # the launcher passes it to every rank
        _, stderr = process.communicate(timeout=90)  # ended, whatever each rank was doing
    finally:
        process.kill()  # (a no-op once it ended; a hung job must not outlive the test)
        process.communicate()
    assert process.returncode != 0, stderr
    # (a rank still in Python's own start-up, before chainrule's first line, may print
    # Python's KeyboardInterrupt instead; what chainrule says is the one sentence)
    assert all(line.startswith("chainrule: interrupted") for line in errors(stderr)), stderr
