"""A playground server of the test's own (its limits and host names are the test's to set), and
requests with hand-written ``Host`` and ``Origin`` headers, as a hostile page's would carry."""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import threading
import time

import pytest


@contextlib.contextmanager
def running(remote=()):
    """A real uvicorn playground on 127.0.0.1 and a free port: yields ``(port, app)``."""
    from chainrule.playground.serve import bind, server  # (the optional extra)

    sock = bind("127.0.0.1", None)
    instance = server(sock, remote=remote)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the playground server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1], instance.config.app
    finally:
        instance.should_exit = True
        thread.join(10)


def status(port: int, host: str, origin: str | None = None, path="/", socket=False) -> int:
    """The HTTP status of ``GET path`` (a WebSocket handshake when ``socket``) sent to
    127.0.0.1:``port`` with these ``Host`` and ``Origin`` headers (101: the socket opened)."""
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = origin
    if socket:
        key = base64.b64encode(os.urandom(16)).decode()
        headers |= {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key}
        headers["Sec-WebSocket-Version"] = "13"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def run_async(make_coroutine, seconds: float):
    """``asyncio.run`` of ``make_coroutine()`` on a thread of its own, bounded by ``seconds``:
    the test's main thread may hold Playwright's sync driver, whose event loop counts as running
    there and so refuses a second ``asyncio.run``."""
    import asyncio

    outcome: dict = {}

    def run():
        try:
            outcome["value"] = asyncio.run(asyncio.wait_for(make_coroutine(), seconds))
        except BaseException as e:  # handed to the test's thread below
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds + 10)
    if thread.is_alive():
        pytest.fail(f"the test's event loop did not finish within {seconds + 10:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def wait_until(condition, seconds: float = 10.0) -> bool:
    """Poll ``condition()`` until it holds or ``seconds`` pass; its last value."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
