"""MPI's collectives with a deadline: a dead or hung rank ends the job in seconds, not never.

Every collective chainrule makes is bounded: each training step's ``Iallreduce`` is nonblocking
and polled, and the start-up's ``bcast`` and ``allgather`` (settings, agreement, parameters) run
on a helper thread that the caller watches. Past the deadline (``CHAINRULE_MPI_TIMEOUT`` seconds,
default 20, or four times the slowest step so far), or at once when the launcher reports a lost
process (SIGUSR1), the survivors hold a short roll call, the lowest one names the silent ranks in
one sentence (:func:`ends_job`), and the job is aborted: an MPI job with a dead rank cannot end
cleanly otherwise.

mpi4py is imported only by :func:`world` (importing it starts MPI, which a plain ``chainrule
train`` must never do).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

from chainrule.errors import ChainruleError, InputError

__all__ = ["Collective", "RankLost", "abort_job", "ends_job", "launched", "world"]

# Set by the launchers of MPICH/Intel MPI (PMI), Open MPI, PMIx (Slurm) and MVAPICH: their
# presence says "started by mpiexec" without importing mpi4py (which would start MPI).
LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")
TIMEOUT = 20.0  # seconds a rank waits for the others in one step (CHAINRULE_MPI_TIMEOUT)
ROLL_CALL = 2.0  # seconds the survivors of a timeout listen for each other
_ALIVE = 7  # the roll call's message tag


class RankLost(ChainruleError):
    """A rank stopped answering mid-run; ``lost`` lists them and ``reporter`` is True on the one
    survivor that tells the user."""

    def __init__(self, message: str, lost: list[int], reporter: bool):
        super().__init__(message)
        self.lost, self.reporter = lost, reporter


def launched() -> bool:
    """True when this process was started by an MPI launcher (``mpiexec``, ``srun``, ...)."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def world():
    """``MPI.COMM_WORLD``, or one sentence saying how to install MPI support."""
    return _mpi().COMM_WORLD


def _mpi():
    """mpi4py's ``MPI``, started on first use. Starting MPI waits for every rank of the job, and
    a rank that died before starting it (Ctrl-C or a crash in its own start-up) never comes: MPI
    would wait forever. Under a launcher the start is therefore given the collectives' deadline
    through ``SIGALRM``, whose default action ends this process without needing the
    interpreter (which MPI's start may hold); the launcher then sees the job's ranks gone."""
    started = sys.modules.get("mpi4py.MPI")
    if started is not None:
        return started
    alarm = launched() and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    if alarm:
        signal.alarm(max(1, math.ceil(_timeout())))
    try:
        # Imported here, not at the top: mpi4py is the optional `distributed` extra, and
        # importing it starts MPI, which a plain `chainrule train` must never do.
        from mpi4py import MPI
    except ImportError:
        raise InputError(
            "distributed training needs mpi4py and an MPI library; install chainrule[distributed] "
            "(pip install 'chainrule[distributed]')."
        ) from None
    finally:
        if alarm:
            signal.alarm(0)
    return MPI


def _timeout() -> float:
    """Seconds to wait for the other ranks: ``CHAINRULE_MPI_TIMEOUT``, or ``TIMEOUT``."""
    return float(os.environ.get("CHAINRULE_MPI_TIMEOUT", TIMEOUT) or TIMEOUT)


def abort_job(status: int) -> None:
    """End every rank of this MPI job now with ``status``. MPI is started first if it was not:
    a rank that fails before starting it (a bad flag, Ctrl-C) would otherwise leave the others
    waiting for it in MPI's initialisation forever. What this rank said goes out first: the
    launcher may stop passing output on once the abort begins."""
    sys.stderr.flush()
    sys.stdout.flush()
    time.sleep(0.5)
    world().Abort(status)
    os._exit(status)  # MPICH's Abort can return before the launcher's kill arrives


