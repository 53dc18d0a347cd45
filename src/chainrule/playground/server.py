"""The playground's web app (Starlette): the page, its files, one WebSocket per tab, downloads.

Each WebSocket is one session (``chainrule.playground.session.Session``): a tab that opens the
page gets its own, and closing the tab closes the socket and frees it. The page sends requests as
JSON ``{"op": ..., "id": ...}`` and gets each answer (or an ``error`` with one sentence) tagged
with the same ``id``. Training runs in a worker thread, never on the event loop, one epoch per
frame, while the page is playing; a paused page's session does nothing. Frames are flow
controlled: the page acknowledges each one, and the server stays at most ``AHEAD`` frames ahead,
so a slow browser slows training down instead of queueing frames.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import secrets
import weakref
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from chainrule.errors import ChainruleError
from chainrule.models.registry import menus
from chainrule.playground import keep, requests
from chainrule.playground.guard import SameOrigin, allowed_hosts, origins
from chainrule.playground.requests import (
    REQUIRED,
    BadRequest,
    Op,
    mapping,
    number,
    parse,
    text,
    whole,
)
from chainrule.playground.session import Session
from chainrule.playground.settings import choices

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("chainrule.playground")
AHEAD = 4  # frames sent but not yet acknowledged by the page
MAX_SESSIONS = 32  # open sockets per server; each session holds data, a model and a thread's work
FIRST_SECONDS = 30  # a socket that sends no settings within this is closed
MAX_MESSAGE = 16 << 20  # bytes of one WebSocket message (uvicorn refuses larger ones)
MAX_MODEL_BASE64 = (keep.MAX_MODEL_BYTES + 2) // 3 * 4  # a model file's base64 text
BUSY = (
    f"the playground already has {MAX_SESSIONS} sessions open, its limit; close a tab (or wait) "
    "and reload this page."
)
BUDGET = 0.03  # seconds of training steps per frame (a frame of a slow network is part of an epoch)
_TURNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> its play turns


class Connection:
    """One tab: its session, its play loop, and how many frames it has been sent."""

    def __init__(self, socket: WebSocket, session: Session):
        self.socket, self.session = socket, session
        self.player: asyncio.Task | None = None
        self.playing = False
        self.waiting = False  # the play loop is queued for its turn (nothing under way)
        self.sent = self.acked = 0
        self.room = asyncio.Event()
        self.room.set()

    async def call(self, method, *args):
        """``method(*args)`` in a worker thread, under the session's lock."""

        def locked():
            with self.session.lock:
                return method(*args)

        return await asyncio.to_thread(locked)

    async def send(self, message: dict) -> None:
        """Send a message; frames are numbered here, as they leave."""
        if message.get("type") == "frame":
            self.sent += 1
            message = {**message, "seq": self.sent}
            if self.sent - self.acked >= AHEAD:
                self.room.clear()
        try:
            text = json.dumps(message, allow_nan=False)
        except ValueError:  # NaN or inf somewhere (a diverged network): JSON has no such numbers
            text = json.dumps(_finite(message), allow_nan=False)
        await self.socket.send_text(text)

    def advance(self, budget: float | None = BUDGET):
        """One frame's work: training steps for at most ``budget`` seconds (None: no limit) or
        to the end of the epoch under way, then the frame (None when training diverged)."""
        if not self.session.train(budget):
            return None
        return self.session.frame()

    async def play(self) -> None:
        """Frame after frame until paused, diverged, or the tab is gone. The play loops of all
        tabs take turns (``turns``: first come, first served, one frame's work at a time), so
        each gets its share of the CPU and a tab's own requests are never queued behind them;
        a closed tab's work stops after the step under way (``Session.stop``)."""
        try:
            while self.playing:
                await self.room.wait()
                if not self.playing:
                    break
                self.waiting = True
                async with self.turns():
                    self.waiting = False
                    if not self.playing:
                        break
                    try:
                        frame = await self.call(self.advance)
                    except Exception as e:  # a bug: tell the page, stop playing, keep the session
                        log.exception("playground training failed")
                        frame = None
                        self.session.diverged = f"training stopped: internal error ({e!r})."
                if frame is None:
                    self.playing = False
                    await self.send({"type": "diverged", "message": self.session.diverged})
                    await self.send({"type": "paused"})
                    break
                await self.send(frame)
        except asyncio.CancelledError:  # the socket closed: the worker thread stops too
            if not self.waiting:
                self.session.stop.set()
            raise
        finally:
            self.player = None

    @staticmethod
    def turns() -> asyncio.Lock:
        """The running event loop's one lock that the play loops queue for (asyncio's lock wakes
        its waiters in order)."""
        loop = asyncio.get_running_loop()
        if loop not in _TURNS:
            _TURNS[loop] = asyncio.Lock()
        return _TURNS[loop]

    def start(self) -> None:
        """Start the play loop (a task on the event loop; the epochs run in a worker thread)."""
        if self.player is None:
            self.playing = True
            self.player = asyncio.create_task(self.play())

    async def pause(self) -> None:
        """Stop after the frame under way (it is sent first); a play loop only queued for its
        turn stops at once."""
        self.playing = False
        self.room.set()
        player = self.player
        if player is not None:
            if self.waiting:
                player.cancel()
            await asyncio.wait({player})

    def ack(self, seq: int) -> None:
        """The page has frame ``seq``: make room for the next when few enough are in flight."""
        self.acked = max(self.acked, int(seq))
        if self.sent - self.acked < AHEAD:
            self.room.set()


