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
# A model file is a numpy .npz archive: the parameter arrays by name (W1, b1, ... for Network and
# the Value engine; 0.weight, 0.bias, ... for the Tensor engine) plus "__header__", the UTF-8 bytes
# of a JSON object {format, engine, sizes, activation, cost, init, dtype}. Loading never unpickles
# (allow_pickle=False) and checks every array against the shapes the header implies.
FORMAT_VERSION = 1
ENGINES = {"Network": "network", "TensorNetwork": "tensor", "ValueNetwork": "value"}


def model_header(net) -> dict:
    """The JSON header that describes ``net`` (enough to build an untrained twin)."""
    engine = ENGINES.get(type(net).__name__)
    if engine is None:
        raise InputError(
            f"cannot save a {type(net).__name__}: chainrule.save takes a Network, a "
            "TensorNetwork or a ValueNetwork."
        )
    return {
        "format": FORMAT_VERSION,
        "engine": engine,
        "sizes": net.sizes,
        "activation": net.activation.name,
        "cost": net.cost.name,
        "init": net.init,
        "dtype": net.dtype.name,
    }


def model_from_header(header: dict, **options):
    """An untrained model of the kind ``header`` describes."""
    from chainrule.network import Network
    from chainrule.scalar.trainable import ValueNetwork
    from chainrule.tensor.trainable import TensorNetwork

    kind = {"network": Network, "tensor": TensorNetwork, "value": ValueNetwork}[header["engine"]]
    return kind(
        header["sizes"],
        header["activation"],
        header["cost"],
        header["init"],
        header["dtype"],
        **options,
    )


def save(net, path: str | os.PathLike) -> Path:
    """Save a model (any engine's) to ``path`` as described above, atomically."""
    arrays = dict(net.parameters())
    header = model_header(net)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write(path, buffer.getvalue())


def load(path: str | os.PathLike):
    """Load a model saved by :func:`save`, refusing pickles and arrays that don't fit."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        header = json.loads(arrays.pop("__header__").tobytes().decode())
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise InputError(f"{path} is not a chainrule model file ({e}); save it again.") from None
    if header.get("format") != FORMAT_VERSION or header.get("engine") not in ENGINES.values():
        raise InputError(f"{path} has an unknown format or engine ({header}); save it again.")
    try:
        net = model_from_header(header)
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path} has a damaged header ({e}); save it again.") from None
    for name, array in net.parameters().items():
        stored = arrays.get(name)
        if stored is None or stored.shape != array.shape:
            got = None if stored is None else stored.shape
            raise InputError(
                f"{path}: {name} should have shape {array.shape} for sizes {net.sizes}, "
                f"found {got}; the file is damaged."
            )
    if hasattr(net, "set_parameters"):  # the Value engine keeps numbers, not arrays
        net.set_parameters(arrays)
    else:
        for name, array in net.parameters().items():
            array[...] = arrays[name]
    return net


save_network, load_network = save, load  # the names the first release used
