"""Saving and loading models of any engine (``chainrule.save`` / ``chainrule.load``).

A model file (see chainrule.modelfile) holds the parameters ``W1, b1, ...`` and a header with
the model's description: ``engine, sizes, activation, cost, init, dtype``. Loading checks the
header, refuses a network too large for this machine before building it, then checks each array's
shape and dtype against the sizes before reading it, and builds the model only then.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.modelfile import FLOATS, Reader, write
from chainrule.models.registry import ENGINES, build, check_model, check_size
from chainrule.protocol import Model

__all__ = ["describe_shapes", "load", "read_parameters", "save"]

FIELDS = {"engine": str, "sizes": list, "activation": str, "cost": str, "init": str, "dtype": str}


def save(model: Model, path: str | os.PathLike) -> Path:
    """Save ``model`` (any engine) to ``path``, atomically; return the path."""
    check_model(model)
    return write(path, model.describe(), model.parameters())


def describe_shapes(sizes) -> dict[str, tuple]:
    """``{"W1": (n_1, n_0), "b1": (n_1,), ...}`` for layer widths ``sizes``."""
    shapes = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes[f"W{l}"], shapes[f"b{l}"] = (n_out, n_in), (n_out,)
    return shapes


def read_parameters(
    reader: Reader, description, prefix: str = "", limits=None
) -> dict[str, np.ndarray]:
    """The arrays ``W1, b1, ...`` stored under ``prefix``, after the file's model description
    is checked field by field, the network's size against this machine and against the caller's
    ``limits`` (a function of the description that raises an InputError for a model the caller
    cannot take), and each array's shape and dtype against the sizes (all before any array is
    read: a small file declaring huge arrays costs nothing)."""
    if not isinstance(description, dict):
        reader.fail("has no model description in its header")
    for name, kind in FIELDS.items():
        if type(description.get(name)) is not kind:
            reader.fail(f"has a damaged header: {name} should be a {kind.__name__}")
    sizes = description["sizes"]
    if len(sizes) < 2 or not all(type(n) is int and n > 0 for n in sizes):
        reader.fail(f"declares layer sizes {sizes!r}, not a list of positive whole numbers")
    if description["engine"] not in ENGINES or description["dtype"] not in FLOATS:
        reader.fail(
            f"declares engine {description['engine']!r} with dtype {description['dtype']!r}; "
            f"this chainrule knows engines {', '.join(ENGINES)} in float32/float64"
        )
    try:
        check_size(description["engine"], sizes, description["dtype"])
    except InputError as e:
        reader.fail(f"declares a network too large to load ({e})")
    if limits is not None:
        limits(description)
    arrays = {
        name: reader.read(_stored_name(reader, prefix + name), shape, (description["dtype"],))
        for name, shape in describe_shapes(sizes).items()
    }
    if not all(np.isfinite(a).all() for a in arrays.values()):
        reader.fail("holds NaN or infinite weights")
    return arrays


def _stored_name(reader: Reader, name: str) -> str:
    """``name`` (``W2``), or the name chainrule 0.1 gave that array in a tensor model
    (``1.weight``) when only that one is in the file; ``prefix`` stays in front."""
    prefix, short = (name.rsplit(".", 1) + [""])[:2] if "." in name else ("", name)
    prefix = f"{prefix}." if prefix else ""
    legacy = f"{prefix}{int(short[1:]) - 1}.{'weight' if short[0] == 'W' else 'bias'}"
    return legacy if name not in reader.names and legacy in reader.names else name


def load(path: str | os.PathLike, limits=None) -> Model:
    """The model saved in ``path`` by :func:`save`, every array checked before it is read;
    ``limits(description)`` may refuse the model (an InputError) before any is read."""
    with Reader(path) as reader:
        description = reader.header
        arrays = read_parameters(reader, description, limits=limits)
        settings = {k: description[k] for k in FIELDS if k != "engine"}
        try:
            model = build(description["engine"], seed=0, **settings)
        except InputError as e:
            reader.fail(f"describes a model that cannot be built ({e})")
    model.set_parameters(arrays)
    return model
