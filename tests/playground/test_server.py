"""The playground's server without a browser: a real uvicorn on a loopback port, spoken to over
its WebSocket and HTTP, and the ``chainrule playground`` command's refusals."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import time
import urllib.request

import numpy as np
import pytest

import chainrule
from chainrule.cli.app import run
from chainrule.errors import InputError

from .conftest import need_web_stack

pytestmark = pytest.mark.usefixtures("web_stack")


@pytest.fixture(scope="module")
def web_stack():
    need_web_stack()


@contextlib.contextmanager
def tab_on(url: str, settings=None):
    """A tab's WebSocket session, closed at the end of the block."""
    from websockets.sync.client import connect  # (the optional extra)

    with connect(url.replace("http", "ws") + "ws", max_size=16 << 20) as socket:
        yield Tab(socket, settings)


class Tab:
    """One WebSocket session, as the page opens it."""

    def __init__(self, socket, settings=None):
        self.socket = socket
        self.socket.send(json.dumps({"settings": settings or {}}))
        self.hello = self.receive()
        self.data = self.receive()
        self.frame = self.receive()
        self.ids = 0

    def receive(self) -> dict:
        return json.loads(self.socket.recv(timeout=30))

    def ask(self, op: str, **body) -> dict:
        """Send a request; return its reply (messages before it are kept in ``self.seen``)."""
        self.ids += 1
        self.socket.send(json.dumps({"op": op, "id": self.ids, **body}))
        self.seen = []
        while True:
            message = self.receive()
            if message.get("type") == "frame" and message.get("id") is None:
                self.socket.send(json.dumps({"op": "ack", "seq": message["seq"]}))
            if message.get("id") == self.ids:
                return message
            self.seen.append(message)


def test_a_tab_gets_its_session_data_and_first_frame(playground):
    with tab_on(playground.url, {"data": "xor", "layers": [3]}) as tab:
        assert (
            tab.hello["type"] == "hello" and tab.hello["session"] in playground.app.state.sessions
        )
        assert tab.data["settings"]["data"] == "xor" and tab.data["sizes"] == [2, 3, 1]
        assert tab.frame["type"] == "frame" and tab.frame["epoch"] == 0
        assert set(tab.frame["params"]) == {"W1", "b1", "W2", "b2"}
        step = tab.ask("step")
        assert step["epoch"] == 1 and step["seq"] == tab.frame["seq"] + 1


def test_tabs_are_independent_and_a_closed_tab_is_freed(playground):
    sessions = playground.app.state.sessions
    with tab_on(playground.url) as one, tab_on(playground.url, {"lr": 0.5}) as two:
        assert one.hello["session"] != two.hello["session"]
        one.ask("step")
        one.ask("step")
        assert two.ask("step")["epoch"] == 1
        assert sessions[one.hello["session"]].session.settings["lr"] == 0.1
        name = one.hello["session"]
        one.socket.close()  # the tab is closed
        deadline = time.monotonic() + 10
        while name in sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert name not in sessions and two.hello["session"] in sessions


def test_play_streams_frames_until_paused_and_a_paused_session_is_idle(playground):
    with tab_on(playground.url) as tab:
        tab.ask("play")
        epochs = []
        while len(epochs) < 5:
            message = tab.receive()
            if message["type"] == "frame":
                epochs.append(message["epoch"])
                tab.socket.send(json.dumps({"op": "ack", "seq": message["seq"]}))
        assert epochs == sorted(epochs) and len(set(epochs)) == 5
        tab.ask("pause")
        stats = tab.ask("stats")
        time.sleep(0.3)
        assert tab.ask("stats")["sent"] == stats["sent"]  # nothing runs while paused
        conn = playground.app.state.sessions[tab.hello["session"]]
        assert conn.player is None