class Collective:
    """Allreduce with a deadline: a dead or hung rank ends the run in seconds, not never."""

    def __init__(self, comm, timeout: float | None = None):
        self.comm, self.MPI = comm, _mpi()
        self.timeout = _timeout()
        if timeout is not None:
            self.timeout = float(timeout)
        self.longest = 0.0  # the slowest step so far: a big model earns a longer wait
        self.notice = None  # set when the launcher reports a lost process (SIGUSR1)

    def limit(self) -> float:
        """Seconds to wait for the others: the timeout, or four times the slowest step so far."""
        return max(self.timeout, 4 * self.longest)

    def allreduce(self, buffer: np.ndarray) -> None:
        """Sum ``buffer`` over all ranks in place (nonblocking ``Iallreduce``, polled)."""
        MPI = self.MPI
        try:
            request = self.comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            deadline = time.perf_counter() + self.limit()
            polls = 0
            while not request.Test():
                if self.notice is not None or time.perf_counter() > deadline:
                    break
                polls += 1
                if polls > 2000:  # spin briefly (a fast step), then yield the core
                    time.sleep(1e-4)
            else:
                return
        except MPI.Exception:
            pass
        self.lost()

    def bcast(self, obj=None, root: int = 0):
        """Rank ``root``'s ``obj`` on every rank (mpi4py's ``bcast``, with the deadline)."""
        return self.call(self.comm.bcast, obj, root=root)

    def allgather(self, obj) -> list:
        """Every rank's ``obj``, in rank order (mpi4py's ``allgather``, with the deadline)."""
        return self.call(self.comm.allgather, obj)

    def call(self, collective, *args, **kwargs):
        """``collective(*args, **kwargs)``, a blocking collective of mpi4py, with the deadline:
        it runs on a helper thread while this one watches the clock and the launcher's notice
        (MPI runs with MPI_THREAD_MULTIPLE, mpi4py's default; with less, it waits unbounded)."""
        if self.MPI.Query_thread() < self.MPI.THREAD_MULTIPLE:
            return collective(*args, **kwargs)
        done = {}

        def work():
            try:
                done["value"] = collective(*args, **kwargs)
            except BaseException as error:  # (raised again below, in the caller's thread)
                done["error"] = error

        helper = threading.Thread(target=work, daemon=True)
        helper.start()
        deadline = time.perf_counter() + self.limit()
        while helper.is_alive() and self.notice is None and time.perf_counter() < deadline:
            helper.join(0.01)
        if helper.is_alive():
            self.lost()
        if "error" in done:
            raise done["error"]
        return done["value"]

    def lost(self):
        """Roll call: every survivor tells every other it is alive and listens ``ROLL_CALL``
        seconds; whoever is silent is lost. Raises RankLost (the lowest survivor reports)."""
        comm, rank, size = self.comm, self.comm.Get_rank(), self.comm.Get_size()
        heard, inbox, sends = {rank}, {}, []
        for other in range(size):
            if other != rank:
                try:
                    sends.append(comm.Isend(np.ones(1), dest=other, tag=_ALIVE))
                    inbox[other] = (comm.Irecv(np.zeros(1), source=other, tag=_ALIVE), np.zeros(1))
                except self.MPI.Exception:
                    pass
        end = time.perf_counter() + ROLL_CALL
        while time.perf_counter() < end and len(heard) < size:
            for other, (request, _) in inbox.items():
                try:
                    if other not in heard and request.Test():
                        heard.add(other)
                except self.MPI.Exception:
                    pass
            time.sleep(0.01)
        lost = sorted(set(range(size)) - heard)
        named = ", ".join(str(r) for r in lost) or "unknown"
        wait = self.limit()
        why = (
            "was reported lost by the launcher (killed or crashed)"
            if self.notice
            else f"stopped answering (killed, crashed or hung for more than {wait:.0f}s)"
        )
        raise RankLost(
            f"rank {named} of {size} {why}",
            lost,
            reporter=rank == min(heard),
        )


@contextmanager
def ends_job(comm, say):
    """Run the block; a :class:`RankLost` in it ends the whole job: the survivor that reports it
    calls ``say(error)``, and the others give it time to be passed on before all abort."""
    try:
        yield
    except RankLost as lost:
        if lost.reporter:
            say(lost)
        else:
            time.sleep(1.5)
        abort_job(1)


def say_resume(lost: RankLost) -> None:
    """What a lost rank during training is, by default (the CLI names the command to resume)."""
    print(f"chainrule: error: {lost}; resume from the last checkpoint.", file=sys.stderr)


def on_lost_notice(collective: Collective):
    """MPICH's launcher (with -disable-auto-cleanup) signals SIGUSR1 to the survivors when a
    process dies: note it so the current Allreduce gives up at once. Returns the old handler."""
    if not hasattr(signal, "SIGUSR1") or threading.current_thread() is not threading.main_thread():
        return None

    def notice(number, frame):
        collective.notice = number

    return signal.signal(signal.SIGUSR1, notice)


def say_start(lost: RankLost) -> None:
    """What a lost rank during start-up is (no checkpoint to resume from yet)."""
    print(f"chainrule: error: {lost} while the job started; start it again.", file=sys.stderr)