def _finite(value):
    """``value`` with every NaN or infinite float replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


async def page(request):
    """The page itself (``static/index.html``)."""
    return FileResponse(STATIC / "index.html")


async def download(request):
    """``/api/SESSION/model.npz`` (a model file) or ``/api/SESSION/run.zip`` (a run folder)."""
    conn = request.app.state.sessions.get(request.path_params["session"])
    if conn is None:
        return JSONResponse({"error": "no such session; reload the page."}, status_code=404)
    what = request.path_params["what"]
    if what == "model.npz":
        data = await conn.call(keep.model_file, conn.session)
        kind = "application/octet-stream"
    elif what == "run.zip":
        data = await conn.call(keep.run_folder, conn.session)
        kind = "application/zip"
    else:
        return JSONResponse({"error": "ask for model.npz or run.zip."}, status_code=404)
    headers = {"Content-Disposition": f'attachment; filename="{what}"'}
    return Response(data, media_type=kind, headers=headers)


async def socket(websocket: WebSocket):
    """One tab's session, from the page's first message to the tab's closing. Past
    ``MAX_SESSIONS`` open sockets a new one gets one sentence and is closed (1013, try again
    later); a closed socket's session is dropped, and with it everything it held."""
    state = websocket.app.state
    await websocket.accept()
    if state.open >= MAX_SESSIONS:
        log.warning("playground: refused a session, %d are open", state.open)
        await websocket.send_text(json.dumps({"type": "error", "message": BUSY}))
        await websocket.close(code=1013)
        return
    state.open += 1  # (no await since the check: no other socket can slip in between)
    name = secrets.token_urlsafe(12)
    conn = None
    try:
        settings, notes = await _first(websocket)
        try:
            session = await asyncio.to_thread(Session, settings)
        except ChainruleError as e:  # settings from a bad URL: start from the defaults
            session, notes = await asyncio.to_thread(Session), [f"{e} (defaults restored)"]
        conn = state.sessions[name] = Connection(websocket, session)
        hello = {"type": "hello", "session": name, "notes": notes, "choices": choices()}
        await conn.send({**hello, "engines": menus()})  # each engine's label, inits, capabilities
        await conn.send(session.data())
        await conn.send(await conn.call(session.frame))
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            await handle(conn, message)
    except (WebSocketDisconnect, asyncio.TimeoutError):  # (TimeoutError's alias from 3.11)
        pass
    finally:
        state.open -= 1
        if conn is not None and conn.player is not None:
            conn.playing = False
            conn.player.cancel()
        state.sessions.pop(name, None)


async def _first(websocket: WebSocket) -> tuple[dict, list[str]]:
    """The settings in the page's first message, ``{"settings": {...}}`` (the defaults, and a
    note why, when it is not that); a socket silent for ``FIRST_SECONDS`` is closed."""
    message = await asyncio.wait_for(websocket.receive(), FIRST_SECONDS)
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        first = parse(message)
        return mapping()("settings", first.get("settings") or {}), []
    except BadRequest as e:
        return {}, [f"{e} (defaults used)"]


async def handle(conn: Connection, message: dict) -> None:
    """Answer one WebSocket message: the request's entry in ``OPS`` checks its fields and
    answers. A bad request or a ChainruleError becomes an ``error`` message with one sentence,
    and nothing changes; only a bug is logged with its traceback."""
    op = tag = None
    try:
        request = parse(message)
        op, tag = request.get("op"), requests.tag(request)
        entry = OPS.get(op) if isinstance(op, str) else None
        if entry is None:
            op = None if not isinstance(op, str) or len(op) > 32 else op
            raise BadRequest(f"unknown request {op!r}; the page sends one of {', '.join(OPS)}.")
        reply = await entry.answer(conn, **entry.arguments(request))
        if reply is None:
            return
    except BadRequest as e:
        log.warning("playground: refused a request: %s", e)
        reply = {"type": "error", "op": op, "message": str(e)}
    except ChainruleError as e:
        reply = {"type": "error", "op": op, "message": str(e)}
    except Exception as e:  # a bug: say so in the page, keep the session and the server up
        log.exception("playground request %r failed", op)
        reply = {"type": "error", "op": op, "message": f"internal error ({e!r}); please report it."}
    await conn.send({**reply, "id": tag})


