"""Keeping a playground session: the network as a chainrule model file, the run as a run folder
(``model.npz`` and ``history.json``, as ``chainrule train --out`` writes them, so ``chainrule
plot``, ``check`` and ``explain`` read it), and a model file loaded back into the page.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import partial
from pathlib import Path

from chainrule.errors import ChainruleError, DataError
from chainrule.models.store import load, save
from chainrule.playground.dataset import FEATURES
from chainrule.playground.settings import MAX_LAYERS, MAX_WIDTH, merge, output_layer
from chainrule.runs import HISTORY, MODEL, finish

MAX_MODEL_BYTES = 4 << 20


def model_file(session) -> bytes:
    """The session's network as a model file's bytes (``chainrule.load`` reads it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = save(session.model, Path(folder) / MODEL)
        return path.read_bytes()


def run_folder(session) -> bytes:
    """The run as a zip of a run folder: ``run/model.npz``, ``run/history.json`` and
    ``run/history.png`` (``chainrule.runs.finish``)."""
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "run"
        run.mkdir()
        finish(run, session.model, session.history)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
            for name in (MODEL, HISTORY, "history.png"):
                if (run / name).exists():
                    zipped.write(run / name, f"run/{name}")
        return buffer.getvalue()


class Refused(DataError):
    """A model file that is sound but does not fit the playground or its data."""


def load_model(session, data: bytes) -> list[str]:
    """Put the model in ``data`` (a model file's bytes) into the session: its layers, activation,
    cost, init and engine become the page's settings, its weights the network's. The input
    layer's width chooses the first features in the page's order; the output layer must fit the
    data. One sentence when the file or its shape does not fit, said from the file's header
    before any array is read (a small file may declare huge layers)."""
    if len(data) > MAX_MODEL_BYTES:
        raise DataError(f"the model file is larger than {MAX_MODEL_BYTES >> 20} MiB.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.npz"
        path.write_bytes(data)
        try:
            model = load(path, limits=partial(_fits, session))
        except Refused:
            raise
        except ChainruleError as e:
            raise DataError(f"that is not a model file the playground can use: {e}") from None
    notes = session.configure(_settings(model.describe()))
    session.model.set_parameters(model.parameters())
    return notes


def _settings(description: dict) -> dict:
    """The page's settings for a model of this description."""
    sizes = description["sizes"]
    return {
        "features": list(FEATURES)[: sizes[0]],
        "layers": list(sizes[1:-1]),
        **{k: description[k] for k in ("activation", "cost", "init", "engine")},
    }


def _fits(session, description: dict) -> None:
    """Refuse (one sentence) a model the playground cannot show or this data cannot train."""
    sizes, cost = description["sizes"], description["cost"]
    hidden = sizes[1:-1]
    if sizes[0] > len(FEATURES):
        raise Refused(
            f"the model has {sizes[0]} inputs; the playground has {len(FEATURES)} features."
        )
    if len(hidden) > MAX_LAYERS or any(n > MAX_WIDTH for n in hidden):
        raise Refused(
            f"the model's hidden layers {hidden} do not fit the playground, which shows at most "
            f"{MAX_LAYERS} hidden layers of 1 to {MAX_WIDTH} neurons."
        )
    try:
        settings = merge(session.settings, _settings(description))
    except ChainruleError as e:
        raise Refused(f"the model's settings do not fit the playground: {e}") from None
    wanted, outputs, _ = output_layer(settings, session.problem)
    if sizes[-1] != outputs or cost != wanted:
        raise Refused(
            f"the model's layers {sizes} ({cost} cost) do not fit this data, which "
            f"needs {outputs} output(s) and the {wanted} cost; pick matching data first."
        )
