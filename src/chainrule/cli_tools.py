"""The ``chainrule`` commands that check and show backprop: ``check``, ``explain``, ``plot`` and
``graph``. ``add_commands(commands, common)`` registers them on the main parser's subparsers;
each sets ``run=function(args) -> exit status`` and raises ``ChainruleError`` for bad input.

A run folder (``chainrule train --out RUN_DIR``) holds ``history.json``, ``model.npz`` and
``history.png``; ``check``, ``explain`` and ``plot`` read it where a command needs a trained
model or its history.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

from chainrule.cli import positive_int
from chainrule.errors import InputError

SQUARE_DATASETS = {64: "digits", 784: "mnist", 2: "moons"}  # input width -> data set


# ---------------------------------------------------------------------------------- run folders
def read_history(path: str | Path):
    """A ``History`` from a run's ``history.json`` (JSON null, a diverged cost, becomes NaN)."""
    from chainrule.train import Epoch, History

    path = Path(path)
    try:
        saved = json.loads(path.read_text())
        nan = float("nan")
        epochs = [
            Epoch(**{k: (nan if v is None and k == "cost" else v) for k, v in e.items()})
            for e in saved["epochs"]
        ]
        return History(saved["settings"], epochs)
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist; give a run folder written by `chainrule train --out DIR`."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path} is not a chainrule history ({e}).") from None


def load_model(where: str | Path):
    """The model in a run folder (its ``model.npz``) or in a model file."""
    from chainrule.io import load

    where = Path(where)
    path = where / "model.npz" if where.is_dir() else where
    if not path.is_file():
        raise InputError(
            f"{path} does not exist; give a run folder written by `chainrule train --out DIR` "
            "or a model file."
        )
    return load(path)


def _run_settings(where: str | Path) -> dict:
    """The settings a run folder's history recorded ({} for a bare model file)."""
    where = Path(where)
    if where.is_dir() and (where / "history.json").is_file():
        return read_history(where / "history.json").settings
    return {}


def _dataset(name: str | None, sizes, data_dir=None):
    """The data set ``name``, or the one whose input width matches ``sizes[0]``."""
    from chainrule.data import load

    if name is None:
        name = SQUARE_DATASETS.get(sizes[0])
        if name is None:
            raise InputError(
                f"no data set has {sizes[0]} inputs; give one with --dataset or use --input."
            )
    return load(name, data_dir=data_dir)


def _network(args, data, default_hidden):
    """A fresh model from ``--engine --layers --activation --cost --init --dtype --seed``."""
    import numpy as np

    from chainrule.network import Network

    layers = args.layers or [data.n_features, *default_hidden, data.n_classes]
    engine = getattr(args, "engine", "network")
    if engine == "network":
        kind = Network
    elif engine == "tensor":
        from chainrule.tensor.trainable import TensorNetwork as kind
    else:
        from chainrule.scalar.trainable import ValueNetwork as kind
    return kind(layers, args.activation, args.cost, args.init, np.dtype(args.dtype), seed=args.seed)


