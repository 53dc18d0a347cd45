"""The roles of the ranks of a training job (``mpiexec -n K chainrule train``), decided in one
place: rank 0 prepares, speaks and writes; the others compute with it, quiet. Without a launcher
the one process is rank 0 and MPI is never started."""

from __future__ import annotations

import functools
import sys

from chainrule.data import load as load_dataset
from chainrule.distributed.collective import Collective, abort_job, ends_job, say_start
from chainrule.distributed.replica import train
from chainrule.errors import ChainruleError
from chainrule.runs import build_model
from chainrule.stopping import stop_signals
from chainrule.train import TrainingInterrupted
from chainrule.train import train as train_loop

__all__ = ["fit", "job"]


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
    collective = Collective(comm)
    with ends_job(comm, say_start):
        if comm.Get_rank() == 0:
            told = []

            def share(settings):
                told.append(settings)
                collective.bcast(settings)

            try:
                return lead(share)
            finally:
                if not told:
                    collective.bcast(None)  # rank 0 failed before training: the others end too
        theirs = collective.bcast(None)
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
        abort_job(2)
    with stop_signals() as stopped:
        try:
            fit(model, data, settings, comm=comm, on_lost=on_lost, stop=stopped)
        except TrainingInterrupted:
            return 130
        except ChainruleError:
            return 2  # every rank raised it alike; rank 0 says it
    return 0
