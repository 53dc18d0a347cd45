"""A training run's folder: its settings, its checkpoint, its results. Nothing is ever lost.

``RUN/checkpoint.npz`` holds everything needed to continue a run exactly: the model's parameters,
the optimizer's state, and a JSON header with the settings, the position (epoch, mini-batch, the
random generator's state before that epoch's shuffle) and the history so far. It is one file in
the model-file format (chainrule.modelfile), written atomically, so a crash (even SIGKILL)
mid-save leaves the previous checkpoint whole. When the run ends, ``model.npz``,
``history.json`` and ``history.png`` join it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.files import atomic_write
from chainrule.modelfile import Reader, write
from chainrule.models.registry import build, options_from_settings
from chainrule.models.store import read_parameters, save
from chainrule.protocol import Model
from chainrule.train import History, Position
from chainrule.viz.plots import plot_history

CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"
HISTORY = "history.json"
MODEL_SETTINGS = ("activation", "cost", "init", "dtype")


def build_model(settings: dict) -> Model:
    """The model a run's settings describe (engine, layers, activation, cost, init, dtype, seed,
    and the engine's own options: optimizer for tensor, the backprop form for network)."""
    engine = settings["engine"]
    options = options_from_settings(engine, settings)
    return build(
        engine,
        settings["layers"],
        **{k: settings[k] for k in MODEL_SETTINGS},
        seed=settings["seed"],
        **options,
    )


class Checkpoint:
    """What ``train`` calls to save: ``every`` mini-batches (or only at epoch ends, and on
    Ctrl-C, when ``every`` is None). Each save replaces ``RUN/checkpoint.npz`` atomically."""

    def __init__(self, folder: Path, model: Model, settings: dict, every: int | None = None):
        self.path = Path(folder) / CHECKPOINT
        self.model, self.settings, self.every = model, settings, every
        self.saved: Position | None = None

    def save(self, position: Position, history: History) -> None:
        """Write the model, optimizer state, settings, position and history, atomically."""
        arrays = {f"model.{k}": v for k, v in self.model.parameters().items()}
        scalars = {}
        for key, value in self.model.optimizer_state().items():
            if isinstance(value, np.ndarray):
                arrays[f"opt.{key}"] = value
            else:
                scalars[key] = value
        header = {
            "model": self.model.describe(),
            "settings": self.settings,
            "position": asdict(position),
            "history": history.to_dict(),
            "optimizer": scalars,
        }
        write(self.path, header, arrays)
        self.saved = position


def load_checkpoint(folder: str | Path, required=()):
    """``(settings, model, position, history)`` from ``RUN/checkpoint.npz``, ready to resume.

    Every setting of :data:`SETTINGS` present is checked; those named in ``required`` must be
    present too (the command line needs all of them; a checkpoint of the API may hold fewer)."""
    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        raise InputError(
            f"there is no checkpoint to resume in {folder} ({CHECKPOINT} is missing); train with "
            "--checkpoint-every N (or stop with Ctrl-C) to leave one."
        )
    with Reader(path, "chainrule checkpoint") as reader:
        header = reader.header
        try:
            settings = dict(header["settings"])
            arrays = read_parameters(reader, header["model"], "model.")
            if header["model"]["sizes"] != settings["layers"]:
                reader.fail("describes a model whose sizes differ from its settings")
            model = build_model(settings)
            model.set_parameters(arrays)
            shapes = [a.shape for a in arrays.values()]
            state = dict(header["optimizer"])
            for name in reader.names:
                if name.startswith("opt."):
                    index, _, key = name[4:].partition(".")
                    if not (index.isdigit() and int(index) < len(shapes) and key):
                        reader.fail(f"stores an optimizer array {name!r} of no parameter")
                    state[name[4:]] = reader.read(name, shapes[int(index)])
            model.load_optimizer_state(state)
            problem = _check_settings(settings, required)
            if problem:
                reader.fail(f"has damaged settings ({problem})")
            position = Position(**header["position"])
            problem = _check_position(position)
            if problem:
                reader.fail(f"has a damaged position ({problem})")
            history = History.from_dict(header["history"])
            problem = _check_history(history)
            if problem:
                reader.fail(f"has a damaged history ({problem})")
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as e:
            reader.fail(f"has a damaged header ({type(e).__name__}: {e})")
    return settings, model, position, history


def _count(value, low: int) -> bool:
    return type(value) is int and value >= low


def _number(value, low: float, strict: bool) -> bool:
    return (
        type(value) in (int, float)
        and math.isfinite(value)
        and (value > low if strict else value >= low)
    )


# What a resumed run reads from the settings, and what each must be.
SETTINGS = {
    "epochs": ("a positive whole number", lambda v: _count(v, 1)),
    "batch_size": ("a positive whole number or null", lambda v: v is None or _count(v, 1)),
    "lr": ("a positive number", lambda v: _number(v, 0, strict=True)),
    "l2": ("a number, 0 or more", lambda v: _number(v, 0, strict=False)),
    "seed": ("a whole number, 0 or more, or null", lambda v: v is None or _count(v, 0)),
    "dataset": ("a data set's name", lambda v: isinstance(v, str)),
    "data_dir": ("a folder or null", lambda v: v is None or isinstance(v, str)),
    "checkpoint_every": ("a positive whole number or null", lambda v: v is None or _count(v, 1)),
    "backprop": ("matrix or per-sample", lambda v: v in (None, "matrix", "per-sample")),
}


def _check_settings(settings: dict, required) -> str | None:
    for key, (what, ok) in SETTINGS.items():
        if key not in settings and key not in required:
            continue
        if not ok(settings.get(key)):
            return f"{key} is {settings.get(key)!r}, not {what}"
    return None


def _check_position(position: Position) -> str | None:
    """What is wrong with a checkpoint's position, if anything: the epoch, the batch, the
    generator state (tried on a fresh generator, so a resume cannot fail on it later)."""
    if not (_count(position.epoch, 1) and _count(position.batch, 0)):
        return f"epoch {position.epoch!r}, step {position.batch!r}"
    if not _number(position.seconds, 0, strict=False):
        return f"{position.seconds!r} seconds"
    if position.rng_state is not None:
        try:
            np.random.default_rng().bit_generator.state = position.rng_state
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
            return "the random generator's state is not one numpy's generator takes"
    return None


def _check_history(history: History) -> str | None:
    fields = ("cost", "train_accuracy", "test_cost", "test_accuracy", "epoch_seconds")
    for e in history.epochs:
        numbers = [getattr(e, name) for name in fields]
        if not (
            _count(e.epoch, 1)
            and all(v is None or type(v) in (int, float) for v in numbers)
            and isinstance(e.grad_norms, list)
            and all(type(v) in (int, float) for v in e.grad_norms)
        ):
            return f"epoch {e.epoch!r} has a record that is not numbers"
    return None


def read_history(path: str | Path) -> History:
    """A ``History`` from a run's ``history.json``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path} does not exist; give a run folder written by `chainrule train --out DIR`."
        )
    try:
        return History.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError, RecursionError, AttributeError) as e:
        raise InputError(f"{path} is not a chainrule history ({e}).") from None


def finish(folder: str | Path, model: Model, history: History) -> None:
    """The results of a finished run: the model, the history as JSON, the plot."""
    folder = Path(folder)
    save(model, folder / MODEL)
    atomic_write(folder / HISTORY, json.dumps(history.to_dict(), indent=1))
    plot_history(history, folder / "history.png")
