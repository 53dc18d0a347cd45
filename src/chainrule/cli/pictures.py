"""``chainrule plot KIND`` and ``chainrule graph``: pictures of training runs and of a backward
pass. ``plot history|weights|misclassified`` read a finished run folder; ``plot sweep|descent``
(and ``gradnorms`` without a run folder) run fresh experiments (chainrule.experiments).
"""

from __future__ import annotations

import math
from pathlib import Path

from chainrule.cli.common import (
    dataset,
    fresh_model,
    load_model,
    model_options,
    natural_int,
    positive_float,
    positive_int,
    run_settings,
)
from chainrule.errors import InputError
from chainrule.experiments import compare_descent, learning_rate_sweep
from chainrule.runs import HISTORY, read_history
from chainrule.train import check_data, train
from chainrule.viz.animate import EXAMPLES, backward_frames, example, save_gif, save_html
from chainrule.viz.plots import plot_grad_norms, plot_history, plot_misclassified, plot_weights
from chainrule.viz.sweeps import plot_descent, plot_sweep

MAX_SECONDS_PER_FRAME = 60.0


def _fresh_data(args):
    data = dataset(args.dataset, [None], args.data_dir, args.dtype)
    n = args.train_samples or len(data.X_train)
    return data, data.X_train[:n], data.y_train[:n]


def _fitting(args, data, X, y, hidden):
    """A factory of fresh models for ``data`` (``--layers`` or the data set's widths around
    ``hidden``), its first model checked against the data before any training starts."""

    def make():
        return fresh_model(args, data, hidden)

    check_data(make(), X, y)
    return make


def _history(args):
    return read_history(Path(args.run_dir) / HISTORY)


def _plot_history(args) -> int:
    history = _history(args)
    path = plot_history(history, args.out or Path(args.run_dir) / "history.png")
    print(f"cost and accuracy per epoch ({len(history.epochs)} epochs) written to {path}")
    return 0


def _plot_sweep(args) -> int:
    data, X, y = _fresh_data(args)
    sweep = learning_rate_sweep(
        _fitting(args, data, X, y, [30]), X, y, args.rates, args.epochs,
        args.batch_size or None,
    )  # fmt: skip
    path = plot_sweep(sweep, args.out)
    for rate in sweep.rates:
        costs = sweep.costs[rate]
        end = f"diverged in epoch {sweep.diverged[rate]}" if rate in sweep.diverged else (
            f"cost {costs[0]:.4f} -> {costs[-1]:.4f}"
        )  # fmt: skip
        print(f"lr = {rate:<8g} {end}")
    diverged = ", ".join(f"{r:g}" for r in sweep.diverged) or "none"
    print(f"learning-rate sweep written to {path}; diverged: {diverged}")
    return 0


def _plot_gradnorms(args) -> int:
    if args.run_dir:
        history = _history(args)
        out = args.out or Path(args.run_dir) / "gradnorms.png"
    else:
        data, X, y = _fresh_data(args)
        net = _fitting(args, data, X, y, [30, 30, 30])()
        history = train(net, X, y, args.epochs, args.batch_size or None, args.lr, seed=args.seed)
        out = args.out or "plots/gradnorms.png"
    path = plot_grad_norms(history, out)
    last = history.epochs[-1].grad_norms
    norms = "  ".join(f"W{l}: {v:.3g}" for l, v in enumerate(last, start=1))
    print(f"gradient norm per layer after epoch {history.epochs[-1].epoch}: {norms}")
    if len(last) > 1 and last[-1] > 0:
        print(f"the first layer's gradient is {last[0] / last[-1]:.3g} times the last layer's")
    print(f"gradient norms per layer written to {path}")
    return 0


def _plot_weights(args) -> int:
    net = load_model(args.run_dir)
    path = plot_weights(net, args.out or Path(args.run_dir) / "weights.png", args.max)
    print(f"first-layer weights ({net.sizes[1]} hidden neurons) written to {path}")
    return 0


def _plot_misclassified(args) -> int:
    net = load_model(args.run_dir)
    settings = run_settings(args.run_dir)
    data = dataset(args.dataset or settings.get("dataset"), net.sizes, args.data_dir)
    if net.sizes[0] != data.n_features:
        raise InputError(
            f"the model takes {net.sizes[0]} inputs but {data.name} has {data.n_features}; "
            "give the run's --dataset."
        )
    X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    out = args.out or Path(args.run_dir) / "misclassified.png"
    path = plot_misclassified(net, X, y, out, args.max)
    wrong = int((net.predict(X) != y).sum())
    print(f"{wrong} of {len(y)} {args.split} samples misclassified; grid written to {path}")
    return 0


def _plot_descent(args) -> int:
    data, X, y = _fresh_data(args)
    runs = compare_descent(
        _fitting(args, data, X, y, [30]), X, y, (None, args.batch_size, 1), args.epochs,
        args.lr, args.seed,
    )  # fmt: skip
    path = plot_descent(runs, args.out)
    for r in runs:
        cost = r.costs[-1]
        shown = f"{cost:.4f}" if math.isfinite(cost) else "diverged"
        print(f"{r.name:<26} cost {shown} after {r.examples[-1]} examples, {r.seconds[-1]:.3f}s")
    print(f"batch vs mini-batch vs stochastic descent written to {path}")
    return 0


