"""Whatever arrives on the playground's socket, the answer is one ``error`` sentence on a socket
that stays open, and the server's log gets one line, never a traceback: text that is not JSON,
JSON that is not an object, binary frames, deep nesting, huge integers, NaN and infinities, and
requests whose fields have the wrong type or range (each request's fields are checked in one
place, ``chainrule.playground.server.OPS``)."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest

from .test_server import Tab, tab_on

pytestmark = pytest.mark.usefixtures("web_stack")


@pytest.fixture(scope="module")
def web_stack():
    from .conftest import need_web_stack

    need_web_stack()


NOT_REQUESTS = {
    "binary frame": b'{"op": "stats"}',
    "not JSON": "hello",
    "a list": "[1, 2]",
    "a string": '"stats"',
    "null": "null",
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "deep object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "a 5000-digit integer": '{"op": "ack", "seq": ' + "7" * 5000 + "}",
    "Infinity": '{"op": "ack", "seq": Infinity}',
    "NaN": '{"op": "set", "param": "W1[0,0]", "value": NaN}',
    "1e400": '{"op": "set", "param": "W1[0,0]", "value": 1e400}',
}
BAD_FIELDS = {
    "ack of 1e300": {"op": "ack", "seq": 1e300},
    "ack of a frame never sent": {"op": "ack", "seq": 10**6},
    "ack of -1": {"op": "ack", "seq": -1},
    "ack of true": {"op": "ack", "seq": True},
    "ack without seq": {"op": "ack"},
    "unknown op": {"op": "teleport"},
    "no op": {"id": 3},
    "op a number": {"op": 7},
    "op a list": {"op": ["step"]},
    "explain a number": {"op": "explain", "param": 5},
    "explain sample 2.5": {"op": "explain", "param": "W1[0,0]", "sample": 2.5},
    "set a string": {"op": "set", "param": "W1[0,0]", "value": "big"},
    "configure a list": {"op": "configure", "settings": [1, 2]},
    "csv a number": {"op": "csv", "text": 12},
    "model not base64": {"op": "model", "data": "$$$$"},
    "model a dict": {"op": "model", "data": {}},
    "stages of sample -3": {"op": "stages", "sample": -3},
    "id a huge object": {"op": "nothing", "id": {"a": [1] * 1000}},
}


def errors_and_lines(tab: Tab, text, caplog) -> tuple[list[dict], list]:
    """Send ``text``, then ``stats``: the messages before stats' answer and the log's records."""
    caplog.clear()
    tab.socket.send(text)
    tab.socket.send(json.dumps({"op": "stats", "id": "after"}))
    seen = []
    while (message := tab.receive()).get("id") != "after":
        seen.append(message)
    assert message["type"] == "stats"  # the socket is still open and the session answers
    return seen, [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", [*NOT_REQUESTS, *BAD_FIELDS])
def test_a_bad_message_gets_one_error_and_one_log_line(playground, caplog, name):
    text = NOT_REQUESTS.get(name) or json.dumps(BAD_FIELDS.get(name))
    with tab_on(playground.url) as tab:
        seen, lines = errors_and_lines(tab, text, caplog)
        assert [m["type"] for m in seen] == ["error"], seen
        message = seen[0]["message"]
        assert message.endswith(".") and "internal error" not in message and len(message) < 300
        assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
        assert tab.ask("step")["epoch"] == 1


def test_flow_control_survives_a_bogus_ack(playground):
    """``seq: 1e300`` once turned flow control off: now the server stays at most AHEAD frames
    ahead of what the page acknowledged."""
    from chainrule.playground.server import AHEAD

    with tab_on(playground.url) as tab:  # (its first frame is not acknowledged)
        tab.socket.send(json.dumps({"op": "ack", "seq": 1e300}))
        assert tab.receive()["type"] == "error"
        tab.socket.send(json.dumps({"op": "play", "id": "play"}))
        frames = []
        while len(frames) < AHEAD - 1:
            message = tab.receive()
            frames += [message["seq"]] if message["type"] == "frame" else []
        time.sleep(0.5)  # room for more frames, were flow control off
        tab.socket.send(json.dumps({"op": "stats", "id": "stats"}))
        while (message := tab.receive()).get("id") != "stats":
            frames += [message["seq"]] if message["type"] == "frame" else []
        assert message["sent"] - message["acked"] == AHEAD and len(frames) == AHEAD - 1
        tab.socket.send(json.dumps({"op": "pause", "id": "pause"}))
        while tab.receive().get("id") != "pause":
            pass


GOOD = {
    "configure": {"settings": {"lr": 0.5, "layers": [3]}},
    "csv": {"text": "x1,x2,label\n" + "0,0,0\n1,1,1\n0,1,1\n1,0,0\n" * 4},
    "reset": {},
    "step": {},
    "explain": {"param": "W1[0,1]", "sample": 1},
    "set": {"param": "b1[0]", "value": 0.25},
    "stages": {"sample": 2},
    "apply": {"sample": 2},
    "gradcheck": {},
    "agreement": {},
    "play": {},
    "pause": {},
    "stats": {},
}


def test_every_request_with_good_fields_is_answered_without_a_log_line(
    playground, caplog, tmp_path
):
    import chainrule
    from chainrule.models import build
    from chainrule.playground.server import OPS

    assert set(GOOD) | {"ack", "model"} == set(OPS)
    model = build("network", [2, 5, 1], "tanh", "quadratic", "scaled", seed=3)
    chainrule.save(model, tmp_path / "m.npz")
    upload = base64.b64encode((tmp_path / "m.npz").read_bytes()).decode()
    with tab_on(playground.url) as tab:
        caplog.clear()
        for op, body in GOOD.items():
            reply = tab.ask(op, **body)
            assert reply["type"] != "error", (op, reply)
            if op == "set":
                assert reply["params"]["b1"][0] == 0.25
        reply = tab.ask("model", data=upload)
        assert reply["params"]["W1"] == model.parameters()["W1"].tolist()
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
