"""``chainrule train``: settings from the data set's defaults and the flags, the run folder, the
training loop with signals turned into checkpoints, and what the user sees.

Nothing lost: the run folder is locked while a run writes it (a second run is refused), stale
temporary files of killed writes are removed at start, SIGINT, SIGTERM and SIGHUP stop training
at the next step boundary with a checkpoint, and a diverging run keeps its last good checkpoint.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from tqdm import tqdm

from chainrule import distributed
from chainrule.cli.common import (
    DEFAULT_DTYPE,
    DTYPES,
    natural_float,
    natural_int,
    positive_float,
    positive_int,
)
from chainrule.data import load as load_dataset
from chainrule.distributed import launched, world
from chainrule.errors import InputError
from chainrule.files import RunLock, remove_stale_temporaries
from chainrule.functions import COSTS, LAYER_ACTIVATIONS
from chainrule.models.registry import DEFAULT_ENGINE, ENGINES, engines_taking, inits
from chainrule.models.registry import help_text as engine_help
from chainrule.network import BACKPROP
from chainrule.runs import SETTINGS, Checkpoint, build_model, finish, load_checkpoint
from chainrule.stopping import stop_signals
from chainrule.train import TrainingDiverged, TrainingInterrupted

# Sensible settings per dataset; every one can be overridden on the command line.
# mnist: the book's first network (ch. 1, 95% after 30 epochs); digits: ch. 3's improvements
# (cross-entropy, scaled init), ~98% in a second.
_SETTINGS = ("layers", "activation", "cost", "init", "epochs", "batch_size", "lr")
# fmt: off
TRAIN_DEFAULTS = {name: dict(zip(_SETTINGS, row)) for name, row in {
    "mnist":  ([784, 30, 10], "sigmoid", "quadratic",      "normal", 30,   10, 3.0),
    "digits": ([64, 30, 10],  "sigmoid", "cross_entropy",  "scaled", 30,   10, 0.5),
    "moons":  ([2, 16, 2],    "tanh",    "log_likelihood", "scaled", 100,  10, 0.1),
    "xor":    ([2, 4, 1],     "sigmoid", "cross_entropy",  "normal", 1000, 4,  2.0),
}.items()}
# fmt: on
OPTIMIZERS = ("sgd", "adam")


def run(args) -> int:
    """Train, checkpointing as asked; exit 0, or 130 when stopped by a signal (resumable).

    Under an MPI launcher (``mpiexec -n K chainrule train ...``) rank 0 does all of this and
    shares its settings; the other ranks only compute (``distributed.job`` decides)."""
    comm = world() if launched() else None  # without a launcher, mpi4py is never imported
    quiet = _lost(
        lambda: None, _resume_with(comm, args.resume or args.out or f"runs/{args.dataset}")
    )
    return distributed.job(
        comm, lambda share: _lead(args, comm, share), lambda theirs: _theirs(args, theirs), quiet
    )


def _lead(args, comm, share) -> int:
    """Rank 0 (or the one process): the run folder, locked; the model; then :func:`_train`."""
    if args.resume is not None:  # everything comes from the checkpoint
        out = _folder(args.resume, "--resume")
        settings, net, position, history = load_checkpoint(out, required=tuple(SETTINGS))
        resume = (position, history)
        every = args.checkpoint_every or settings.get("checkpoint_every")
    else:
        settings = _settings(args)
        out = _folder(args.out if args.out is not None else f"runs/{args.dataset}", "--out")
        net, resume, every = build_model(settings), None, args.checkpoint_every
    settings["checkpoint_every"] = every
    with RunLock(out):
        remove_stale_temporaries(out)
        return _train(args, settings, out, net, resume, every, comm, share)


def _theirs(args, theirs: dict) -> dict:
    """A follower's settings: rank 0's on --resume, else its own command line's (so that the
    start-up agreement catches a different one); data from its own --data-dir if given."""
    settings = theirs if args.resume is not None else _settings(args)
    settings["data_dir"] = args.data_dir or theirs["data_dir"]
    return settings


def _train(args, settings, out, net, resume, every, comm=None, share=lambda s: None) -> int:
    data = load_dataset(settings["dataset"], data_dir=settings["data_dir"], dtype=settings["dtype"])
    checkpoint = Checkpoint(out, net, settings, every)
    view = _View(args.json, settings["epochs"])
    share(settings)
    if not args.json:
        print(_announce(net, settings, data, resume, comm), flush=True)
    resume_with = _resume_with(comm, out)
    start = time.perf_counter()
    with stop_signals() as stopped:
        try:
            history = distributed.fit(
                net, data, settings, comm=comm, on_lost=_lost(view.close, resume_with),
                callbacks=[view.epoch], progress=None if args.json else view.progress,
                checkpoint=checkpoint, resume=resume, stop=stopped,
            )  # fmt: skip
        except TrainingInterrupted as stop:
            view.close()
            print(
                f"chainrule: {stopped.name or 'interrupted'}: {stop}; a checkpoint is saved: "
                f"{resume_with}.",
                file=sys.stderr,
            )
            return 130
        except TrainingDiverged as e:
            view.close()
            saved = checkpoint.saved
            kept = (
                f" The last good checkpoint (epoch {saved.epoch}, step {saved.batch}) is in {out}."
                if saved
                else ""
            )
            raise TrainingDiverged(f"{e}{kept}") from None
        finally:
            view.close()
    seconds = time.perf_counter() - start
    history.settings.update(settings)
    finish(out, net, history)
    _summary(args, settings, history, seconds, out)
    return 0


def _lost(close, resume_with: str):
    """What the survivor that reports a lost rank says (after closing the progress bar)."""

    def say(error):
        close()
        print(f"chainrule: error: {error}; {resume_with}.", file=sys.stderr)

    return say


def _resume_with(comm, out) -> str:
    launcher = "" if comm is None else f"mpiexec -n {comm.Get_size()} "
    return f"resume with `{launcher}chainrule train --resume {out}`"


def _folder(text: str, flag: str) -> Path:
    """A run folder named by ``--out`` or ``--resume``: not empty, not an existing file."""
    if not text.strip():
        raise InputError(f"{flag} needs a folder name, got an empty one.")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path} is a file; a run folder must be a folder (or new).")
    return path


def _announce(net, settings, data, resume, comm=None) -> str:
    where = f"; resuming at step {resume[0].batch} of epoch {resume[0].epoch}" if resume else ""
    if comm is not None:
        where += f"; on {comm.Get_size()} MPI ranks"
    return (
        f"{net} on {settings['dataset']}: {len(data.X_train)} training, {len(data.X_test)} "
        f"test samples; {_count(settings['epochs'], 'epoch')}, "
        f"batch {settings['batch_size'] or 'all'}, lr {settings['lr']}, l2 {settings['l2']}, "
        f"{settings['backprop']} backprop{where}"
    )


def _count(n: int, noun: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(args, settings, history, seconds, out) -> None:
    best = history.best()
    best_epoch = history.column("test_accuracy").index(best) + 1
    summary = {
        "summary": True,
        "dataset": settings["dataset"],
        "epochs": len(history.epochs),
        "best_test_accuracy": best,
        "best_epoch": best_epoch,
        "final_test_accuracy": history.epochs[-1].test_accuracy,
        "training_seconds": sum(history.column("epoch_seconds")),
        "total_seconds": seconds,
        "out": str(out),
    }
    if args.json:
        print(json.dumps(_finite(summary)), flush=True)
    else:
        print(
            f"best test accuracy {best:.2%} (epoch {best_epoch}); "
            f"{summary['training_seconds']:.1f}s training, {seconds:.1f}s in all; "
            f"model, history and plot in {out}/"
        )


def _settings(args) -> dict:
    """A run's settings: the dataset's defaults, overridden by the flags given."""
    settings = {**TRAIN_DEFAULTS[args.dataset]}
    settings.update({k: v for k, v in vars(args).items() if k in settings and v is not None})
    if settings["batch_size"] == 0:
        settings["batch_size"] = None  # full-batch descent
    if args.optimizer != "sgd" and args.engine not in engines_taking("optimizer"):
        engines = " or ".join(engines_taking("optimizer"))
        raise InputError(f"--optimizer adam needs --engine {engines} (the others are plain SGD).")
    if args.backprop != "matrix" and args.engine not in engines_taking("form"):
        engines = " or ".join(engines_taking("form"))
        raise InputError(f"--backprop per-sample needs --engine {engines} (the book's loop).")
    settings.update(
        dataset=args.dataset,
        engine=args.engine,
        optimizer=args.optimizer,
        l2=args.l2,
        seed=args.seed,
        dtype=args.dtype,
        backprop=args.backprop,
        data_dir=args.data_dir,
    )
    return settings


class _View:
    """What the user sees: a progress bar within each epoch (when stderr is a terminal), then a
    line (or JSON) per epoch."""

    def __init__(self, as_json: bool, epochs: int):
        self.as_json, self.epochs, self.bar = as_json, epochs, None

    def progress(self, done, total):
        if self.bar is None:
            self.bar = tqdm(
                total=total, unit="batch", leave=False, file=sys.stderr, desc="epoch",
                disable=not sys.stderr.isatty(),  # a bar only on a terminal, not in a log
            )  # fmt: skip
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def epoch(self, e):
        self.close()
        if self.as_json:
            record = {
                "epoch": e.epoch,
                "cost": e.cost,
                "train_accuracy": e.train_accuracy,
                "test_cost": e.test_cost,
                "test_accuracy": e.test_accuracy,
                "epoch_seconds": e.epoch_seconds,
                "grad_norms": e.grad_norms,
            }
            print(json.dumps(_finite(record)), flush=True)
        else:
            print(
                f"epoch {e.epoch:3d}/{self.epochs}  cost {e.cost:.4f}  "
                f"train {e.train_accuracy:7.2%}  test {e.test_accuracy:7.2%}  "
                f"{e.epoch_seconds:.2f}s",
                flush=True,
            )


def _finite(record: dict) -> dict:
    """NaN and infinity are not JSON: a diverged epoch's cost is written as null."""

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return [clean(x) for x in v] if isinstance(v, list) else v

    return {k: clean(v) for k, v in record.items()}


