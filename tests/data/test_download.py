"""Downloads against a local HTTP server: verified content, atomic placement, mirror fallback."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import download, load
from chainrule.errors import DataError, DownloadError

CONTENT = b"the uncompressed bytes of a data file\n" * 200
MD5 = hashlib.md5(CONTENT).hexdigest()
PACKED = gzip.compress(CONTENT, compresslevel=9, mtime=0)
BOMB = gzip.compress(bytes(200 * 2**20), compresslevel=9, mtime=0)  # 200 MiB of zeros in 200 KB


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files``; ``/cut/...`` stops halfway, ``/stall/...`` stalls."""

    def do_GET(self):
        files, stall = self.server.files, self.server.stall
        kind, _, name = self.path.lstrip("/").partition("/")
        body = files.get(self.path) or files.get("/good/" + name)
        if kind not in (
            "good",
            "wrong",
            "repacked",
            "cut",
            "stall",
            "mnist",
            "trickle",
            "bomb",
        ) or (body is None):
            self.send_error(404)
            return
        if kind == "wrong":
            body = gzip.compress(CONTENT[::-1])
        elif kind == "bomb":
            body = BOMB
        elif kind == "repacked":
            body = gzip.compress(CONTENT[:100], 1) + gzip.compress(CONTENT[100:], 6)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif kind == "trickle":  # a byte at a time, never silent for long
            for i in range(len(body)):
                if stall.wait(0.05):
                    break
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            self.close_connection = True
        elif kind == "stall":
            self.wfile.write(body[:10])
            self.wfile.flush()
            stall.wait(5)
            self.close_connection = True
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    """A local server on 127.0.0.1 (a free port), torn down afterwards; yields its base URL."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files = {"/good/f.gz": PACKED}
    httpd.stall = threading.Event()
    httpd.handle_error = lambda request, address: None  # a client hanging up is expected here
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.stall.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def refused_url() -> str:
    """A URL on a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/f.gz"


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_good_download_lands_under_its_name_and_nothing_else(server, tmp_path):
    _, base = server
    target = tmp_path / "sub" / "f.gz"
    assert download.fetch([f"{base}/good/f.gz"], target, MD5, timeout=5) == target
    assert target.read_bytes() == PACKED
    assert listing(target.parent) == ["f.gz"]


def test_the_checksum_is_of_the_unpacked_content_so_a_recompressed_mirror_passes(server, tmp_path):
    _, base = server
    target = tmp_path / "f.gz"
    download.fetch([f"{base}/repacked/f.gz"], target, MD5.upper(), timeout=5)
    assert gzip.decompress(target.read_bytes()) == CONTENT
    assert target.read_bytes() != PACKED


@pytest.mark.parametrize("kind", ["wrong", "cut", "stall", "missing", "refused"])
def test_a_failed_download_leaves_no_file_and_keeps_an_old_one(server, tmp_path, kind):
    _, base = server
    url = refused_url() if kind == "refused" else f"{base}/{kind}/f.gz"
    target = tmp_path / "f.gz"
    with pytest.raises(DataError, match=r"could not download f\.gz \(") as info:
        download.fetch([url], target, MD5, timeout=0.5)
    assert listing(tmp_path) == []
    assert url in str(info.value) and str(tmp_path) in str(info.value)
    reason = {"wrong": "MD5", "cut": "closed after", "stall": "timed out", "missing": "404"}
    assert reason.get(kind, "refused") in info.value.failures[0]
    target.write_bytes(b"an older copy")
    with pytest.raises(DataError):
        download.fetch([url], target, MD5, timeout=0.5)
    assert target.read_bytes() == b"an older copy"
    assert listing(tmp_path) == ["f.gz"]


def test_a_failing_mirror_falls_back_to_the_next(server, tmp_path):
    _, base = server
    urls = [refused_url(), f"{base}/cut/f.gz", f"{base}/wrong/f.gz", f"{base}/good/f.gz"]
    target = download.fetch(urls, tmp_path / "f.gz", MD5, timeout=5)
    assert target.read_bytes() == PACKED
    assert listing(tmp_path) == ["f.gz"]


def test_no_mirrors_at_all_is_a_data_error(tmp_path):
    with pytest.raises(DownloadError, match="no mirrors given"):
        download.fetch([], tmp_path / "f.gz", MD5)


