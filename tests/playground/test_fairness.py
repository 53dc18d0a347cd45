"""The playground shares the CPU fairly: 30 tabs playing the costliest sessions the settings allow
(the value engine, 2000 points, six hidden layers of 8) leave a normal tab's step under a second,
and once they close the server goes quiet within seconds (their work is cancelled, not finished).

The real server (uvicorn on a loopback port, the ``playground`` fixture) and real WebSocket
clients; every wait is bounded."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from .conftest import need_web_stack
from .live import run_async

HOSTILE = 30  # tabs (under the server's bound on sessions)
COSTLY = {"engine": "value", "points": 2000, "layers": [8] * 6}
WAIT = 60.0  # seconds: the longest any one wait of this test may take
WINDOW = 6.0  # seconds in which the costly tabs' frames are counted


@pytest.fixture(scope="module", autouse=True)
def web_stack():
    need_web_stack()


async def _open(url: str, settings: dict):
    """A tab's socket once its hello, data and first frame have arrived."""
    from websockets.asyncio.client import connect  # (the optional extra)

    socket = await asyncio.wait_for(connect(url, max_size=16 << 20), WAIT)
    await socket.send(json.dumps({"settings": settings}))
    for _ in range(3):
        await asyncio.wait_for(socket.recv(), WAIT)
    return socket


async def _play(socket, frames: list) -> None:
    """Play, acknowledging every frame at once (the most a page can ask for), until closed."""
    from websockets.exceptions import ConnectionClosed

    await socket.send(json.dumps({"op": "play", "id": 1}))
    try:
        while True:
            message = json.loads(await socket.recv())
            if message.get("type") == "frame" and "seq" in message:
                frames.append(message["seq"])
                await socket.send(json.dumps({"op": "ack", "seq": message["seq"]}))
    except ConnectionClosed:
        pass


async def _ask(socket, op: str, tag: int) -> tuple[float, dict]:
    """Seconds until the reply to request ``op`` arrives, and the reply (every frame is
    acknowledged, as the page does, so the tab's own play loop is never held back)."""
    start = time.perf_counter()
    await socket.send(json.dumps({"op": op, "id": tag}))
    while True:
        reply = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        if "seq" in reply:
            await socket.send(json.dumps({"op": "ack", "seq": reply["seq"]}))
        if reply.get("id") == tag:
            return time.perf_counter() - start, reply


def _busy(seconds: float) -> float:
    """This process's CPU use over the next ``seconds`` (1.0: one core busy all along)."""
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def _crowd(url: str) -> tuple[list[float], list[int]]:
    """Open the costly tabs and let them play; time three steps of a normal tab among them.
    Returns the times of three steps and a pause, and the frames each costly tab got in a
    ``WINDOW`` meanwhile."""
    hostile = [await _open(url, COSTLY) for _ in range(HOSTILE)]
    frames = [[] for _ in hostile]
    players = [asyncio.create_task(_play(s, f)) for s, f in zip(hostile, frames)]
    normal = await _open(url, {})
    await asyncio.sleep(2.0)  # every hostile tab is playing by now
    before, start = [len(f) for f in frames], time.perf_counter()
    times = []
    for tag in range(2, 5):
        seconds, reply = await _ask(normal, "step", tag)
        assert reply["type"] == "frame", reply
        times.append(seconds)
    # Playing too, it pauses (or changes a setting, which pauses first) without waiting its turn.
    assert (await _ask(normal, "play", 5))[1]["type"] == "playing"
    seconds, reply = await _ask(normal, "pause", 6)
    assert reply["type"] == "paused", reply
    times.append(seconds)
    await normal.close()
    await asyncio.sleep(WINDOW - (time.perf_counter() - start))
    served = [len(f) - b for f, b in zip(frames, before)]
    for socket in hostile:
        await asyncio.wait_for(socket.close(), WAIT)
    await asyncio.wait_for(asyncio.gather(*players), WAIT)
    return times, served


def test_a_normal_tab_steps_and_pauses_in_under_a_second_among_30_costly_ones(playground):
    url = playground.url.replace("http", "ws") + "ws"
    times, frames = run_async(lambda: _crowd(url), 5 * WAIT)
    assert max(times) < 1.0, f"a normal tab waited {times} s among {HOSTILE} costly tabs"
    # Meanwhile the costly tabs were served, in turns: none ran ahead of the others by more
    # than a frame or two.
    assert sum(frames) >= 1 and max(frames) - min(frames) <= 2, frames
    # Closed tabs stop: the server is idle within a few seconds, not minutes.
    deadline = time.monotonic() + 5.0
    while (load := _busy(0.5)) > 0.2:
        assert time.monotonic() < deadline, f"still {load:.0%} CPU 5 s after the tabs closed"
    assert not playground.app.state.sessions