def _add_plot(commands, common) -> None:
    p = commands.add_parser(
        "plot",
        parents=[common],
        help="pictures of training: history, sweep, gradnorms, weights, misclassified, descent",
        description="Draw one picture as PNG: over a finished run folder (history, weights, "
        "misclassified; gradnorms too) or from fresh runs (sweep, gradnorms, descent).",
    )
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")

    def kind(name, helptext, run, run_dir="required"):
        k = kinds.add_parser(name, parents=[common], help=helptext, description=helptext)
        if run_dir == "required":
            k.add_argument("run_dir", metavar="RUN_DIR", help="a folder from chainrule train")
        elif run_dir == "optional":
            k.add_argument("run_dir", metavar="RUN_DIR", nargs="?", help="(default: a fresh run)")
        k.set_defaults(run=run)
        return k

    def fresh(k, data, activation, cost, init, epochs, lr, batch_size, out):
        k.add_argument("--dataset", default=data, help=f"default {data}")
        model_options(k, activation, cost, init)
        k.add_argument("--epochs", type=positive_int, default=epochs, help=f"default {epochs}")
        if lr is not None:
            k.add_argument("--lr", type=positive_float, default=lr, help=f"default {lr}")
        k.add_argument("--batch-size", type=natural_int, default=batch_size, help="0 = full")
        k.add_argument("--train-samples", type=positive_int, help="use only the first N samples")
        k.add_argument("--out", default=out, help=f"default {out}")

    k = kind("history", "cost and accuracy per epoch, train and test", _plot_history)
    k.add_argument("--out", help="default RUN_DIR/history.png")

    k = kind("sweep", "several learning rates on one figure", _plot_sweep, run_dir=None)
    fresh(k, "digits", "leaky_relu", "quadratic", "scaled", 10, None, 10, "plots/sweep.png")
    k.add_argument(
        "--rates", type=positive_float, nargs="+", default=[0.003, 0.03, 0.3, 3.0],
        help="the learning rates",
    )  # fmt: skip

    k = kind(
        "gradnorms", "gradient norm per layer and epoch (log scale)", _plot_gradnorms, "optional"
    )
    fresh(k, "digits", "sigmoid", "quadratic", "scaled", 10, 0.5, 10, None)

    k = kind("weights", "the first layer's weights as images", _plot_weights)
    k.add_argument("--max", type=positive_int, default=100, help="at most this many neurons")
    k.add_argument("--out", help="default RUN_DIR/weights.png")

    k = kind("misclassified", "a grid of misclassified digits", _plot_misclassified)
    k.add_argument("--split", choices=["train", "test"], default="test")
    k.add_argument("--dataset", help="default: the run's data set")
    k.add_argument("--data-dir")
    k.add_argument("--max", type=positive_int, default=36, help="at most this many images")
    k.add_argument("--out", help="default RUN_DIR/misclassified.png")

    k = kind("descent", "batch vs mini-batch vs stochastic descent", _plot_descent, run_dir=None)
    fresh(k, "digits", "sigmoid", "cross_entropy", "scaled", 3, 0.5, 10, "plots/descent.png")


# ---------------------------------------------------------------------------------- graph
def _graph(args) -> int:
    if args.seconds_per_frame > MAX_SECONDS_PER_FRAME:
        raise InputError(
            f"--seconds-per-frame {args.seconds_per_frame:g} is too long; give at most "
            f"{MAX_SECONDS_PER_FRAME:g}."
        )
    root = example(args.example)
    out = Path(args.out)
    frames = len(backward_frames(root)[1])
    gif = save_gif(root, out / "backward.gif", args.seconds_per_frame)
    page = save_html(root, out / "backward.html", use_dot=False if args.no_dot else None)
    print(f"the backward pass of the {args.example} example in {frames} frames: {gif} and {page}")
    return 0


def _add_graph(commands, common) -> None:
    p = commands.add_parser(
        "graph",
        parents=[common],
        help="a backward pass frame by frame (animated GIF and an HTML page of SVG frames)",
        description="Animate the backward pass of a small Value graph: one frame per node, "
        "outputs first, each gradient filling in as the chain rule reaches it.",
    )
    p.add_argument(
        "example", nargs="?", default="neuron", choices=sorted(EXAMPLES), help="default neuron"
    )
    p.add_argument("--out", default="runs/graph", help="folder (default runs/graph)")
    p.add_argument(
        "--seconds-per-frame", type=positive_float, default=1.2, help="default 1.2 (at most 60)"
    )
    p.add_argument("--no-dot", action="store_true", help="draw the HTML frames with matplotlib")
    p.set_defaults(run=_graph)


def add_parsers(commands, common) -> None:
    """Register ``plot`` and ``graph``."""
    _add_plot(commands, common)
    _add_graph(commands, common)
