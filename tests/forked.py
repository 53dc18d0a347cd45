"""Runs of ``chainrule`` forked from the test process, to be paused, read and killed at an
exact moment: no second interpreter to start (the machine's cores are shared), and a kill lands
exactly after the checkpoint a test wants (SIGSTOP while the test reads it), never by luck."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from chainrule.cli import main


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
                code = main([str(a) for a in argv])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except BaseException:
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


def position(folder):
    """The ``(epoch, batch)`` the checkpoint in ``folder`` would resume at, or None."""
    try:
        with np.load(Path(folder) / "checkpoint.npz", allow_pickle=False) as f:
            position = json.loads(f["__header__"].tobytes())["position"]
    except FileNotFoundError:
        return None
    return position["epoch"], position["batch"]


def kill_after(run, folder, wanted, timeout=240.0):
    """Pause ``run`` until its checkpoint is at a position ``wanted(epoch, batch)`` accepts,
    then SIGKILL it there; return that position."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.pause():
            raise AssertionError(f"the run ended before a wanted checkpoint:\n{run.text()}")
        where = position(folder)
        if where is not None and wanted(*where):
            assert run.kill() == -signal.SIGKILL
            return where
        os.kill(run.pid, signal.SIGCONT)
        time.sleep(0.002)
    run.kill()
    raise AssertionError("no wanted checkpoint appeared")


def arrays(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files if k != "__header__"}


def same_run(a, b, epochs=4):
    first, second = arrays(a / "model.npz"), arrays(b / "model.npz")
    assert first.keys() == second.keys()
    for name in first:
        assert np.array_equal(first[name], second[name]), name  # bitwise, not approximately
    costs = [
        [e["cost"] for e in json.loads((r / "history.json").read_text())["epochs"]] for r in (a, b)
    ]
    assert costs[0] == costs[1] and len(costs[0]) == epochs


def run_whole(argv, folder):
    run = Forked([*argv, "--out", folder], Path(str(folder) + ".log"))
    assert run.wait() == 0, run.text()
