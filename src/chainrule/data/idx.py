"""A small, strict reader of the IDX format, the one MNIST ships in.

An IDX file is a header followed by a payload; every number in it is big-endian::

    bytes 0-1    two zero bytes
    byte  2      element type: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double
    byte  3      ndim, the number of dimensions (this reader accepts 1 to 4)
    4 * ndim     the size of each dimension, an unsigned 32-bit integer
    payload      prod(sizes) elements in row-major order, nothing after them

:func:`read_idx` checks every field and refuses a size the input cannot hold *before* allocating
anything. Every problem raises :class:`~chainrule.errors.IDXFormatError`; no numpy, struct, zlib or
gzip exception escapes, whatever the bytes.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from chainrule.errors import DataError, IDXFormatError, InputTypeError

__all__ = ["MAX_ELEMENTS", "MAX_NDIM", "read_idx"]

DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_NDIM = 4
MAX_ELEMENTS = 2**31
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DEFLATE_RATIO = 1032  # deflate never turns one compressed byte into more than ~1032 bytes
_CHUNK = 1 << 20


def read_idx(source: str | os.PathLike | bytes | bytearray | memoryview) -> np.ndarray:
    """Parse an IDX file (a path, or the raw bytes) into an array of shape ``dims``.

    The input is gunzipped transparently when it starts with the gzip magic bytes ``1f 8b``
    (whatever the file is called: a browser may save the decompressed file under its ``.gz``
    name). The result is writable and in native byte order, e.g. ``uint8`` for MNIST's images
    (shape ``(n, 28, 28)``) and labels (shape ``(n,)``).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = _Where("the IDX data", "check where the bytes came from")
        return _read_stream(io.BytesIO(data), len(data), data[:2] == _GZIP_MAGIC, where)
    if not isinstance(source, (str, os.PathLike)):
        raise InputTypeError(
            f"read_idx takes a path or bytes, not {type(source).__name__}; "
            "pass the file's path or its contents."
        )
    path = Path(source)
    where = _Where(str(path), "delete it and download it again")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            gzipped = f.read(2) == _GZIP_MAGIC
            f.seek(0)
            return _read_stream(f, size, gzipped, where)
    except OSError as err:  # the file itself could not be opened or read
        raise DataError(
            f"cannot read {path}: {err.strerror or err}; check the path and its permissions."
        ) from None


class _Where:
    """What the messages call the input, and what they tell the reader to do about it."""

    def __init__(self, name: str, fix: str):
        self.name, self.fix = name, fix

    def error(self, problem: str) -> IDXFormatError:
        return IDXFormatError(f"{self.name} {problem}; {self.fix}.")


def _read_stream(f: BinaryIO, size: int, gzipped: bool, where: _Where) -> np.ndarray:
    """Parse ``f`` (``size`` bytes on disk), through a bounded gunzip when ``gzipped``."""
    if not gzipped:
        return _parse(f, size, True, where)
    try:
        with gzip.GzipFile(fileobj=f, mode="rb") as gz:
            return _parse(gz, _MAX_DEFLATE_RATIO * size + 1024, False, where)
    except EOFError:
        raise where.error("is a gzip file that was cut short") from None
    except (OSError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise where.error(f"is not a valid gzip file ({err})") from None


def _parse(f: BinaryIO, available: int, exact: bool, where: _Where) -> np.ndarray:
    """Check the header, then read the payload; ``available`` bytes at most (exactly if exact)."""
    head = _read_upto(f, 4)
    if len(head) < 4:
        raise where.error(f"is too short to be an IDX file ({len(head)} bytes)")
    magic = f"0x{head.hex()}"
    if head[0] or head[1]:
        raise where.error(f"is not an IDX file: its magic number is {magic}, expected 0x0000080N")
    code, ndim = head[2], head[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in DTYPES)
        raise where.error(f"has an unknown element type 0x{code:02x} in {magic}, expected {known}")
    if not 1 <= ndim <= MAX_NDIM:
        raise where.error(f"claims {ndim} dimensions in {magic}, expected 1 to {MAX_NDIM}")
    raw = _read_upto(f, 4 * ndim)
    if len(raw) < 4 * ndim:
        raise where.error(f"ends inside its header, which needs {4 + 4 * ndim} bytes")
    dims = struct.unpack(f">{ndim}I", raw)
    shape = "x".join(map(str, dims))
    if 0 in dims:
        raise where.error(f"claims an empty dimension (shape {shape})")
    count = math.prod(dims)
    if count > MAX_ELEMENTS:
        raise where.error(f"claims {count} elements (shape {shape}), more than {MAX_ELEMENTS}")
    dtype = DTYPES[code]
    nbytes = count * dtype.itemsize
    payload = available - 4 - 4 * ndim
    truncated = f"is truncated: shape {shape} needs {nbytes} bytes, only {{}} follow"
    if exact and payload < nbytes:
        raise where.error(truncated.format(payload))
    if exact and payload > nbytes:
        raise where.error(f"has {payload - nbytes} extra byte(s) after the data of shape {shape}")
    if nbytes > payload:
        raise where.error(f"claims shape {shape} ({nbytes} bytes), too many for its gzip size")
    array = np.empty(count, dtype=dtype)
    got = _read_into(f, memoryview(array.view(np.uint8)))
    if got < nbytes:
        raise where.error(truncated.format(got))
    if f.read(1):
        raise where.error(f"has trailing bytes after the data of shape {shape}")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array.reshape(dims)


def _read_upto(f: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes from ``f``: fewer only at the end of the stream."""
    buf = bytearray(n)
    return bytes(buf[: _read_into(f, memoryview(buf))])


def _read_into(f: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``f`` one bounded chunk at a time; return how many bytes arrived."""
    pos = 0
    while pos < len(view):
        got = f.readinto(view[pos : pos + _CHUNK])
        if not got:
            break
        pos += got
    return pos
