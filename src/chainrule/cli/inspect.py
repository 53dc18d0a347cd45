"""``chainrule check`` and ``chainrule explain``: a model's gradients against finite differences,
and the chain rule for one weight written out with its numbers.

Both read a run folder (``chainrule train --out RUN_DIR``: its ``model.npz``, and its data set
from ``history.json``) or a model file, or build a fresh model from the model options.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from chainrule.check import as_float64, gradcheck
from chainrule.cli.common import (
    dataset,
    finite_float,
    fresh_model,
    load_model,
    model_options,
    natural_int,
    positive_float,
    positive_int,
    run_settings,
)
from chainrule.errors import InputError
from chainrule.explain import explain
from chainrule.files import atomic_write
from chainrule.models.registry import build, engine_of, explainer

SCALAR_CHECK_SAMPLE = 10  # a scalar engine builds one graph of numbers per nudge: check a sample


# ---------------------------------------------------------------------------------- check
def check(args) -> int:
    """Exit 0 when every group passes, 1 when one fails."""
    if args.model:
        model = load_model(args.model)
        name = args.dataset or run_settings(args.model).get("dataset")
        data = dataset(name, model.sizes, args.data_dir)
    else:
        data = dataset(args.dataset or "digits", [None], args.data_dir)
        model = fresh_model(args, data, [16])
    if model.sizes[0] != data.n_features:
        raise InputError(
            f"the model takes {model.sizes[0]} inputs but {data.name} has {data.n_features} "
            "features; give --layers starting with it (or another --dataset)."
        )
    if not args.float32:
        model = as_float64(model)
    max_params = args.max_params
    if max_params is None and engine_of(model).scalar:
        max_params = SCALAR_CHECK_SAMPLE
    X = np.asarray(data.X_train[: args.samples], dtype=np.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = gradcheck(model, X, data.y_train[: args.samples], args.eps, args.tol, max_params)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(result)
    if args.out:
        print(f"table written to {atomic_write(args.out, str(result) + chr(10))}")
    return 0 if result.passed else 1


def _add_check(commands, common) -> None:
    p = commands.add_parser(
        "check",
        parents=[common],
        help="check a model's gradients against central finite differences",
        description="Check every gradient of a model (a fresh one, or MODEL: a run folder or "
        "model file) against central finite differences on a few training samples, in float64; "
        "exit status 1 if a group fails.",
    )
    p.add_argument("model", nargs="?", metavar="MODEL", help="run folder or model.npz")
    p.add_argument("--dataset", help="data set for the samples (default: the run's, else digits)")
    model_options(p, "sigmoid", "quadratic", "scaled")
    p.add_argument("--samples", type=positive_int, default=8, help="samples in the batch (8)")
    p.add_argument("--max-params", type=positive_int, help="check a random sample per group")
    p.add_argument("--eps", type=positive_float, help="finite-difference step (1e-6 in float64)")
    p.add_argument("--tol", type=positive_float, help="largest relative error that passes (1e-6)")
    p.add_argument(
        "--float32", action="store_true", help="check in the model's float32 (loose: ~1e-2)"
    )
    p.add_argument("--out", help="also write the table to this file")
    p.set_defaults(run=check)


# ---------------------------------------------------------------------------------- explain
def explain_command(args) -> int:
    """Write out the chain rule for ``PARAM`` on one sample; exit 0."""
    net, x, y = _explained_sample(args)
    result = explain(net, x, y, args.param)
    fmt = args.format or {".md": "markdown", ".html": "html"}.get(
        Path(args.out or "").suffix, "text"
    )
    text = {"text": result.text, "markdown": result.markdown, "html": result.html}[fmt]()
    if args.out:
        print(result.text(), end="")
        print(f"\n{fmt} written to {atomic_write(args.out, text)}")
    else:
        print(text, end="")
    return 0


def _explained_sample(args):
    """``(model, x, y)``: a sample given by hand (``--input``/``--target``), or one of a data
    set's; the model loaded (``--model``) or fresh."""
    net = load_model(args.model) if args.model else None
    if args.input is not None:
        x = np.array(args.input, dtype=np.float64)
        target = args.target if args.target is not None else [0.0]
        if net is None:
            layers = args.layers or [len(x), 1, len(target)]
            net = build(
                explainer(), layers, args.activation, args.cost, args.init, "float64", args.seed
            )
        if len(x) != net.sizes[0]:
            raise InputError(f"--input has {len(x)} numbers but the network takes {net.sizes[0]}.")
        if len(target) == 1 and net.sizes[-1] > 1:
            label = target[0]
            if label != int(label) or not 0 <= label < net.sizes[-1]:
                raise InputError(
                    f"--target {label:g} is not a class of the network's {net.sizes[-1]} "
                    f"outputs; give a label 0 to {net.sizes[-1] - 1} or {net.sizes[-1]} numbers."
                )
            return net, x, int(label)
        if len(target) != net.sizes[-1]:
            raise InputError(
                f"--target has {len(target)} numbers but the network has {net.sizes[-1]} outputs."
            )
        return net, x, np.array(target)
    if args.target is not None:
        raise InputError("--target goes with --input (a sample given by hand).")
    name = args.dataset or (run_settings(args.model).get("dataset") if args.model else "moons")
    data = dataset(name, net.sizes if net else [None], args.data_dir)
    if net is None:
        net = fresh_model(args, data, [3])
    X, labels = (data.X_test, data.y_test) if args.split == "test" else (data.X_train, data.y_train)
    if not 0 <= args.sample < len(X):
        raise InputError(f"--sample must be 0 to {len(X) - 1} for the {args.split} split.")
    return net, X[args.sample], int(labels[args.sample])


def _add_explain(commands, common) -> None:
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
    p.add_argument("--sample", type=natural_int, default=0, help="which sample (default 0)")
    p.add_argument(
        "--split", choices=["train", "test"], default="train",
        help="which part of the data set --sample counts in (default train)",
    )  # fmt: skip
    p.add_argument(
        "--input", type=finite_float, nargs="+", metavar="X", help="a sample given by hand"
    )
    p.add_argument(
        "--target", type=finite_float, nargs="+", metavar="Y", help="its target (label or vector)"
    )
    model_options(p, "sigmoid", "quadratic", "scaled")  # scaled: as train and the playground
    p.add_argument("--format", choices=["text", "markdown", "html"])
    p.add_argument("--out", help="also write it to this file (.md, .html or text)")
    p.set_defaults(run=explain_command)


def add_parsers(commands, common) -> None:
    """Register ``check`` and ``explain``."""
    _add_check(commands, common)
    _add_explain(commands, common)
