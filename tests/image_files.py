"""Reading the size of a picture from its header bytes, to check a written image is whole."""

from __future__ import annotations

import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of a PNG file; fails unless it starts with the PNG signature and an
    IHDR chunk, and ends with the IEND chunk (a file cut short fails)."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} has no IHDR chunk"
    assert data[-8:-4] == b"IEND", f"{path} does not end with IEND"
    return struct.unpack(">II", data[16:24])


def gif_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of a GIF file from its logical screen descriptor."""
    data = Path(path).read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a"), f"{path} is not a GIF"
    assert data[-1:] == b";", f"{path} does not end with the GIF trailer"
    return struct.unpack("<HH", data[6:10])
