"""Downloading data files so that a broken or partial download never takes the file's name.

:func:`fetch` streams a ``.gz`` file from the first mirror that works into a temporary file beside
the target, checks the MD5 of its *decompressed* bytes (mirrors recompress, so the compressed bytes
may differ; the content may not), and only then renames it into place with :func:`os.replace`. A
mirror that fails in any way (no connection, an HTTP error, a timeout, a connection cut mid-file,
a wrong checksum) is skipped and its temporary file removed; when every mirror fails,
:class:`~chainrule.errors.DownloadError` (a ``DataError``) says so in one sentence.

Every wait is bounded: ``timeout`` seconds of silence, a ``deadline`` for the whole file (a
server sending a byte a second cannot hold it for hours), the size on the wire and the size
unpacked (a gzip bomb is refused once it passes the file's known size); a proxy that does not
answer is reported at once, not once per mirror. A progress bar shows the bytes as they come.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from chainrule.errors import DownloadError
from chainrule.files import _UMASK

__all__ = ["MIRRORS", "MNIST_FILES", "MNIST_SIZES", "fetch", "fetch_mnist"]

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
# Bytes each file unpacks to: more than this is refused at once (a gzip bomb), fewer fails the MD5.
MNIST_SIZES = {
    "train-images-idx3-ubyte.gz": 47_040_016,
    "train-labels-idx1-ubyte.gz": 60_008,
    "t10k-images-idx3-ubyte.gz": 7_840_016,
    "t10k-labels-idx1-ubyte.gz": 10_008,
}
MAX_BYTES = 256 * 2**20  # refuse a download larger than this (MNIST's largest file is 9.9 MB)
MAX_UNPACKED = 1 << 30  # and one unpacking to more than this, when its size is not known
TIMEOUT = 10.0  # seconds of silence (connecting, waiting for an answer, between reads)
DEADLINE = 600.0  # seconds for one whole file from one mirror, however the bytes trickle in
_CHUNK = 1 << 16
_NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError, zlib.error)


class _Failed(Exception):
    """One mirror did not deliver the right file; the message says how."""


class _ProxySilent(_Failed):
    """The proxy every mirror goes through did not answer: trying the next mirror is futile."""


def fetch(
    url_list: Sequence[str],
    target: Path,
    md5_uncompressed: str,
    timeout: float = TIMEOUT,
    deadline: float = DEADLINE,
    unpacked_size: int | None = None,
    progress: Callable[[int, int | None], object] | None = None,
) -> Path:
    """Download ``target`` from the first URL in ``url_list`` that delivers the right content.

    The content is a gzip file whose decompressed bytes must have MD5 ``md5_uncompressed`` (and,
    when given, exactly ``unpacked_size`` bytes: more is refused as soon as it is passed).
    ``timeout`` (seconds) bounds each wait for the network (connecting, the answer, each read);
    ``deadline`` bounds each mirror's whole download, so a server that trickles bytes cannot
    keep it going. ``progress(received, total)`` is called as bytes arrive (total None when the
    server does not say). A proxy that does not answer fails at once, not once per mirror.
    Returns ``target``.
    """
    target = Path(target)
    failures = []
    for url in url_list:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _fetch_one(url, target, md5_uncompressed.lower(), timeout, deadline, unpacked_size,
                       progress)  # fmt: skip
            return target
        except urllib.error.HTTPError as err:
            err.close()  # it holds the response open
            failures.append(f"{url}: HTTP {err.code}")
        except _ProxySilent as err:
            failures.append(f"{url}: {err}")
            break
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
    timeout: float = TIMEOUT,
    progress: bool = True,
) -> Path:
    """Download MNIST's ``.gz`` files ``names`` (default: those ``folder`` lacks) into ``folder``,
    with a progress bar per file on stderr (``progress=False``: none).

    ``mirrors`` are base URLs tried in order (default: the module-level :data:`MIRRORS`, read at
    call time so that tests can point it at a local server). Returns ``folder``.
    """
    folder = Path(folder)
    mirrors = MIRRORS if mirrors is None else mirrors
    if names is None:
        names = [name for name in MNIST_FILES if not (folder / name).is_file()]
    for name in names:
        urls = [m.rstrip("/") + "/" + name for m in mirrors]
        with _Bar(name, progress) as bar:
            fetch(urls, folder / name, MNIST_FILES[name], timeout,
                  unpacked_size=MNIST_SIZES[name], progress=bar.update)  # fmt: skip
    return folder


class _Bar:
    """A tqdm bar of bytes received on stderr (nothing when ``shown`` is False)."""

    def __init__(self, name: str, shown: bool):
        self.name, self.shown, self.bar = name, shown, None

    def update(self, received: int, total: int | None) -> None:
        if not self.shown:
            return
        if self.bar is None or self.bar.total != total:  # a new mirror starts from 0
            self.close()
            self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=self.name,
                            file=sys.stderr, leave=False)  # fmt: skip
        self.bar.update(received - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _fetch_one(url: str, target: Path, md5: str, timeout, deadline, size, progress) -> None:
    """Stream ``url`` into a temporary file beside ``target``; rename it there if the MD5 holds."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; data folders are often shared
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, timeout, deadline, size, progress)
            out.flush()
            os.fsync(out.fileno())
        if digest != md5:
            raise _Failed(f"the MD5 of the unpacked content is {digest}, expected {md5}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _proxy_for(url: str) -> str | None:
    """The proxy urllib will send ``url`` through (from the environment), if any."""
    scheme, host = urllib.parse.urlsplit(url)[:2]
    if urllib.request.proxy_bypass(host.rsplit(":", 1)[0]):
        return None
    return urllib.request.getproxies().get(scheme)


def _stream(url: str, out, timeout, deadline, size, progress) -> str:
    """Copy the body of ``url`` into ``out`` within ``deadline`` seconds; return the MD5 of the
    gunzipped body."""
    end = time.monotonic() + deadline
    request = urllib.request.Request(url, headers={"User-Agent": "chainrule"})
    proxy = _proxy_for(url)
    try:
        response = urllib.request.build_opener().open(request, timeout=min(timeout, deadline))
    except (TimeoutError, urllib.error.URLError) as err:
        silent = isinstance(err, TimeoutError) or isinstance(err.reason, TimeoutError)
        if proxy and silent:
            raise _ProxySilent(
                f"the proxy {proxy} did not answer within {min(timeout, deadline):g} s; check "
                "the https_proxy / http_proxy setting"
            ) from None
        raise
    with response:
        length = response.headers.get("Content-Length", "")
        expected = int(length) if length.strip().isdigit() else None
        gunzip = _GunzipMD5(size if size is not None else MAX_UNPACKED)
        received = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise _Failed(f"the download took longer than {deadline:g} s (the deadline)")
            _limit_wait(response, min(timeout, left))
            try:
                chunk = response.read1(_CHUNK)  # what has arrived: a trickle cannot stall this
            except TimeoutError:
                if left < timeout:  # the wait was cut short by the deadline, not by silence
                    raise _Failed(
                        f"the download took longer than {deadline:g} s (the deadline)"
                    ) from None
                raise
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_BYTES:
                raise _Failed(f"the file is larger than {MAX_BYTES} bytes")
            out.write(chunk)
            gunzip.update(chunk)
            if progress is not None:
                progress(received, expected)
    if expected is not None and received != expected:
        raise _Failed(f"the connection closed after {received} of {expected} bytes")
    return gunzip.hexdigest(size)


def _limit_wait(response, seconds: float) -> None:
    """Wait at most ``seconds`` for the next bytes of ``response``. (http.client keeps its
    socket private; without it the connection's own timeout still bounds each wait.)"""
    sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


class _GunzipMD5:
    """The MD5 of a gzip stream's decompressed bytes, fed a chunk at a time, in bounded memory;
    more than ``limit`` decompressed bytes are refused as soon as they appear."""

    def __init__(self, limit: int):
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        self.limit, self.size = limit, 0

    def update(self, data: bytes) -> None:
        more = bool(data)
        while more:
            if self._inflate.eof:  # the next member of a multi-member gzip file
                self._inflate = zlib.decompressobj(wbits=31)
            out = self._inflate.decompress(data, _CHUNK)
            self.size += len(out)
            if self.size > self.limit:
                raise _Failed(
                    f"the file unpacks to more than the {self.limit} bytes expected (a gzip bomb?)"
                )
            self._md5.update(out)
            ended = self._inflate.eof
            data = self._inflate.unused_data if ended else self._inflate.unconsumed_tail
            more = bool(data) or (len(out) == _CHUNK and not ended)

    def hexdigest(self, size: int | None = None) -> str:
        if not self._inflate.eof:
            raise _Failed("the gzip stream ends early")
        if size is not None and self.size != size:
            raise _Failed(f"the file unpacks to {self.size} bytes, expected {size}")
        return self._md5.hexdigest()
