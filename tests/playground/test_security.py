"""The playground against a hostile web page and a greedy client, on a real uvicorn server: a
foreign ``Origin`` cannot open a session (cross-site WebSocket hijacking), a foreign ``Host`` gets
nothing (DNS rebinding), the number of sessions is bounded and a closed one is freed, and a small
model file declaring huge layers is refused before any array is read."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import tracemalloc
import weakref
import zipfile

import numpy as np
import pytest

from .conftest import need_web_stack
from .live import running, status, wait_until

pytestmark = pytest.mark.usefixtures("web_stack")


@pytest.fixture(scope="module")
def web_stack():
    need_web_stack()


@pytest.fixture(scope="module")
def served():
    with running(remote=["mybox.example"]) as (port, app):
        yield port, app


def connect(port: int, **options):
    from websockets.sync.client import connect as ws_connect  # (the optional extra)

    return ws_connect(f"ws://127.0.0.1:{port}/ws", max_size=16 << 20, open_timeout=10, **options)


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}", "file://"],
)
def test_a_foreign_origin_cannot_open_a_socket_or_read_the_page(served, origin):
    from websockets.exceptions import InvalidStatus

    port, app = served
    origin = origin.format(port=port)
    assert status(port, f"127.0.0.1:{port}", origin, "/ws", socket=True) == 403
    with pytest.raises(InvalidStatus) as refused:
        connect(port, origin=origin)
    assert refused.value.response.status_code == 403
    assert status(port, f"127.0.0.1:{port}", origin) == 403
    assert app.state.open == 0 and app.state.sessions == {}  # no session was ever made


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "mybox.example"])
def test_the_pages_own_origins_open_sockets(served, name):
    port, _ = served
    assert status(port, f"{name}:{port}", f"http://{name}:{port}", "/ws", socket=True) == 101
    assert status(port, f"{name}:{port}", f"http://{name}:{port}") == 200
    assert status(port, f"{name}:{port}") == 200  # no Origin: a program, not a page


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.2:{port}"])
def test_a_foreign_host_gets_400_dns_rebinding(served, host):
    port, app = served
    host = host.format(port=port)
    assert status(port, host) == 400
    assert status(port, host, path="/static/app.js") == 400
    assert status(port, host, f"http://{host}", "/ws", socket=True) == 400
    assert app.state.sessions == {}


def test_sessions_are_bounded_and_a_closed_one_is_freed():
    from websockets.exceptions import ConnectionClosed

    from chainrule.playground.server import MAX_SESSIONS

    with running() as (port, app), contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(port)) for _ in range(MAX_SESSIONS)]
        assert wait_until(lambda: app.state.open == MAX_SESSIONS)  # accepted, no settings yet
        with connect(port) as extra:
            busy = json.loads(extra.recv(timeout=10))
            assert busy["type"] == "error" and f"{MAX_SESSIONS} sessions" in busy["message"]
            with pytest.raises(ConnectionClosed) as closed:
                extra.recv(timeout=10)
            assert closed.value.rcvd.code == 1013  # try again later
        sockets.pop().close()
        assert wait_until(lambda: app.state.open == MAX_SESSIONS - 1)
        with connect(port) as again:
            again.send(json.dumps({"settings": {}}))
            assert json.loads(again.recv(timeout=30))["type"] == "hello"
        stack.close()
        assert wait_until(lambda: app.state.open == 0)

        with connect(port) as tab:
            tab.send(json.dumps({"settings": {"points": 2000}}))
            hello = json.loads(tab.recv(timeout=30))
            session = weakref.ref(app.state.sessions[hello["session"]].session)
            tab.send(json.dumps({"op": "play", "id": 1}))
            tab.recv(timeout=30)
        assert wait_until(lambda: app.state.sessions == {} and app.state.open == 0)
        assert wait_until(lambda: gc.collect() >= 0 and session() is None), "a session was kept"


def huge_model_file(sizes=(2, 3000, 3000, 1)) -> bytes:
    """A chainrule model file of zeros declaring ``sizes``, deflated (~100 KB), written a
    chunk at a time so that making it costs no memory either."""
    from chainrule.modelfile import FORMAT_VERSION, HEADER
    from chainrule.models.store import describe_shapes

    header = {"format": FORMAT_VERSION, "engine": "network", "sizes": list(sizes)}
    header |= {"activation": "tanh", "cost": "quadratic", "init": "scaled", "dtype": "float64"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, shape in describe_shapes(list(sizes)).items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                fields = {"descr": "<f8", "fortran_order": False, "shape": shape}
                np.lib.format.write_array_header_1_0(member, fields)
                rows = np.zeros((1, shape[-1]))
                for _ in range(shape[0] if len(shape) == 2 else 1):
                    member.write(rows.tobytes())
        text = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        with archive.open(f"{HEADER}.npy", "w") as member:
            np.lib.format.write_array(member, text)
    return buffer.getvalue()


def test_a_small_file_declaring_huge_layers_is_refused_before_any_array_is_read():
    from chainrule.errors import DataError
    from chainrule.playground import keep
    from chainrule.playground.session import Session

    data = huge_model_file()
    assert len(data) < 1 << 20  # ~100 KB on the wire, 72 MB of weights declared
    session = Session()
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="do not fit the playground"):
            keep.load_model(session, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"refusing the file took {peak / 2**20:.0f} MiB"
    assert session.settings["layers"] == [4, 2]  # the session is as it was


def test_a_socket_that_never_says_hello_is_closed(monkeypatch):
    """A socket that sends no settings holds a place among MAX_SESSIONS: it gets FIRST_SECONDS."""
    from websockets.exceptions import ConnectionClosed

    from chainrule.playground import server

    monkeypatch.setattr(server, "FIRST_SECONDS", 0.5)
    with running() as (port, app), connect(port) as silent:
        assert wait_until(lambda: app.state.open == 1)
        with pytest.raises(ConnectionClosed):
            silent.recv(timeout=10)
        assert wait_until(lambda: app.state.open == 0) and app.state.sessions == {}
