"""Data-parallel training on MPI: one mini-batch split across K processes, one Allreduce per step.

A mini-batch's gradient is the mean of its samples' gradients,

    dC/dw = (1/m) sum_x dC_x/dw = sum_r (m_r/m) g_r,      g_r = (1/m_r) sum_{x in shard r} dC_x/dw,

so rank ``r`` of ``K`` computes ``g_r`` on its shard of the batch (rows ``r, r+K, r+2K, ...``:
strided, so shard sizes differ by at most one and a short last batch still spreads evenly),
scales it by ``m_r/m`` and one ``Allreduce`` (sum) of all layers' gradients, packed in ONE flat
buffer, gives every rank the mean over the real batch. Every rank then applies the same update
(:func:`apply_gradient`), so the weights stay identical everywhere, and equal to one process's
up to the order of summation.

The seam is :func:`train`: the loop (chainrule.train) and the engines never see MPI. It hands the
loop a :class:`Replica`, a model that answers the Model protocol by delegating to the real one,
except ``step``, ``evaluate`` and ``grad_norms``, which work on the rank's shard and sum across
ranks. Shuffles need no exchange: every rank draws the same permutation from the same seed.
Rank 0 alone gets the callbacks, the progress and the checkpoint.

Faults: each step's Allreduce is nonblocking and polled against a deadline (``timeout``
seconds, or four times the slowest step so far). A rank that stops answering (killed, hung, or
reported lost by the launcher with SIGUSR1) is named by a short roll call among the survivors,
one of them says so in one sentence, and the job is aborted: no hang. Stop requests (Ctrl-C,
SIGTERM) ride in the same buffer, so every rank stops after the same step; a NaN in any rank's
gradient becomes NaN in every rank's sum, so the loop's divergence check stops all ranks alike.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import signal
import sys
import threading
import time

import numpy as np

from chainrule.data import load as load_dataset
from chainrule.errors import ChainruleError, InputError
from chainrule.protocol import ModelBase
from chainrule.runs import build_model
from chainrule.stopping import stop_signals
from chainrule.train import TrainingInterrupted
from chainrule.train import train as train_loop

__all__ = [
    "RankLost", "Replica", "apply_gradient", "fit", "job", "launched", "shard", "train", "world",
]  # fmt: skip

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
    try:
        # Imported here, not at the top: mpi4py is the optional `distributed` extra, and
        # importing it starts MPI, which a plain `chainrule train` must never do.
        from mpi4py import MPI
    except ImportError:
        raise InputError(
            "distributed training needs mpi4py and an MPI library; install chainrule[distributed] "
            "(pip install 'chainrule[distributed]')."
        ) from None
    return MPI


def shard(rows, rank: int, size: int):
    """Rank ``rank``'s share of a mini-batch's rows: ``rows[rank::size]`` (a view, no copy)."""
    return rows[rank::size]


def apply_gradient(model, gradient: dict, lr: float, l2: float, n: int, l1: float = 0.0) -> None:
    """The update of plain SGD with a gradient already computed, in place:

        W -> (1 - lr l2 / n) W - (lr l1 / n) sign(W) - lr dC/dW,        b -> b - lr dC/db

    (the protocol's ``step`` without its gradient; ``n`` is the training-set size). Written
    through ``parameters()``/``set_parameters()``, so it works on every engine. The arrays of
    ``gradient`` are overwritten with the new parameters (they are scratch space here)."""
    decay = 1.0 - lr * l2 / n
    for name, p in model.parameters().items():
        g = gradient[name]
        g *= -lr
        g += decay * p if (decay != 1.0 and name.startswith("W")) else p
        if l1 and name.startswith("W"):
            g -= (lr * l1 / n) * np.sign(p)
    model.set_parameters(gradient)


class Replica:
    """A model on one rank: the Model protocol by delegation, with the batch work shared.

    ``step(X, Y, lr, l2, n)`` is given the whole mini-batch (as on one process), keeps its shard
    ``X[r::K]``, and updates with the batch-mean gradient summed over all ranks; ``evaluate``
    and ``grad_norms`` share their samples the same way. ``stopped()`` is the stop request agreed
    by all ranks in the last step (any rank asked -> all stop)."""

    def __init__(self, model, comm, stop=None, timeout: float | None = None):
        self.model, self.comm, self.stop = model, comm, stop
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.collective = _Collective(comm, timeout)
        shapes = {k: v.shape for k, v in model.parameters().items()}
        counts = [int(np.prod(s)) for s in shapes.values()]
        # One buffer for all layers' gradients plus one slot for the stop request: one Allreduce.
        self.buffer = np.zeros(sum(counts) + 1, dtype=model.dtype)
        ends = np.cumsum(counts)
        self.views = {
            name: self.buffer[end - count : end].reshape(shape)
            for (name, shape), count, end in zip(shapes.items(), counts, ends)
        }
        self.agreed_stop = False
        self.bytes = self.buffer.nbytes

    def __getattr__(self, name):  # engine, sizes, dtype, targets, describe, ...: the model's own
        return getattr(self.model, name)

    def parameters(self):
        """The wrapped model's ``W1, b1, ...`` (the same on every rank)."""
        return self.model.parameters()

    def set_parameters(self, arrays) -> None:
        """Copy ``W1, b1, ...`` into the wrapped model."""
        self.model.set_parameters(arrays)

    def mean_gradient(self, X, Y, stop: bool = False) -> dict[str, np.ndarray]:
        """``dC/dw = sum_r (m_r/m) g_r`` over all ranks, as views of the summed buffer (valid
        until the next call). ``stop`` is this rank's vote to stop, summed in the same call."""
        Xs, Ys = shard(X, self.rank, self.size), shard(Y, self.rank, self.size)
        if len(Xs):
            weight = len(Xs) / len(X)  # m_r/m: the mean over the REAL batch, whatever m_r is
            for name, g in self.model.gradient(Xs, Ys).items():
                np.multiply(g, weight, out=self.views[name])
        else:  # a short last batch can leave a rank with no rows: it adds nothing
            self.buffer[:] = 0
        self.buffer[-1] = 1.0 if stop else 0.0
        self.collective.allreduce(self.buffer)
        self.agreed_stop = bool(self.buffer[-1] > 0)
        return self.views

    def step(
        self, X, Y, lr: float, l2: float = 0.0, n: int | None = None, l1: float = 0.0
    ) -> None:
        """One SGD step on the mini-batch ``(X, Y)``, shared by all ranks (see the module)."""
        start = time.perf_counter()
        gradient = self.mean_gradient(X, Y, stop=self.stop is not None and self.stop())
        apply_gradient(self.model, gradient, lr, l2, n or len(X), l1)
        self.collective.longest = max(self.collective.longest, time.perf_counter() - start)

    def stopped(self) -> bool:
        """True once any rank asked to stop (the vote summed in the last step's Allreduce)."""
        return self.agreed_stop

    def evaluate(self, X, y, l2: float = 0.0, n: int | None = None) -> tuple[float, float]:
        """``(cost + (l2/2n) sum w^2, accuracy)`` with each rank scoring its shard of ``X``."""
        Xs, ys = shard(X, self.rank, self.size), shard(np.asarray(y), self.rank, self.size)
        part = np.zeros(3)  # sum of costs, number correct, number of samples
        if len(Xs):
            cost, accuracy = self.model.evaluate(Xs, ys)
            part[:] = cost * len(Xs), round(accuracy * len(Xs)), len(Xs)
        self.collective.allreduce(part)
        penalty = ModelBase.l2_penalty(self.model, l2, n or len(X))
        return float(part[0] / part[2]) + penalty, float(part[1] / part[2])

    def grad_norms(self, X, Y) -> list[float]:
        """``||dC/dW^l||`` per layer of the gradient on ``X``, shared like a step's."""
        gradient = self.mean_gradient(X, Y)
        return [float(np.linalg.norm(gradient[f"W{l}"])) for l in range(1, len(self.sizes))]


class _Collective:
    """Allreduce with a deadline: a dead or hung rank ends the run in seconds, not never."""

    def __init__(self, comm, timeout: float | None):
        self.comm, self.MPI = comm, _mpi()
        self.timeout = float(os.environ.get("CHAINRULE_MPI_TIMEOUT", TIMEOUT) or TIMEOUT)
        if timeout is not None:
            self.timeout = float(timeout)
        self.longest = 0.0  # the slowest step so far: a big model earns a longer wait
        self.notice = None  # set when the launcher reports a lost process (SIGUSR1)

    def allreduce(self, buffer: np.ndarray) -> None:
        """Sum ``buffer`` over all ranks in place."""
        MPI = self.MPI
        try:
            request = self.comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            deadline = time.perf_counter() + max(self.timeout, 4 * self.longest)
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
        wait = max(self.timeout, 4 * self.longest)
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


def agreement(settings: dict, X, y, test=None) -> tuple[str, str]:
    """``(settings hash, data hash)``: the run's settings as JSON, and the data's shapes, dtypes
    and bytes (BLAKE2b). Ranks that differ in either would train different runs."""
    data = hashlib.blake2b(digest_size=16)
    for array in (X, y) if test is None else (X, y, *test):
        array = np.ascontiguousarray(array)
        data.update(f"{array.shape}{array.dtype}".encode())
        data.update(memoryview(array).cast("B"))
    text = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.blake2b(text, digest_size=16).hexdigest(), data.hexdigest()


def check_agreement(comm, settings: dict, X, y, test=None) -> None:
    """Compare every rank's hashes with rank 0's once, at start; one sentence if they differ."""
    hashes = comm.allgather(agreement(settings, X, y, test))
    for rank, (mine, data) in enumerate(hashes):
        if mine != hashes[0][0]:
            raise InputError(
                f"rank {rank} was started with other settings than rank 0 (epochs, batch size, "
                "learning rate, L2, seed or model); start every rank with the same command."
            )
        if data != hashes[0][1]:
            raise InputError(
                f"rank {rank} loaded other data than rank 0 (shape {np.shape(X)}); give every "
                "rank the same data (the same --data-dir contents on every machine)."
            )


def train(model, X, y, *args, comm, timeout: float | None = None, on_lost=None, **options):
    """chainrule.train.train (same arguments) across the ranks of ``comm`` (e.g.
    ``MPI.COMM_WORLD``); call it on every rank with the same arguments. Returns the same
    History on every rank.

    Every rank starts from rank 0's parameters and rank 0's ``resume`` (so only rank 0 needs
    the checkpoint); only rank 0 runs ``callbacks``, ``progress`` and ``checkpoint``. ``stop``
    may be asked on any rank: all stop after the same step (``TrainingInterrupted``
    everywhere). A lost rank makes one survivor call ``on_lost(error)`` (default: print the
    sentence to stderr) before the whole job is aborted: an MPI job with a dead rank cannot end
    cleanly otherwise."""
    bound = inspect.signature(train_loop).bind(model, X, y, *args, **options)
    bound.apply_defaults()
    a = bound.arguments
    batch_size, resume = a["batch_size"], a["resume"]
    rank, size = comm.Get_rank(), comm.Get_size()
    if model.describe().get("optimizer", "sgd") != "sgd":
        raise InputError(
            "distributed training applies plain SGD updates; Adam is not distributed yet: use "
            "--optimizer sgd, or train in one process."
        )
    n = len(X)
    if 1 <= (batch_size or n) < size:
        raise InputError(
            f"batch size {batch_size or n} is smaller than the {size} ranks, so some would have no "
            f"sample to work on; use a batch size of at least {size}, or fewer ranks."
        )
    settings = {k: a[k] for k in ("epochs", "batch_size", "lr", "l2", "seed")}
    settings.update(model=model.describe(), samples=n)
    check_agreement(comm, settings, np.asarray(X), np.asarray(y), a["test"])
    model.set_parameters(comm.bcast(model.parameters() if rank == 0 else None, root=0))
    resume = comm.bcast(resume if rank == 0 else None, root=0)
    replica = Replica(model, comm, a["stop"], timeout)
    lead = rank == 0
    previous = _on_lost_notice(replica.collective)
    try:
        a.update(model=replica, resume=resume, stop=replica.stopped)
        if not lead:
            a.update(callbacks=(), progress=None, checkpoint=None)
        return train_loop(**a)
    except RankLost as lost:
        if lost.reporter:
            (on_lost or _say)(lost)
            sys.stderr.flush()
        else:
            time.sleep(1.0)  # let the reporter speak before the job goes down
        comm.Abort(1)
        os._exit(1)  # MPICH's Abort can return before the launcher's kill arrives
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)


