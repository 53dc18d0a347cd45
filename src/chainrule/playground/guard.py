"""Who may talk to the playground's server: requests addressed to its own host names (the
``Host`` header) from its own page (the ``Origin`` header).

Two attacks from a web page the user happens to visit, while the playground runs:

* **cross-site WebSocket hijacking**: the page runs ``new WebSocket("ws://127.0.0.1:8765/ws")``
  and drives a session (WebSockets are not bound by the same-origin policy). The browser sends
  the page's origin with the handshake, so :class:`SameOrigin` refuses it (403) before any
  session is made.
* **DNS rebinding**: the page's own host name is made to resolve to 127.0.0.1, so its requests
  are same-origin; but they carry that host name in ``Host``, which Starlette's
  ``TrustedHostMiddleware`` (given :func:`allowed_hosts`) refuses with 400.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
FOREIGN = (
    "this playground answers only its own page; open it at the address chainrule playground "
    "printed."
)


def allowed_hosts(remote=()) -> list[str]:
    """The host names the server answers to: the loopback names and ``remote`` (IPv6
    addresses in brackets, as they appear in a URL)."""
    names = [*LOOPBACK, *remote]
    return [f"[{h}]" if ":" in h and not h.startswith("[") else h.lower() for h in names]


class SameOrigin:
    """Refuse any request whose ``Origin`` header is not one of ``origins`` (the page's own):
    a WebSocket handshake with 403 before any session is made, HTTP with 403 and a sentence.

    Browsers send ``Origin`` with every WebSocket handshake and cross-origin request, so a
    page from another site (or another port, or ``Origin: null`` from a sandboxed frame or a
    file) cannot open a session. A request without ``Origin`` comes from a program, not from a
    page in a browser, and is let through: it is no cross-site attack, and whoever runs a local
    program can run chainrule itself."""

    def __init__(self, app, origins):
        self.app, self.origins = app, frozenset(origins)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            origin = Headers(scope=scope).get("origin")
            if origin is not None and origin.lower() not in self.origins:
                if scope["type"] == "websocket":  # closed before accept: the handshake gets 403
                    await WebSocket(scope, receive, send).close(code=1008)
                else:
                    await PlainTextResponse(FOREIGN, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def origins(hosts, port: int) -> list[str]:
    """The page's own origins: ``http://HOST:PORT`` for each of ``hosts`` (and ``http://HOST``
    on port 80, where browsers leave the port out)."""
    return [f"http://{h}:{port}" for h in hosts] + (
        [f"http://{h}" for h in hosts] if port == 80 else []
    )
