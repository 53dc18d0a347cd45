"""``torch.save`` / ``torch.load`` in chainrule's safe format: never a pickle.

``save(obj, path)`` takes a tensor, a numpy array, a number, a string, None, or lists, tuples
and dicts of these (a ``state_dict``, an optimizer's, a checkpoint dict). It writes one
chainrule model file (:mod:`chainrule.modelfile`: a ``.npz`` of the arrays plus a JSON header
that holds the structure), atomically. ``load(path)`` reads it back: the same structure, the
same dtypes, every array bit for bit; tensors come back as Tensors (``Parameter`` as
``Parameter``), numpy arrays as numpy arrays.

Reading follows the model file's discipline: nothing is unpickled; the header is read and
checked first, and the sizes it declares must fit the file before any array is read; each
array's shape and dtype are checked from its own header against what the JSON header says. A
file written by PyTorch (a zip holding ``data.pkl``, or an old bare pickle) is refused with one
sentence saying how to convert it. Any other damaged or hostile file: one sentence.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from chainrule import modelfile
from chainrule.errors import InputTypeError
from chainrule.tensor.core import Tensor
from chainrule.tensor.device import device
from chainrule.tensor.module import Module, Parameter

__all__ = ["load", "save"]

KIND = "torch.save"
DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
_PICKLE_MAGIC = b"\x80"  # the first byte of a pickle (protocol 2 and later), PyTorch's old form
_CONVERT = (
    "chainrule never unpickles (a pickle can run any code); convert it where PyTorch runs: "
    "np.savez('weights.npz', **{{k: v.numpy() for k, v in torch.load({name!r}).items()}}), "
    "then here model.load_state_dict(dict(np.load('weights.npz')))"
)


def _path(f, verb: str) -> Path:
    if isinstance(f, (str, os.PathLike)):
        return Path(f)
    raise InputTypeError(
        f"torch.{verb} takes a file path (str or pathlib.Path), got {type(f).__name__}; "
        "chainrule reads and writes files by name only."
    )


# ------------------------------------------------------------------------ save
def save(obj, f) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and lists/tuples/dicts of them)
    to the path ``f`` in chainrule's safe format, atomically (nothing half-written)."""
    path = _path(f, "save")
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays)
    modelfile.write(path, {"kind": KIND, "object": tree}, arrays)


