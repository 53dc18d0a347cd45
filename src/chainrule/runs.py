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
from dataclasses import asdict
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.files import atomic_write
from chainrule.modelfile import Reader, write
from chainrule.models.registry import build
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
    options = {}
    if engine == "tensor":
        adam = settings.get("optimizer") == "adam"
        options = {
            "optimizer": settings.get("optimizer", "sgd"),
            "lr": settings["lr"] if adam else None,
        }
    elif engine == "network":
        options = {"form": settings.get("backprop", "matrix")}
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


def load_checkpoint(folder: str | Path):
    """``(settings, model, position, history)`` from ``RUN/checkpoint.npz``, ready to resume."""
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
            position = Position(**header["position"])
            history = History.from_dict(header["history"])
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            reader.fail(f"has a damaged header ({type(e).__name__}: {e})")
    return settings, model, position, history


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