def _model_options(p, activation, cost, init, dtype="float64"):
    p.add_argument("--layers", type=positive_int, nargs="+", help="layer sizes, e.g. 64 30 10")
    p.add_argument("--activation", default=activation, help=f"default {activation}")
    p.add_argument("--cost", default=cost, help=f"default {cost}")
    p.add_argument("--init", default=init, choices=["normal", "scaled"], help=f"default {init}")
    p.add_argument("--dtype", default=dtype, choices=["float32", "float64"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", help="data root (default $CHAINRULE_DATA or a user cache)")


# ---------------------------------------------------------------------------------- check
def _check(args) -> int:
    import numpy as np

    from chainrule.check import as_float64, gradcheck

    if args.model:
        model = load_model(args.model)
        name = args.dataset or _run_settings(args.model).get("dataset")
        data = _dataset(name, model.sizes, args.data_dir)
        if args.dtype == "float64":
            model = as_float64(model)
    else:
        data = _dataset(args.dataset or "digits", [None], args.data_dir)
        model = _network(args, data, [16])
    max_params = args.max_params
    if max_params is None and type(model).__name__ == "ValueNetwork":
        max_params = 10  # one graph of scalars per nudge: keep it to a sample
    X = np.asarray(data.X_train[: args.samples], dtype=np.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = gradcheck(model, X, data.y_train[: args.samples], args.eps, args.tol, max_params)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(result)
    if args.out:
        from chainrule.io import atomic_write

        print(f"table written to {atomic_write(args.out, str(result) + chr(10))}")
    return 0 if result.passed else 1


def _add_check(commands, common):
    p = commands.add_parser(
        "check",
        parents=[common],
        help="check a model's gradients against central finite differences",
        description="Check every gradient of a model (a fresh one, or MODEL: a run folder or "
        "model file) against central finite differences on a few training samples; exit "
        "status 1 if a group fails.",
    )
    p.add_argument("model", nargs="?", metavar="MODEL", help="run folder or model.npz")
    p.add_argument("--engine", choices=["network", "tensor", "value"], default="network")
    p.add_argument("--dataset", help="data set for the samples (default: the run's, else digits)")
    _model_options(p, "sigmoid", "quadratic", "scaled")
    p.add_argument("--samples", type=positive_int, default=8, help="samples in the batch (8)")
    p.add_argument("--max-params", type=positive_int, help="check a random sample per group")
    p.add_argument("--eps", type=float, help="finite-difference step (1e-6 in float64)")
    p.add_argument("--tol", type=float, help="largest relative error that passes (1e-6)")
    p.add_argument("--out", help="also write the table to this file")
    p.set_defaults(run=_check)


# ---------------------------------------------------------------------------------- explain
def _explain(args) -> int:
    import numpy as np

    from chainrule.explain import explain

    if args.model:
        net = load_model(args.model)
    if args.input is not None:
        x = np.array(args.input, dtype=np.float64)
        target = args.target if args.target is not None else [0.0]
        if not args.model:
            args.layers = args.layers or [len(x), 1, len(target)]
            from chainrule.network import Network

            net = Network(args.layers, args.activation, args.cost, args.init, np.float64, args.seed)
        y = int(target[0]) if len(target) == 1 and net.sizes[-1] > 1 else np.array(target)
    else:
        if args.target is not None:
            raise InputError("--target goes with --input (a sample given by hand).")
        name = args.dataset or (_run_settings(args.model).get("dataset") if args.model else "moons")
        data = _dataset(name, net.sizes if args.model else [None], args.data_dir)
        if not args.model:
            net = _network(args, data, [3])
        X, labels = (
            (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
        )
        if not 0 <= args.sample < len(X):
            raise InputError(f"--sample must be 0 to {len(X) - 1} for the {args.split} split.")
        x, y = X[args.sample], int(labels[args.sample])
    result = explain(net, x, y, args.param)
    fmt = args.format or {".md": "markdown", ".html": "html"}.get(
        Path(args.out or "").suffix, "text"
    )
    text = {"text": result.text, "markdown": result.markdown, "html": result.html}[fmt]()
    if args.out:
        from chainrule.io import atomic_write

        print(result.text(), end="")
        print(f"\n{fmt} written to {atomic_write(args.out, text)}")
    else:
        print(text, end="")
    return 0


def _add_explain(commands, common):
    p = commands.add_parser(
        "explain",
        parents=[common],
        help="the chain rule for one weight or bias, with the numbers of one sample",
        description="Write out dC/dw for one weight or bias (W2[0,1], b1[2], ...) on one "
        "sample: the factors of the chain rule, the paths delta takes back through the layers, "
        "the product, and the finite difference beside it.",
    )
    p.add_argument("param", metavar="PARAM", help="e.g. W2[0,1] (row j, column k) or b1[2]")
    p.add_argument("--model", help="run folder or model.npz (default: a fresh small network)")
    p.add_argument("--dataset", help="data set of the sample (default: the run's, else moons)")
    p.add_argument("--sample", type=int, default=0, help="which sample (default 0)")
    p.add_argument("--split", choices=["train", "test"], default="train")
    p.add_argument("--input", type=float, nargs="+", metavar="X", help="a sample given by hand")
    p.add_argument(
        "--target", type=float, nargs="+", metavar="Y", help="its target (a label or a vector)"
    )
    _model_options(p, "sigmoid", "quadratic", "normal")
    p.add_argument("--format", choices=["text", "markdown", "html"])
    p.add_argument("--out", help="also write it to this file (.md, .html or text)")
    p.set_defaults(run=_explain)


# ---------------------------------------------------------------------------------- plot
def _fresh_data(args):
    data = _dataset(args.dataset, [None], args.data_dir)
    n = args.train_samples or len(data.X_train)
    return data, data.X_train[:n], data.y_train[:n]


def _plot_history(args) -> int:
    from chainrule.viz.plots import plot_history

    history = read_history(Path(args.run_dir) / "history.json")
    path = plot_history(history, args.out or Path(args.run_dir) / "history.png")
    print(f"cost and accuracy per epoch ({len(history.epochs)} epochs) written to {path}")
    return 0


def _plot_sweep(args) -> int:
    from chainrule.viz.sweeps import learning_rate_sweep, plot_sweep

    data, X, y = _fresh_data(args)
    sweep = learning_rate_sweep(
        lambda: _network(args, data, [30]), X, y, args.rates, args.epochs, args.batch_size or None
    )
    path = plot_sweep(sweep, args.out)
    for rate in sweep.rates:
        costs = sweep.costs[rate]
        end = f"diverged in epoch {sweep.diverged[rate]}" if rate in sweep.diverged else (
            f"cost {costs[0]:.4f} -> {costs[-1]:.4f}"
        )  # fmt: skip
        print(f"eta = {rate:<8g} {end}")
    diverged = ", ".join(f"{r:g}" for r in sweep.diverged) or "none"
    print(f"learning-rate sweep written to {path}; diverged: {diverged}")
    return 0


def _plot_gradnorms(args) -> int:
    from chainrule.train import train
    from chainrule.viz.plots import plot_grad_norms

    if args.run_dir:
        history = read_history(Path(args.run_dir) / "history.json")
        out = args.out or Path(args.run_dir) / "gradnorms.png"
    else:
        data, X, y = _fresh_data(args)
        net = _network(args, data, [30, 30, 30])
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
    from chainrule.viz.plots import plot_weights

    net = load_model(args.run_dir)
    path = plot_weights(net, args.out or Path(args.run_dir) / "weights.png", args.max)
    print(f"first-layer weights ({net.sizes[1]} hidden neurons) written to {path}")
    return 0


def _plot_misclassified(args) -> int:
    from chainrule.viz.plots import plot_misclassified

    net = load_model(args.run_dir)
    settings = _run_settings(args.run_dir)
    data = _dataset(args.dataset or settings.get("dataset"), net.sizes, args.data_dir)
    X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    out = args.out or Path(args.run_dir) / "misclassified.png"
    path = plot_misclassified(net, X, y, out, args.max)
    wrong = int((net.predict(X) != y).sum())
    print(f"{wrong} of {len(y)} {args.split} samples misclassified; grid written to {path}")
    return 0


def _plot_descent(args) -> int:
    from chainrule.viz.sweeps import compare_descent, plot_descent

    data, X, y = _fresh_data(args)
    runs = compare_descent(
        lambda: _network(args, data, [30]),
        X,
        y,
        (None, args.batch_size, 1),
        args.epochs,
        args.lr,
        args.seed,
    )
    path = plot_descent(runs, args.out)
    for run in runs:
        cost = run.costs[-1]
        shown = f"{cost:.4f}" if math.isfinite(cost) else "diverged"
        print(
            f"{run.name:<26} cost {shown} after {run.examples[-1]} examples, {run.seconds[-1]:.3f}s"
        )
    print(f"batch vs mini-batch vs stochastic descent written to {path}")
    return 0


def _add_plot(commands, common):
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

    def fresh(k, dataset, activation, cost, init, epochs, lr, batch_size, out):
        k.add_argument("--dataset", default=dataset, help=f"default {dataset}")
        _model_options(k, activation, cost, init, dtype="float32")
        k.add_argument("--epochs", type=positive_int, default=epochs, help=f"default {epochs}")
        if lr is not None:
            k.add_argument("--lr", type=float, default=lr, help=f"default {lr}")
        k.add_argument("--batch-size", type=int, default=batch_size, help="0 = full batch")
        k.add_argument("--train-samples", type=positive_int, help="use only the first N samples")
        k.add_argument("--out", default=out, help=f"default {out}")

    k = kind("history", "cost and accuracy per epoch, train and test", _plot_history)
    k.add_argument("--out", help="default RUN_DIR/history.png")

    k = kind("sweep", "several learning rates on one figure", _plot_sweep, run_dir=None)
    fresh(k, "digits", "leaky_relu", "quadratic", "scaled", 10, None, 10, "plots/sweep.png")
    k.add_argument(
        "--rates", type=float, nargs="+", default=[0.003, 0.03, 0.3, 3.0], help="the rates"
    )

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
    from chainrule.viz.animate import backward_frames, example, save_gif, save_html

    root = example(args.example)
    out = Path(args.out)
    frames = len(backward_frames(root)[1])
    gif = save_gif(root, out / "backward.gif", args.seconds_per_frame)
    page = save_html(root, out / "backward.html", use_dot=False if args.no_dot else None)
    print(f"the backward pass of the {args.example} example in {frames} frames: {gif} and {page}")
    return 0


def _add_graph(commands, common):
    from chainrule.viz.animate import EXAMPLES

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
    p.add_argument("--seconds-per-frame", type=float, default=1.2)
    p.add_argument("--no-dot", action="store_true", help="draw the HTML frames with matplotlib")
    p.set_defaults(run=_graph)


def add_commands(commands, common) -> None:
    """Register ``check``, ``explain``, ``plot`` and ``graph`` on ``commands`` (the main parser's
    subparsers); ``common`` is the parent parser every command shares (``--debug``)."""
    _add_check(commands, common)
    _add_explain(commands, common)
    _add_plot(commands, common)
    _add_graph(commands, common)
