"""Keeping a playground session: the network as a chainrule model file, the run as a run folder
(``model.npz`` and ``history.json``, as ``chainrule train --out`` writes them, so ``chainrule
plot``, ``check`` and ``explain`` read it), and a model file loaded back into the page.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from chainrule.errors import ChainruleError, DataError
from chainrule.models.store import load, save
from chainrule.playground.dataset import FEATURES
from chainrule.playground.settings import merge, output_layer
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


def load_model(session, data: bytes) -> list[str]:
    """Put the model in ``data`` (a model file's bytes) into the session: its layers, activation,
    cost, init and engine become the page's settings, its weights the network's. The input
    layer's width chooses the first features in the page's order; the output layer must fit the
    data. One sentence when the file or its shape does not fit."""
    if len(data) > MAX_MODEL_BYTES:
        raise DataError(f"the model file is larger than {MAX_MODEL_BYTES >> 20} MiB.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.npz"
        path.write_bytes(data)
        try:
            model = load(path)
        except ChainruleError as e:
            raise DataError(f"that is not a model file the playground can use: {e}") from None
    sizes = model.sizes
    if sizes[0] > len(FEATURES):
        raise DataError(
            f"the model has {sizes[0]} inputs; the playground has {len(FEATURES)} features."
        )
    changes = {
        "features": list(FEATURES)[: sizes[0]],
        "layers": list(sizes[1:-1]),
        "activation": model.activation.name,
        "cost": model.cost.name,
        "init": model.init,
        "engine": model.engine,
    }
    cost, outputs, _ = output_layer(merge(session.settings, changes), session.problem)
    if sizes[-1] != outputs or cost != model.cost.name:
        raise DataError(
            f"the model's layers {sizes} ({model.cost.name} cost) do not fit this data, which "
            f"needs {outputs} output(s) and the {cost} cost; pick matching data first."
        )
    notes = session.configure(changes)
    session.model.set_parameters(model.parameters())
    return notes
