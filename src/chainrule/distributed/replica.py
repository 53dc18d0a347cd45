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

Faults (see :mod:`chainrule.distributed.collective`): every collective has a deadline, so a
rank that stops answering is named and the job ends in seconds. Stop requests (Ctrl-C, SIGTERM)
ride in the step's buffer, so every rank stops after the same step; a NaN in any rank's gradient
becomes NaN in every rank's sum, so the loop's divergence check stops all ranks alike.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import signal
import time

import numpy as np

from chainrule.distributed.collective import (
    Collective,
    ends_job,
    on_lost_notice,
    say_resume,
    say_start,
)
from chainrule.errors import InputError
from chainrule.protocol import ModelBase
from chainrule.train import train as train_loop

__all__ = ["Replica", "agreement", "apply_gradient", "check_agreement", "shard", "train"]


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
        self.collective = Collective(comm, timeout)
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

    def step(self, X, Y, lr: float, l2: float = 0.0, n: int | None = None, l1: float = 0.0) -> None:
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


def check_agreement(collective: Collective, settings: dict, X, y, test=None) -> None:
    """Compare every rank's hashes with rank 0's once, at start; one sentence if they differ."""
    hashes = collective.allgather(agreement(settings, X, y, test))
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
    replica = Replica(model, comm, a["stop"], timeout)
    collective = replica.collective
    previous = on_lost_notice(collective)
    try:
        with ends_job(comm, say_start):
            check_agreement(collective, settings, np.asarray(X), np.asarray(y), a["test"])
            model.set_parameters(collective.bcast(model.parameters() if rank == 0 else None))
            resume = collective.bcast(resume if rank == 0 else None)
        a.update(model=replica, resume=resume, stop=replica.stopped)
        if rank != 0:
            a.update(callbacks=(), progress=None, checkpoint=None)
        with ends_job(comm, on_lost or say_resume):
            return train_loop(**a)
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)
