"""Downloading data files so that a broken or partial download never takes the file's name.

:func:`fetch` streams a ``.gz`` file from the first mirror that works into a temporary file beside
the target, checks the MD5 of its *decompressed* bytes (mirrors recompress, so the compressed bytes
may differ; the content may not), and only then renames it into place with :func:`os.replace`. A
mirror that fails in any way (no connection, an HTTP error, a timeout, a connection cut mid-file,
a wrong checksum) is skipped and its temporary file removed; when every mirror fails,
:class:`~chainrule.errors.DownloadError` (a ``DataError``) says so in one sentence.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

from chainrule.errors import DownloadError
from chainrule.files import _UMASK

__all__ = ["MIRRORS", "MNIST_FILES", "fetch", "fetch_mnist"]

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
# MD5 of each file's *uncompressed* content, the same as the originals'.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
MAX_BYTES = 256 * 2**20  # refuse a download larger than this (MNIST's largest file is 9.9 MB)
_CHUNK = 1 << 16
_NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError, zlib.error)


class _Failed(Exception):
    """One mirror did not deliver the right file; the message says how."""


def fetch(url_list: Sequence[str], target: Path, md5_uncompressed: str, timeout=30) -> Path:
    """Download ``target`` from the first URL in ``url_list`` that delivers the right content.

    The content is a gzip file whose decompressed bytes must have MD5 ``md5_uncompressed``.
    ``timeout`` (seconds) bounds each connection attempt and each read. Returns ``target``.
    """
    target = Path(target)
    failures = []
    for url in url_list:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _fetch_one(url, target, md5_uncompressed.lower(), timeout)
            return target
        except urllib.error.HTTPError as err:
            err.close()  # it holds the response open
            failures.append(f"{url}: HTTP {err.code}")
        except urllib.error.URLError as err:
            failures.append(f"{url}: {err.reason}")
        except (_Failed, *_NETWORK_ERRORS) as err:
            failures.append(f"{url}: {str(err) or type(err).__name__}")
    tried = ", ".join(failures) or "no mirrors given"
    raise DownloadError(
        f"could not download {target.name} ({tried}); check your internet connection, "
        f"or put the file in {target.parent} yourself.",
        failures,
    )


def fetch_mnist(
    folder: Path,
    names: Sequence[str] | None = None,
    mirrors: Sequence[str] | None = None,
    timeout=30,
) -> Path:
    """Download MNIST's ``.gz`` files ``names`` (default: those ``folder`` lacks) into ``folder``.

    ``mirrors`` are base URLs tried in order (default: the module-level :data:`MIRRORS`, read at
    call time so that tests can point it at a local server). Returns ``folder``.
    """
    folder = Path(folder)
    mirrors = MIRRORS if mirrors is None else mirrors
    if names is None:
        names = [name for name in MNIST_FILES if not (folder / name).is_file()]
    for name in names:
        md5 = MNIST_FILES[name]
        fetch([m.rstrip("/") + "/" + name for m in mirrors], folder / name, md5, timeout)
    return folder


def _fetch_one(url: str, target: Path, md5: str, timeout) -> None:
    """Stream ``url`` into a temporary file beside ``target``; rename it there if the MD5 holds."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; data folders are often shared
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, timeout)
            out.flush()
            os.fsync(out.fileno())
        if digest != md5:
            raise _Failed(f"the MD5 of the unpacked content is {digest}, expected {md5}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stream(url: str, out, timeout) -> str:
    """Copy the body of ``url`` into ``out``; return the MD5 of the gunzipped body."""
    request = urllib.request.Request(url, headers={"User-Agent": "chainrule"})
    with urllib.request.build_opener().open(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        expected = int(length) if length.strip().isdigit() else None
        gunzip = _GunzipMD5()
        received = 0
        while chunk := response.read(_CHUNK):
            received += len(chunk)
            if received > MAX_BYTES:
                raise _Failed(f"the file is larger than {MAX_BYTES} bytes")
            out.write(chunk)
            gunzip.update(chunk)
    if expected is not None and received != expected:
        raise _Failed(f"the connection closed after {received} of {expected} bytes")
    return gunzip.hexdigest()


class _GunzipMD5:
    """The MD5 of a gzip stream's decompressed bytes, fed a chunk at a time, in bounded memory."""

    def __init__(self):
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer

    def update(self, data: bytes) -> None:
        more = bool(data)
        while more:
            if self._inflate.eof:  # the next member of a multi-member gzip file
                self._inflate = zlib.decompressobj(wbits=31)
            out = self._inflate.decompress(data, _CHUNK)
            self._md5.update(out)
            ended = self._inflate.eof
            data = self._inflate.unused_data if ended else self._inflate.unconsumed_tail
            more = bool(data) or (len(out) == _CHUNK and not ended)

    def hexdigest(self) -> str:
        if not self._inflate.eof:
            raise _Failed("the gzip stream ends early")
        return self._md5.hexdigest()