def add_parser(commands, common) -> None:
    """Register ``train`` on the main parser's subparsers."""
    tr = commands.add_parser(
        "train", parents=[common], help="train a network on a data set (any engine)"
    )
    tr.add_argument(
        "dataset", nargs="?", default="digits", choices=sorted(TRAIN_DEFAULTS),
        help="data set (default digits: bundled, no download)",
    )  # fmt: skip
    tr.add_argument("--layers", type=positive_int, nargs="+", help="layer sizes, e.g. 784 30 10")
    tr.add_argument(
        "--activation", choices=sorted(LAYER_ACTIVATIONS), help="hidden-layer activation"
    )
    tr.add_argument("--cost", choices=sorted(COSTS), help="log_likelihood: a softmax output")
    tr.add_argument(
        "--init",
        choices=inits(),
        help="normal: N(0,1); scaled: N(0,1/n_in); xavier, he: tensor engine",
    )
    tr.add_argument("--epochs", type=positive_int)
    tr.add_argument(
        "--batch-size", type=natural_int, help="mini-batch size; 1 = stochastic, 0 = full batch"
    )
    tr.add_argument("--lr", type=positive_float, help="learning rate")
    tr.add_argument("--l2", type=natural_float, default=0.0, help="L2 regularization strength")
    tr.add_argument("--seed", type=natural_int, default=1, help="seed (default 1)")
    tr.add_argument("--dtype", choices=DTYPES, default=DEFAULT_DTYPE, help="default float32")
    tr.add_argument("--backprop", choices=BACKPROP, default="matrix", help="network engine only")
    tr.add_argument(
        "--engine", choices=list(ENGINES), default=DEFAULT_ENGINE, help=engine_help(),
    )  # fmt: skip
    tr.add_argument(
        "--optimizer", choices=OPTIMIZERS, default="sgd",
        help="adam needs --engine tensor (then --lr is Adam's rate)",
    )  # fmt: skip
    tr.add_argument("--data-dir", help="data root (default $CHAINRULE_DATA or a user cache)")
    tr.add_argument("--out", help="run folder (default runs/DATASET)")
    tr.add_argument("--json", action="store_true", help="one JSON object per epoch, then a summary")
    tr.add_argument(
        "--checkpoint-every", type=positive_int, metavar="N",
        help="save a checkpoint every N mini-batches (and after each epoch); kept on --resume",
    )  # fmt: skip
    tr.add_argument(
        "--resume", metavar="RUN_DIR",
        help="continue the run saved in RUN_DIR; it ends as if never interrupted",
    )  # fmt: skip
    tr.set_defaults(run=run)
