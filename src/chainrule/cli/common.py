"""What every ``chainrule`` command shares: argument types, the model options (one set of
choices and one dtype policy for every command), and finding models, runs and data sets.

The dtype policy: a model is built in ``--dtype`` (default float32, fast), the same on every
command; ``check`` and ``explain`` compute their finite differences in float64 whatever the
model's dtype (``check --float32`` checks in the model's own float32, loosely).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from chainrule import functions
from chainrule.data import DATASETS
from chainrule.data import load as load_dataset
from chainrule.errors import InputError
from chainrule.models.registry import DEFAULT_ENGINE, ENGINES, build, inits
from chainrule.models.registry import help_text as engine_help
from chainrule.models.store import load
from chainrule.runs import HISTORY, MODEL, read_history

DTYPES = ("float32", "float64")
DEFAULT_DTYPE = "float32"
INPUT_WIDTHS = {64: "digits", 784: "mnist", 2: "moons"}  # input width -> its data set


# ---------------------------------------------------------------------------------- types
def _number(text: str, kind, low, what: str, strict: bool):
    try:
        value = kind(text)
    except ValueError:
        value = None
    ok = value is not None and math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    return _number(text, int, 0, "a positive whole number", strict=True)


def natural_int(text: str) -> int:
    """An argparse type: a whole number >= 0 (a seed, a sample index, a batch size of 0)."""
    return _number(text, int, 0, "a whole number, 0 or more", strict=False)


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (a learning rate, a step, a tolerance)."""
    return _number(text, float, 0.0, "a positive number", strict=True)


def natural_float(text: str) -> float:
    """An argparse type: a finite number >= 0 (an L2 strength)."""
    return _number(text, float, 0.0, "a number, 0 or more", strict=False)


def finite_float(text: str) -> float:
    """An argparse type: any finite number (an input value, a target)."""
    return _number(text, float, -math.inf, "a finite number", strict=True)


# ---------------------------------------------------------------------------------- options
def model_options(p, activation=None, cost=None, init=None, engine: bool = True) -> None:
    """``--layers --activation --cost --init --dtype --seed [--engine] --data-dir``, the same
    choices everywhere; defaults of None are filled in by the command (per data set)."""
    p.add_argument("--layers", type=positive_int, nargs="+", help="layer sizes, e.g. 64 30 10")
    p.add_argument(
        "--activation", default=activation, choices=sorted(functions.LAYER_ACTIVATIONS),
        help=f"hidden-layer activation (default {activation or 'per data set'})",
    )  # fmt: skip
    p.add_argument(
        "--cost", default=cost, choices=sorted(functions.COSTS),
        help=f"cost; log_likelihood means a softmax output (default {cost or 'per data set'})",
    )  # fmt: skip
    p.add_argument(
        "--init", default=init, choices=inits(),
        help=f"normal: N(0,1); scaled: N(0,1/n_in) (default {init or 'per data set'})",
    )  # fmt: skip
    p.add_argument("--dtype", default=DEFAULT_DTYPE, choices=DTYPES, help="default float32")
    p.add_argument("--seed", type=natural_int, default=1, help="seed of the weights (default 1)")
    if engine:
        p.add_argument(
            "--engine", choices=list(ENGINES), default=DEFAULT_ENGINE, help=engine_help(),
        )  # fmt: skip
    p.add_argument("--data-dir", help="data root (default $CHAINRULE_DATA or a user cache)")


def fresh_model(args, data, hidden):
    """A fresh model from the model options, sized ``[features, *hidden, classes]`` for the
    data unless ``--layers`` says otherwise."""
    layers = args.layers or [data.n_features, *hidden, data.n_classes]
    return build(
        getattr(args, "engine", DEFAULT_ENGINE), layers, args.activation, args.cost, args.init,
        args.dtype, args.seed,
    )  # fmt: skip


# ---------------------------------------------------------------------------------- finding things
def model_path(where: str | Path) -> Path:
    """A run folder's ``model.npz``, or ``where`` itself when it is a model file."""
    where = Path(where)
    path = where / MODEL if where.is_dir() else where
    if not path.is_file():
        raise InputError(
            f"{path} is not a file; give a run folder written by `chainrule train --out DIR` "
            "or a model file."
        )
    return path


def load_model(where: str | Path):
    """The model in a run folder (its ``model.npz``) or in a model file."""
    return load(model_path(where))


def run_settings(where: str | Path | None) -> dict:
    """The settings a run folder's history recorded ({} for a model file or nothing)."""
    if where is None:
        return {}
    where = Path(where)
    if where.is_dir() and (where / HISTORY).is_file():
        return read_history(where / HISTORY).settings
    return {}


def dataset(name: str | None, sizes, data_dir=None, dtype=DEFAULT_DTYPE):
    """The data set ``name``, or the one whose input width is ``sizes[0]``."""
    if name is None:
        name = INPUT_WIDTHS.get(sizes[0])
        if name is None:
            raise InputError(
                f"no data set has {sizes[0]} inputs; give one with --dataset or use --input."
            )
    if name not in DATASETS:
        raise InputError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}.")
    return load_dataset(name, data_dir=data_dir, dtype=np.dtype(dtype))