def _say(lost: RankLost) -> None:
    print(f"chainrule: error: {lost}; resume from the last checkpoint.", file=sys.stderr)


def _on_lost_notice(collective: _Collective):
    """MPICH's launcher (with -disable-auto-cleanup) signals SIGUSR1 to the survivors when a
    process dies: note it so the current Allreduce gives up at once. Returns the old handler."""
    if not hasattr(signal, "SIGUSR1") or threading.current_thread() is not threading.main_thread():
        return None

    def notice(number, frame):
        collective.notice = number

    return signal.signal(signal.SIGUSR1, notice)


# ---------------------------------------------------------------- the ranks of `chainrule train`
def fit(model, data, settings: dict, *, comm=None, on_lost=None, **options):
    """Train ``model`` on a data set's training rows with a run's ``settings`` (``epochs``,
    ``batch_size``, ``lr``, ``l2``, ``seed``), scored on its test rows each epoch: chainrule.train's
    loop in this process (``comm`` None), or :func:`train` shared by the ranks of ``comm``.
    ``options``: the loop's others (``callbacks``, ``progress``, ``checkpoint``, ``resume``,
    ``stop``). Returns the History."""
    loop = train_loop if comm is None else functools.partial(train, comm=comm, on_lost=on_lost)
    return loop(
        model, data.X_train, data.y_train, epochs=settings["epochs"],
        batch_size=settings["batch_size"], lr=settings["lr"], l2=settings["l2"],
        test=(data.X_test, data.y_test), seed=settings["seed"], **options,
    )  # fmt: skip