def test_bad_input_gets_an_error_and_the_session_keeps_working(playground):
    with tab_on(playground.url) as tab:
        reply = tab.ask("csv", text="x1,x2,label\n1,2,three\n")
        assert reply["type"] == "error" and "not a number" in reply["message"]
        assert tab.ask("configure", settings={"lr": "fast"})["type"] == "error"
        assert tab.ask("explain", param="W7[0,0]")["type"] == "error"
        assert tab.ask("teleport")["type"] == "error"
        assert tab.ask("step")["epoch"] == 1
        explained = tab.ask("explain", param="W1[0,1]", sample=2)
        assert explained["product"] == pytest.approx(explained["numeric"], abs=1e-6)


def test_a_diverged_network_still_talks_json(playground):
    with tab_on(playground.url, {"activation": "identity", "lr": 10.0}) as tab:
        diverged = tab.ask("step")
        assert diverged["type"] == "diverged" and "learning rate" in diverged["message"]
        nan = tab.ask("explain", param="W1[0,0]")  # a cost of inf - inf: NaN, null in JSON
        assert nan["type"] == "explain" and nan["numeric"] is None
        assert tab.ask("reset")["epoch"] == 0


def test_the_pages_files_ship_inside_the_package():
    from chainrule.playground.server import STATIC  # (the optional extra: starlette)

    for name in ("index.html", "app.js", "state.js", "draw.js", "talk.js", "style.css"):
        assert (STATIC / name).is_file(), (
            f"{STATIC / name} is missing from the installed package: pyproject.toml must list "
            "static/* as package data of chainrule.playground"
        )


def test_the_page_its_files_and_the_model_download(playground, tmp_path):
    with urllib.request.urlopen(playground.url) as response:
        assert b"chainrule playground" in response.read()
    for name in ("app.js", "state.js", "draw.js", "talk.js", "style.css"):
        with urllib.request.urlopen(playground.url + "static/" + name) as response:
            assert response.status == 200, f"static/{name} is not served (not packaged?)"
    with tab_on(playground.url) as tab:
        tab.ask("step")
        with urllib.request.urlopen(f"{playground.url}api/{tab.hello['session']}/model.npz") as r:
            (tmp_path / "m.npz").write_bytes(r.read())
        model = chainrule.load(tmp_path / "m.npz")
        params = tab.ask("set", param="b1[0]", value=0.5)["params"]
        np.testing.assert_array_equal(model.parameters()["W1"], params["W1"])
        assert params["b1"][0] == 0.5
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{playground.url}api/nobody/model.npz")


def test_only_loopback_addresses_unless_allowed():
    from chainrule.playground.serve import bind, is_loopback  # (the optional extra)

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    with pytest.raises(InputError, match="--allow-remote"):
        bind("0.0.0.0", 8765)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert run(["playground", "--host", "0.0.0.0", "--no-browser"]) == 2
    assert "not a loopback address" in err.getvalue()


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--port", "70000"], "must be a port from 1 to 65535, got '70000'"),
        (["--port", "0"], "must be a port from 1 to 65535"),
        (["--port", "http"], "must be a port from 1 to 65535"),
        (["--host", "0.0.0.0", "--allow-remote"], "name the host names remote browsers will use"),
    ],
)
def test_a_bad_port_or_unnamed_remote_hosts_are_one_sentence(argv, said, capsys):
    try:
        status = run(["playground", "--no-browser", *argv])
    except SystemExit as e:  # argparse's own errors
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    assert said in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_remote_hosts_are_the_named_ones_or_the_single_address():
    from chainrule.playground.serve import remote_hosts  # (the optional extra)

    assert remote_hosts("192.168.1.4", []) == ["192.168.1.4"]
    assert remote_hosts("0.0.0.0", ["mybox.local", "10.0.0.2"]) == ["mybox.local", "10.0.0.2"]
    assert remote_hosts("127.0.0.1", []) == []


def test_a_taken_port_gives_a_free_one():
    from chainrule.playground.serve import bind, url_of  # (the optional extra)

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        sock = bind("127.0.0.1", port)
        assert sock.getsockname()[1] != port
        assert url_of(sock) == f"http://127.0.0.1:{sock.getsockname()[1]}/"
        sock.close()
    finally:
        taken.close()