def test_mnist_downloads_missing_files_from_the_mirrors(server, tmp_path, monkeypatch, mnist_root):
    httpd, base = server
    for name in download.MNIST_FILES:
        httpd.files[f"/mnist/{name}"] = (mnist_root / "mnist" / name).read_bytes()
    monkeypatch.setattr(download, "MIRRORS", [f"{base}/nowhere/", f"{base}/mnist/"])
    data = load("mnist", data_dir=tmp_path)
    assert listing(tmp_path / "mnist") == sorted(download.MNIST_FILES)
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (50000, 10000, 10000)
    assert np.bincount(data.y_test).sum() == 10000


def test_mnist_says_where_to_put_the_files_when_the_download_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "MIRRORS", [refused_url().removesuffix("f.gz")])
    with pytest.raises(DataError, match="downloading it failed") as info:
        load("mnist", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "mnist") in message and "CHAINRULE_DATA" in message
    assert all(name in message for name in download.MNIST_FILES)
    assert listing(tmp_path / "mnist") == []


def test_a_trickling_server_is_dropped_at_the_deadline(server, tmp_path):
    """A byte every 0.05 s never trips the 2 s silence timeout; the whole-file deadline ends it."""
    _, base = server
    start = time.monotonic()
    with pytest.raises(DownloadError, match="longer than 1 s") as info:
        download.fetch([f"{base}/trickle/f.gz"], tmp_path / "f.gz", MD5, timeout=2, deadline=1)
    assert time.monotonic() - start < 4
    assert "deadline" in info.value.failures[0] and listing(tmp_path) == []


def test_a_gzip_bomb_is_refused_once_it_unpacks_past_the_expected_size(server, tmp_path):
    _, base = server
    start = time.monotonic()
    with pytest.raises(DownloadError, match="unpacks to more than") as info:
        download.fetch(
            [f"{base}/bomb/f.gz"], tmp_path / "f.gz", MD5, timeout=5, unpacked_size=len(CONTENT)
        )
    assert time.monotonic() - start < 3  # refused at the first chunk, not after 200 MiB
    assert "gzip bomb" in info.value.failures[0] and listing(tmp_path) == []


def test_a_size_other_than_the_expected_one_is_refused(server, tmp_path):
    _, base = server
    with pytest.raises(DownloadError, match=f"unpacks to {len(CONTENT)} bytes, expected"):
        download.fetch([f"{base}/good/f.gz"], tmp_path / "f.gz", MD5, 5, 60, len(CONTENT) + 1)


def test_progress_is_reported_up_to_the_whole_file(server, tmp_path):
    _, base = server
    seen = []
    download.fetch([f"{base}/good/f.gz"], tmp_path / "f.gz", MD5, timeout=5,
                   progress=lambda received, total: seen.append((received, total)))  # fmt: skip
    assert seen[-1] == (len(PACKED), len(PACKED))
    assert [r for r, _ in seen] == sorted(r for r, _ in seen)


def test_mnist_shows_a_progress_bar_per_file(server, tmp_path, monkeypatch, mnist_root, capsys):
    httpd, base = server
    name = "t10k-labels-idx1-ubyte.gz"
    httpd.files[f"/mnist/{name}"] = (mnist_root / "mnist" / name).read_bytes()
    download.fetch_mnist(tmp_path, [name], [f"{base}/mnist/"])
    assert name in capsys.readouterr().err  # tqdm's bar, named after the file
    assert listing(tmp_path) == [name]


@pytest.fixture
def silent_proxy(monkeypatch):
    """A proxy on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    try:
        yield proxy
    finally:
        listener.close()


def test_a_silent_proxy_fails_once_not_once_per_mirror(silent_proxy, tmp_path):
    urls = [f"http://mirror-{i}.invalid/f.gz" for i in range(3)]
    start = time.monotonic()
    with pytest.raises(DownloadError, match="did not answer") as info:
        download.fetch(urls, tmp_path / "f.gz", MD5, timeout=0.5)
    assert time.monotonic() - start < 1.5  # one timeout, not three
    assert len(info.value.failures) == 1 and silent_proxy in info.value.failures[0]
    assert listing(tmp_path) == []
