"""The file format of models and checkpoints: a numpy ``.npz`` of arrays plus a JSON header.

A file is a zip archive of ``.npy`` members: the arrays by name and ``__header__``, the UTF-8
bytes of a JSON object (its ``format`` is :data:`FORMAT_VERSION`). It is written atomically and
read defensively, because a model file is something people download and share:

* nothing is ever unpickled (``allow_pickle=False``, and object arrays are refused);
* the header is read first, limited to :data:`MAX_HEADER_BYTES`, and must be a JSON object;
* each member's shape and dtype are read from its ``.npy`` header and checked against what the
  caller expects *before* its data is read, and its declared size must match (so a zip bomb or a
  file declaring huge arrays is refused without allocating them);
* every failure is one :class:`ModelFileError` sentence naming the file.
"""

from __future__ import annotations

import io
import json
import os
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from chainrule.errors import InputError
from chainrule.files import atomic_write

__all__ = ["FORMAT_VERSION", "ModelFileError", "Reader", "write"]

FORMAT_VERSION = 1
MAX_HEADER_BYTES = 1 << 20
HEADER = "__header__"
FLOATS = ("float32", "float64")
# What reading a damaged member can raise: zip and zlib errors, and numpy's .npy header parser
# (a Python literal) can raise SyntaxError or tokenize's TokenError on garbage.
READ_ERRORS = (
    OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError, zlib.error,
    SyntaxError, TypeError, KeyError, tokenize.TokenError,
)  # fmt: skip


class ModelFileError(InputError):
    """A model file or checkpoint is damaged, of another format, or not one at all."""


def write(path: str | os.PathLike, header: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and ``header`` (plus ``format``) to ``path`` atomically."""
    header = {"format": FORMAT_VERSION, **header}
    members = {name: np.asarray(a) for name, a in arrays.items()}
    members[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return atomic_write(path, buffer.getvalue())


class Reader:
    """An open model file: ``header`` (a dict, format checked), ``names`` (its arrays) and
    :meth:`read` for one array at a time, shape and dtype checked before it is read.

    Use as a context manager: ``with Reader(path) as f: f.header; f.read("W1", (30, 64))``."""

    def __init__(self, path: str | os.PathLike, what: str = "chainrule model file"):
        self.path, self.what = Path(path), what
        if self.path.is_dir():
            self.fail("is a folder, not a file")
        if not self.path.is_file():
            self.fail("does not exist (or is not a regular file)")
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._members = {
                info.filename.removesuffix(".npy"): info for info in self._zip.infolist()
            }
        except (OSError, zipfile.BadZipFile, ValueError, EOFError, zlib.error):
            self.fail("is not a .npz archive (empty, truncated or another kind of file)")
        if HEADER not in self._members:
            self.fail("has no header (a plain .npz or .npy, not saved by chainrule)")
        raw = self._read_member(HEADER, None, ("uint8",), MAX_HEADER_BYTES)
        try:
            header = json.loads(raw.tobytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            self.fail("has a header that is not valid JSON")
        if not isinstance(header, dict):
            self.fail(f"has a header that is a JSON {type(header).__name__}, not an object")
        version = header.get("format")
        if type(version) is not int or version != FORMAT_VERSION:
            self.fail(
                f"is format {version!r}; this chainrule reads format {FORMAT_VERSION} "
                "(save it again with this version)"
            )
        self.header = header
        self.names = [n for n in self._members if n != HEADER]

    def fail(self, problem: str):
        """Raise one ModelFileError sentence naming the file and ``problem`` (the file closed)."""
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        raise ModelFileError(f"{self.path} {problem}; it is not a usable {self.what}.")

    def read(self, name: str, shape=None, dtypes=FLOATS) -> np.ndarray:
        """The array ``name``; its stored shape must be ``shape`` (when given) and its dtype one
        of ``dtypes``: checked from the member's own header before any data is read."""
        if name not in self._members:
            self.fail(f"has no array {name!r}")
        limit = None if shape is None else int(np.prod(shape, dtype=np.int64)) * 8 + 4096
        return self._read_member(name, shape, dtypes, limit)

    def _read_member(self, name, shape, dtypes, limit) -> np.ndarray:
        info = self._members[name]
        if limit is not None and info.file_size > limit:
            self.fail(f"declares {info.file_size} bytes for {name}, more than its shape allows")
        try:
            with self._zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = {
                    (1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0,
                }.get(version)
                if read_header is None:
                    self.fail(f"stores {name} in an unknown .npy version {version}")
                stored_shape, fortran, dtype = read_header(f)
                if dtype.hasobject or dtype.names is not None or dtype.name not in dtypes:
                    self.fail(f"stores {name} as {dtype}, not {' or '.join(dtypes)}")
                if shape is not None and tuple(stored_shape) != tuple(shape):
                    self.fail(f"stores {name} with shape {stored_shape}, expected {tuple(shape)}")
                count = int(np.prod(stored_shape, dtype=np.int64))
                nbytes = count * dtype.itemsize
                if info.file_size - f.tell() != nbytes:
                    self.fail(f"stores {name} in {info.file_size} bytes, not matching its header")
                data = f.read(nbytes)
        except ModelFileError:
            raise
        except READ_ERRORS as e:
            self.fail(f"cannot be read at {name} ({e or type(e).__name__})")
        if len(data) != nbytes:
            self.fail(f"is truncated at {name}")
        array = np.frombuffer(data, dtype=dtype, count=count)
        return array.reshape(stored_shape, order="F" if fortran else "C").copy()

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