def _encode(obj, arrays: dict):
    """A JSON-able tree for ``obj``; arrays go to ``arrays`` under names ``a0``, ``a1``, ..."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(obj, (Tensor, np.ndarray)):
        array = obj._data if isinstance(obj, Tensor) else obj
        if array.dtype.name not in DTYPES:
            raise InputTypeError(
                f"torch.save stores arrays of {', '.join(DTYPES)}, not {array.dtype}."
            )
        name = f"a{len(arrays)}"
        arrays[name] = array
        kind = "ndarray"
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
        entry = {kind: name, "shape": list(array.shape), "dtype": array.dtype.name}
        if isinstance(obj, Tensor) and not isinstance(obj, Parameter) and obj.requires_grad:
            entry["requires_grad"] = True
        return entry
    if isinstance(obj, (list, tuple)):
        items = [_encode(x, arrays) for x in obj]
        return items if isinstance(obj, list) else {"tuple": items}
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise InputTypeError(
                    f"torch.save stores dicts with str or int keys, got the key {key!r}."
                )
        return {"dict": [[key, _encode(value, arrays)] for key, value in obj.items()]}
    if isinstance(obj, Module):
        raise InputTypeError(
            f"torch.save(model) would pickle the whole {type(obj).__name__}, which chainrule "
            "never does: save model.state_dict() and load it with model.load_state_dict()."
        )
    raise InputTypeError(
        f"torch.save stores tensors, arrays, numbers, strings, None and lists/tuples/dicts of "
        f"them, not {type(obj).__name__}."
    )


# ------------------------------------------------------------------------ load
def load(f, map_location=None, weights_only=None, **kwargs):
    """What :func:`save` wrote to the path ``f``, checked before any array is read (see the
    module's doc). ``map_location`` may name the CPU (the only device); ``weights_only`` is
    accepted and always true in effect."""
    path = _path(f, "load")
    if isinstance(map_location, (str, device)):
        device(map_location)  # the CPU, or one sentence
    _refuse_pytorch(path)
    with modelfile.Reader(path, "file saved by torch.save") as reader:
        header = reader.header
        if header.get("kind") != KIND or "object" not in header:
            reader.fail("was not written by torch.save (a chainrule model or checkpoint?)")
        declared = _declared_sizes(header["object"], reader)
        if sum(declared.values()) > path.stat().st_size:
            reader.fail("declares arrays larger than the file itself (damaged or hostile)")
        try:
            return _decode(header["object"], reader, declared)
        except RecursionError:
            reader.fail("nests its structure too deeply")


def _refuse_pytorch(path: Path) -> None:
    """A file PyTorch wrote: one sentence saying how to convert it."""
    try:
        with open(path, "rb") as file:
            start = file.read(2)
        if start[:1] == _PICKLE_MAGIC:
            pytorch = True
        else:
            with zipfile.ZipFile(path) as archive:
                pytorch = any(n.endswith("data.pkl") for n in archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return  # the Reader says what is wrong with it
    if pytorch:
        raise modelfile.ModelFileError(
            f"{path} was written by PyTorch's torch.save (a pickle); "
            + _CONVERT.format(name=str(path))
            + "."
        )


def _walk(tree, visit, depth: int = 0):
    """Call ``visit(entry)`` on every array entry of the tree (iteratively bounded depth)."""
    if depth > 100:
        raise RecursionError
    if isinstance(tree, list):
        for x in tree:
            _walk(x, visit, depth + 1)
    elif isinstance(tree, dict):
        if any(k in tree for k in ("tensor", "parameter", "ndarray")):
            visit(tree)
        elif "tuple" in tree:
            _walk(tree["tuple"], visit, depth + 1)
        elif "dict" in tree and isinstance(tree["dict"], list):
            for pair in tree["dict"]:
                value = pair[1] if isinstance(pair, list) and len(pair) == 2 else None
                _walk(value, visit, depth + 1)


def _declared_sizes(tree, reader) -> dict:
    """Each array's size in bytes as the header declares it (checked to be sane)."""
    sizes = {}

    def visit(entry):
        shape, dtype = entry.get("shape"), entry.get("dtype")
        name = entry.get("tensor", entry.get("parameter", entry.get("ndarray")))
        ok_shape = isinstance(shape, list) and all(type(n) is int and 0 <= n < 2**40 for n in shape)
        if not (isinstance(name, str) and ok_shape and dtype in DTYPES) or len(shape) > 32:
            reader.fail(f"has a malformed array entry in its header ({str(entry)[:80]})")
        count = math.prod(shape)
        sizes[name] = count * np.dtype(dtype).itemsize

    try:
        _walk(tree, visit)
    except RecursionError:
        reader.fail("nests its structure too deeply")
    return sizes


def _decode(tree, reader, declared: dict):
    if tree is None or isinstance(tree, (bool, str, int, float)):
        return tree
    if isinstance(tree, list):
        return [_decode(x, reader, declared) for x in tree]
    if not isinstance(tree, dict):
        reader.fail(f"has a header entry of type {type(tree).__name__}")
    for kind in ("tensor", "parameter", "ndarray"):
        if kind in tree:
            return _array(kind, tree, reader, declared)
    if "float" in tree and tree["float"] in ("nan", "inf", "-inf"):
        return float(tree["float"])
    if "tuple" in tree and isinstance(tree["tuple"], list):
        return tuple(_decode(x, reader, declared) for x in tree["tuple"])
    if "dict" in tree and isinstance(tree["dict"], list):
        out = {}
        for pair in tree["dict"]:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                reader.fail("has a malformed dict entry in its header")
            out[pair[0]] = _decode(pair[1], reader, declared)
        return out
    return reader.fail(f"has an unknown entry in its header ({str(tree)[:80]})")


def _array(kind: str, entry: dict, reader, declared: dict):
    """One array entry: read (shape and dtype checked first), as a Tensor, Parameter or array."""
    if entry[kind] not in declared:
        reader.fail(f"has a malformed array entry in its header ({str(entry)[:80]})")
    array = reader.read(entry[kind], tuple(entry["shape"]), (entry["dtype"],))
    if kind == "ndarray":
        return array
    grad = kind == "parameter" or entry.get("requires_grad") is True
    if grad and array.dtype.name not in ("float32", "float64"):
        reader.fail(f"marks the {array.dtype} array {entry[kind]} as requiring grad")
    return Parameter(array) if kind == "parameter" else Tensor(array, requires_grad=grad)