def job(comm, lead, settings_for, on_lost=None) -> int:
    """A training job's roles, decided here; every rank calls this (``comm`` None: no MPI, the one
    process leads). Returns the process's exit status.

    Rank 0 runs ``lead(share)``: it prepares the run (folder, model, data), calls
    ``share(settings)`` when it is ready to train, trains through :func:`fit` and alone speaks
    and writes. Every other rank waits for those settings (told ``None`` when rank 0 failed
    before, it ends with status 2: rank 0 said why), makes its own with ``settings_for(rank 0's)``
    (a new run: from its own command line, so that the start-up agreement catches a different
    one), builds the same model and data set and runs the shared loop: quiet, writing nothing.
    A failure on one rank alone is said with its rank and ends the whole job."""
    if comm is None:
        return lead(lambda settings: None)
    if comm.Get_rank() == 0:
        shared = []
        try:
            return lead(lambda settings: shared.append(comm.bcast(settings, root=0)))
        finally:
            if not shared:
                comm.bcast(None, root=0)  # rank 0 failed before training: the others end too
    theirs = comm.bcast(None, root=0)
    if theirs is None:
        return 2
    try:
        settings = settings_for(theirs)
        model = build_model(settings)
        data = load_dataset(
            settings["dataset"], data_dir=settings["data_dir"], dtype=settings["dtype"]
        )
    except ChainruleError as e:  # this rank alone failed: say so, and end the whole job
        print(f"chainrule: error on rank {comm.Get_rank()}: {e}", file=sys.stderr, flush=True)
        comm.Abort(2)
        os._exit(2)  # MPICH's Abort can return before the launcher's kill arrives
    with stop_signals() as stopped:
        try:
            fit(model, data, settings, comm=comm, on_lost=on_lost, stop=stopped)
        except TrainingInterrupted:
            return 130
        except ChainruleError:
            return 2  # every rank raised it alike; rank 0 says it
    return 0
