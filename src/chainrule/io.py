"""Files: written so that nothing is ever left half-written; model files without pickle.

Every file chainrule writes goes through :func:`atomic_write`: the bytes go to a temporary file in
the same folder, are flushed and fsynced, and the temporary file is renamed over the target. A
rename within one folder is atomic, so a reader (or a crash) sees the old file or the new one,
never a mixture.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from chainrule.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically (text is encoded as UTF-8); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------------- model files
FORMAT_VERSION = 1


def save_network(net, path: str | os.PathLike) -> Path:
    """Save a ``Network`` or a ``TensorNetwork`` as ``.npz``: its parameter arrays by name plus a
    JSON header (format version, engine, sizes, activation, cost, init, dtype) stored as UTF-8
    bytes. No pickle anywhere."""
    header = {
        "format": FORMAT_VERSION,
        "engine": ENGINES[type(net).__name__],
        "sizes": net.sizes,
        "activation": net.activation.name,
        "cost": net.cost.name,
        "init": net.init,
        "dtype": net.dtype.name,
    }
    arrays = dict(net.parameters())
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write(path, buffer.getvalue())


ENGINES = {"Network": "network", "TensorNetwork": "tensor", "ValueNetwork": "value"}


def load_network(path: str | os.PathLike):
    """Load a file written by :func:`save_network`, refusing pickles and mismatched shapes."""
    from chainrule.network import Network
    from chainrule.scalar.trainable import ValueNetwork
    from chainrule.tensor.trainable import TensorNetwork

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        header = json.loads(arrays.pop("__header__").tobytes().decode())
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise InputError(f"{path} is not a chainrule model file ({e}); save it again.") from None
    kinds = {"network": Network, "tensor": TensorNetwork, "value": ValueNetwork}
    if header.get("format") != FORMAT_VERSION or header.get("engine") not in kinds:
        raise InputError(f"{path} has an unknown format or engine ({header}); save it again.")
    net = kinds[header["engine"]](
        header["sizes"], header["activation"], header["cost"], header["init"], header["dtype"]
    )
    for name, array in net.parameters().items():
        stored = arrays.get(name)
        if stored is None or stored.shape != array.shape:
            got = None if stored is None else stored.shape
            raise InputError(
                f"{path}: {name} should have shape {array.shape} for sizes {net.sizes}, "
                f"found {got}; the file is damaged."
            )
    if isinstance(net, ValueNetwork):
        net.set_parameters(arrays)
    else:
        for name, array in net.parameters().items():
            array[...] = arrays[name]
    return net