# ---------------------------------------------------------------------------------- requests
async def _ack(conn: Connection, seq: int) -> None:
    if seq > conn.sent:
        raise BadRequest(f"ack of frame {seq}, but only {conn.sent} frame(s) were sent.")
    conn.ack(seq)


async def _play(conn: Connection) -> dict:
    conn.start()
    return {"type": "playing"}


async def _pause(conn: Connection) -> dict:
    await conn.pause()
    return {"type": "paused"}


async def _step(conn: Connection) -> dict:
    """The step button: the rest of the epoch under way, whatever it costs, then its frame."""
    reply = await conn.call(conn.advance, None)
    return reply if reply is not None else {"type": "diverged", "message": conn.session.diverged}


async def _stats(conn: Connection) -> dict:
    return {"type": "stats", "sent": conn.sent, "acked": conn.acked}


def _rebuilds(change):
    """A request that pauses, changes the data or the model (``change(session, **fields)``
    returns notes), then sends the new data and answers with a frame."""

    async def answer(conn: Connection, **fields) -> dict:
        await conn.pause()
        notes = await conn.call(partial(change, conn.session, **fields))
        await conn.send({**await conn.call(conn.session.data), "notes": notes or []})
        return await conn.call(conn.session.frame)

    return answer


def _asks(method, frame: bool = False):
    """A request answered by ``method(session, **fields)`` (then by a frame, when ``frame``)."""

    async def answer(conn: Connection, **fields) -> dict:
        reply = await conn.call(partial(method, conn.session, **fields))
        return await conn.call(conn.session.frame) if frame else reply

    return answer


def _model(session: Session, data: str) -> list[str]:
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise BadRequest("the model file did not arrive as base64; load it again.") from None
    return keep.load_model(session, raw)


SAMPLE = (whole(0), 0)  # a training sample's index (the session checks it against the data)
PARAM = (text(32), REQUIRED)  # "W1[0,1]"
OPS = {
    "ack": Op(_ack, {"seq": (whole(0, 2**53), REQUIRED)}),
    "play": Op(_play),
    "pause": Op(_pause),
    "step": Op(_step),
    "stats": Op(_stats),
    "configure": Op(
        _rebuilds(lambda s, settings: s.configure(settings)), {"settings": (mapping(), {})}
    ),
    "csv": Op(_rebuilds(Session.load_csv), {"text": (text(MAX_MESSAGE), REQUIRED)}),
    "model": Op(_rebuilds(_model), {"data": (text(MAX_MODEL_BASE64), REQUIRED)}),
    "reset": Op(_rebuilds(Session.reset)),
    "explain": Op(
        _asks(lambda s, param, sample: s.explain(param, sample)), {"param": PARAM, "sample": SAMPLE}
    ),
    "set": Op(
        _asks(lambda s, param, value: s.set_parameter(param, value), frame=True),
        {"param": PARAM, "value": (number(), REQUIRED)},
    ),
    "stages": Op(_asks(lambda s, sample: s.step_through(sample)), {"sample": SAMPLE}),
    "apply": Op(
        _asks(lambda s, sample: s.apply_sample_step(sample), frame=True), {"sample": SAMPLE}
    ),
    "gradcheck": Op(_asks(Session.gradcheck)),
    "agreement": Op(_asks(Session.agreement)),
}


# ---------------------------------------------------------------------------------- the app
def create_app(port: int, remote=()) -> Starlette:
    """The playground's ASGI app for a server on ``port``; ``app.state.sessions`` maps session
    names to connections. It answers only requests addressed to a loopback name or one of
    ``remote`` (the ``Host`` header: a DNS-rebinding page's host name is refused with 400),
    and only pages served from those names on ``port`` (the ``Origin`` header, see
    :class:`SameOrigin`)."""
    hosts = allowed_hosts(remote)
    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/{session}/{what}", download),
            WebSocketRoute("/ws", socket),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False),
            Middleware(SameOrigin, origins=origins(hosts, port)),
        ],
    )
    app.state.sessions = {}
    app.state.open = 0  # sockets accepted and not yet closed
    return app
