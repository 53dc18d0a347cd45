"""A training run's folder: its settings, its checkpoint, its results. Nothing is ever lost.

``RUN/checkpoint.npz`` holds everything needed to continue a run exactly: the model's parameters,
the optimizer's state, and a JSON header with the settings, the position (epoch, mini-batch, the
random generator's state before that epoch's shuffle) and the history so far. It is one file,
written atomically, so a crash (even SIGKILL) mid-save leaves the previous checkpoint whole.
When the run ends, ``model.npz``, ``history.json`` and ``history.png`` join it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.io import atomic_write, model_from_header, model_header, save
from chainrule.train import Epoch, History, Position

CHECKPOINT = "checkpoint.npz"
FORMAT = 1


def build_model(settings: dict):
    """The model a run's settings describe (engine, layers, activation, cost, init, dtype, seed,
    optimizer)."""
    header = {
        "engine": settings["engine"],
        "sizes": settings["layers"],
        "activation": settings["activation"],
        "cost": settings["cost"],
        "init": settings["init"],
        "dtype": settings["dtype"],
    }
    extra = {"seed": settings["seed"]}
    if settings["engine"] == "tensor":
        extra.update(
            optimizer=settings["optimizer"],
            lr=settings["lr"] if settings["optimizer"] == "adam" else None,
        )
    return model_from_header(header, **extra)


class Checkpoint:
    """What ``train`` calls to save: ``every`` mini-batches (or only at epoch ends, and on
    Ctrl-C, when ``every`` is None). Each save replaces ``RUN/checkpoint.npz`` atomically."""

    def __init__(self, folder: Path, model, settings: dict, every: int | None = None):
        self.path = Path(folder) / CHECKPOINT
        self.model, self.settings, self.every = model, settings, every
        self.saved: Position | None = None

    def save(self, position: Position, history: History) -> None:
        arrays = {f"model.{k}": v for k, v in self.model.parameters().items()}
        optimizer = getattr(self.model, "optimizer", None)
        opt_scalars = {}
        if optimizer is not None:
            state = optimizer.state_dict()
            opt_scalars["lr"] = state["lr"]
            for i, entries in state["state"].items():
                for key, value in entries.items():
                    if isinstance(value, np.ndarray):
                        arrays[f"opt.{i}.{key}"] = value
                    else:
                        opt_scalars[f"{i}.{key}"] = value
        header = {
            "format": FORMAT,
            "model": model_header(self.model),
            "settings": self.settings,
            "position": asdict(position),
            "history": history.to_dict(),
            "optimizer": opt_scalars,
        }
        arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(self.path, buffer.getvalue())
        self.saved = position


def load_checkpoint(folder: str | Path):
    """``(settings, model, position, history)`` from ``RUN/checkpoint.npz``, ready to resume."""
    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        raise InputError(
            f"there is no checkpoint to resume in {folder} ({CHECKPOINT} is missing); train with "
            "--checkpoint-every N (or stop with Ctrl-C) to leave one."
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        header = json.loads(arrays.pop("__header__").tobytes().decode())
        settings = header["settings"]
        model = build_model(settings)
        for name, array in model.parameters().items():
            stored = arrays[f"model.{name}"]
            if stored.shape != array.shape:
                raise ValueError(f"{name} has shape {stored.shape}, expected {array.shape}")
        _restore_parameters(model, {k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        _restore_optimizer(model, header["optimizer"], arrays)
        position = Position(**header["position"])
        saved = header["history"]
        history = History(saved["settings"], [Epoch(**e) for e in saved["epochs"]])
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise InputError(f"{path} is not a usable chainrule checkpoint ({e}).") from None
    return settings, model, position, history


def _restore_parameters(model, arrays: dict) -> None:
    if hasattr(model, "set_parameters"):  # the Value engine keeps numbers, not arrays
        model.set_parameters(arrays)
        return
    for name, array in model.parameters().items():
        array[...] = arrays[name]


def _restore_optimizer(model, scalars: dict, arrays: dict) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    state: dict = {}
    for key, value in arrays.items():
        if key.startswith("opt."):
            _, i, name = key.split(".", 2)
            state.setdefault(i, {})[name] = value
    for key, value in scalars.items():
        if key != "lr":
            i, name = key.split(".", 1)
            state.setdefault(i, {})[name] = value
    optimizer.load_state_dict({"lr": scalars["lr"], "state": state})


def finish(folder: str | Path, model, history: History) -> None:
    """The results of a finished run: the model, the history as JSON, the plot."""
    from chainrule.viz.plots import plot_history

    folder = Path(folder)
    save(model, folder / "model.npz")
    atomic_write(folder / "history.json", json.dumps(history.to_dict(), indent=1))
    plot_history(history, folder / "history.png")
