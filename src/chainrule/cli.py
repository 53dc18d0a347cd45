"""The ``chainrule`` command."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

from chainrule.errors import ChainruleError


def _demo(args) -> int:
    from tqdm import tqdm

    from chainrule.scalar.demo import train_moons
    from chainrule.scalar.engine import Value
    from chainrule.viz.graph import GraphvizMissing, render

    bar = tqdm(total=args.steps, desc="moons MLP(2, [16, 16, 1])", unit="step", file=sys.stderr)

    def show(k, loss, accuracy):
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}")
        if (k + 1) % 10 == 0 or k == 0:
            tqdm.write(f"step {k + 1:3d}  loss {loss:.4f}  accuracy {accuracy:.0%}")

    model, history = train_moons(steps=args.steps, seed=args.seed, callback=show)
    bar.close()
    loss, accuracy = history[-1]
    print(f"done: {args.steps} steps, loss {loss:.4f}, training accuracy {accuracy:.0%}")

    # The graph of one neuron of the trained net, on one input, with its gradients filled in.
    neuron = model.layers[0].neurons[0]
    for i, w in enumerate(neuron.w):
        w.label = f"w{i + 1}"
    neuron.b.label = "b"
    x = [Value(0.5, label="x1"), Value(-0.25, label="x2")]
    out = neuron(x)
    out.label = "out"
    model.zero_grad()
    out.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GraphvizMissing)
        path = render(out, Path(args.out) / "neuron.svg")
    print(f"graph of one neuron written to {path}")
    for w in caught:
        print(str(w.message))
    return 0


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


def _train(args) -> int:
    import signal

    import numpy as np

    from chainrule.data import load
    from chainrule.runs import Checkpoint, build_model, finish, load_checkpoint
    from chainrule.train import TrainingDiverged, TrainingInterrupted, train

    if args.resume:  # everything comes from the checkpoint; other flags describe output only
        out = Path(args.resume)
        settings, net, position, history = load_checkpoint(out)
        resume = (position, history)
    else:
        settings = _settings(args)
        out = Path(args.out or f"runs/{args.dataset}")
        net, resume = build_model(settings), None
    data = load(
        settings["dataset"], data_dir=settings["data_dir"], dtype=np.dtype(settings["dtype"])
    )
    checkpoint = Checkpoint(out, net, settings, args.checkpoint_every)
    view = _View(args.json, settings["epochs"])
    if not args.json:
        print(
            f"{net} on {settings['dataset']}: {len(data.X_train)} training, "
            f"{len(data.X_test)} test samples; {settings['epochs']} epochs, batch "
            f"{settings['batch_size'] or 'all'}, lr {settings['lr']}, l2 {settings['l2']}, "
            f"{settings['backprop']} backprop"
            + (f"; resuming at step {resume[0].batch} of epoch {resume[0].epoch}" if resume else "")
        )

    interrupted = []  # Ctrl-C asks the loop to stop at the next step boundary, after a save
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    start = time.perf_counter()
    try:
        history = train(
            net,
            data.X_train,
            data.y_train,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            lr=settings["lr"],
            l2=settings["l2"],
            test=(data.X_test, data.y_test),
            seed=settings["seed"],
            backprop=settings["backprop"],
            callbacks=[view.epoch],
            progress=None if args.json else view.progress,
            checkpoint=checkpoint,
            resume=resume,
            stop=lambda: bool(interrupted),
        )
    except TrainingInterrupted as stop:
        view.close()
        print(
            f"chainrule: interrupted, {stop}; a checkpoint is saved: resume with "
            f"`chainrule train --resume {out}`.",
            file=sys.stderr,
        )
        return 130
    except TrainingDiverged as e:
        view.close()
        kept = (
            f" The last good checkpoint (epoch {checkpoint.saved.epoch}, step "
            f"{checkpoint.saved.batch}) is in {out}."
            if checkpoint.saved
            else ""
        )
        raise TrainingDiverged(f"{e}{kept}") from None
    finally:
        view.close()
        signal.signal(signal.SIGINT, previous)
    seconds = time.perf_counter() - start
    history.settings.update(settings)
    finish(out, net, history)
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
    return 0


def _settings(args) -> dict:
    """A run's settings: the dataset's defaults, overridden by the flags given."""
    from chainrule.errors import InputError

    settings = {**TRAIN_DEFAULTS[args.dataset]}
    settings.update({k: v for k, v in vars(args).items() if k in settings and v is not None})
    if settings["batch_size"] == 0:
        settings["batch_size"] = None  # full-batch descent
    if args.optimizer != "sgd" and args.engine != "tensor":
        raise InputError("--optimizer adam needs --engine tensor (the others are plain SGD).")
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
    """What the user sees: a progress bar within each epoch, then a line (or JSON) per epoch."""

    def __init__(self, as_json: bool, epochs: int):
        self.as_json, self.epochs, self.bar = as_json, epochs, None

    def progress(self, done, total):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="batch", leave=False, file=sys.stderr, desc="epoch")
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


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Backpropagation you can see, check and run fast."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # --debug is accepted after the command too (without resetting one given before it).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors"
    )

    tr = commands.add_parser(
        "train", parents=[common], help="train a network on a dataset (Network or Tensor engine)"
    )
    tr.add_argument(
        "dataset",
        nargs="?",
        default="digits",
        choices=sorted(TRAIN_DEFAULTS),
        help="dataset (default digits: bundled, no download)",
    )
    tr.add_argument("--layers", type=positive_int, nargs="+", help="layer sizes, e.g. 784 30 10")
    tr.add_argument("--activation", help="sigmoid, tanh, relu, leaky_relu, ...")
    tr.add_argument("--cost", help="quadratic, cross_entropy or log_likelihood (softmax output)")
    tr.add_argument("--init", help="normal: N(0,1); scaled: N(0,1/n_in)")
    tr.add_argument("--epochs", type=positive_int)
    tr.add_argument("--batch-size", type=int, help="mini-batch size; 1 = stochastic, 0 = full")
    tr.add_argument("--lr", type=float, help="learning rate eta")
    tr.add_argument("--l2", type=float, default=0.0, help="L2 regularization lambda")
    tr.add_argument("--seed", type=int, default=1)
    tr.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    tr.add_argument("--backprop", choices=["matrix", "per-sample"], default="matrix")
    tr.add_argument(
        "--engine",
        choices=["network", "tensor", "value"],
        default="network",
        help="network: the four equations by hand; tensor: Tensor autograd; value: the scalar "
        "engine (small data only)",
    )
    tr.add_argument(
        "--optimizer",
        choices=["sgd", "adam"],
        default="sgd",
        help="adam needs --engine tensor (then --lr is Adam's rate)",
    )
    tr.add_argument("--data-dir", help="data root (default $CHAINRULE_DATA or a user cache)")
    tr.add_argument("--out", help="run folder (default runs/DATASET)")
    tr.add_argument("--json", action="store_true", help="one JSON object per epoch, then a summary")
    tr.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="N",
        help="save a checkpoint every N mini-batches (and after each epoch)",
    )
    tr.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue the run saved in RUN_DIR; it ends as if never interrupted",
    )
    tr.set_defaults(run=_train)

    from chainrule.cli_tools import add_commands

    add_commands(commands, common)  # check, explain, plot, graph

    demo = commands.add_parser(
        "demo", parents=[common], help="train the micrograd demo MLP on moons (scalar engine)"
    )
    demo.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default 100)"
    )
    demo.add_argument("--seed", type=int, default=1337, help="seed for the weights")
    demo.add_argument("--out", default="runs/demo", help="folder for the neuron graph")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ChainruleError as e:
        if getattr(args, "debug", False):
            raise
        print(f"chainrule: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
