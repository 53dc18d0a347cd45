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
import json
import logging
import math
import secrets
import weakref
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from chainrule.errors import ChainruleError
from chainrule.models.registry import menus
from chainrule.playground import keep
from chainrule.playground.session import Session
from chainrule.playground.settings import choices

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("chainrule.playground")
AHEAD = 4  # frames sent but not yet acknowledged by the page
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

    def advance(self):
        """One frame's work: training steps for at most ``BUDGET`` seconds or to the end of the
        epoch under way, then the frame (None when training diverged)."""
        if not self.session.train(BUDGET):
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
    """One tab's session, from the page's first message to the tab's closing."""
    await websocket.accept()
    sessions = websocket.app.state.sessions
    name = secrets.token_urlsafe(12)
    conn = None
    try:
        first = json.loads(await websocket.receive_text())
        try:
            session = await asyncio.to_thread(Session, first.get("settings") or {})
            notes = []
        except ChainruleError as e:  # settings from a bad URL: start from the defaults
            session, notes = await asyncio.to_thread(Session), [f"{e} (defaults restored)"]
        conn = sessions[name] = Connection(websocket, session)
        hello = {"type": "hello", "session": name, "notes": notes, "choices": choices()}
        await conn.send({**hello, "engines": menus()})  # each engine's label, inits, capabilities
        await conn.send(session.data())
        await conn.send(await conn.call(session.frame))
        while True:
            message = json.loads(await websocket.receive_text())
            await handle(conn, message)
    except WebSocketDisconnect:
        pass
    finally:
        if conn is not None and conn.player is not None:
            conn.playing = False
            conn.player.cancel()
        sessions.pop(name, None)


async def handle(conn: Connection, message: dict) -> None:
    """Answer one request; a ChainruleError becomes an ``error`` message and nothing changes."""
    op, tag, s = message.get("op"), message.get("id"), conn.session
    try:
        if op == "ack":
            conn.ack(message["seq"])
            return
        if op == "play":
            conn.start()
            reply = {"type": "playing"}
        elif op == "pause":
            await conn.pause()
            reply = {"type": "paused"}
        elif op in ("configure", "csv", "model", "reset"):
            await conn.pause()
            if op == "configure":
                notes = await conn.call(s.configure, message.get("settings", {}))
            elif op == "csv":
                notes = await conn.call(s.load_csv, str(message.get("text", "")))
            elif op == "model":
                data = base64.b64decode(message.get("data", ""), validate=False)
                notes = await conn.call(keep.load_model, s, data)
            else:
                notes = await conn.call(s.reset) or []
            await conn.send({**await conn.call(s.data), "notes": notes})
            reply = await conn.call(s.frame)
        elif op == "step":
            reply = await conn.call(conn.advance)
            if reply is None:
                reply = {"type": "diverged", "message": s.diverged}
        elif op == "explain":
            reply = await conn.call(s.explain, message["param"], message.get("sample", 0))
        elif op == "set":
            await conn.call(s.set_parameter, message["param"], message["value"])
            reply = await conn.call(s.frame)
        elif op == "stages":
            reply = await conn.call(s.step_through, message.get("sample", 0))
        elif op == "apply":
            await conn.call(s.apply_sample_step, message.get("sample", 0))
            reply = await conn.call(s.frame)
        elif op == "gradcheck":
            reply = await conn.call(s.gradcheck)
        elif op == "agreement":
            reply = await conn.call(s.agreement)
        elif op == "stats":
            reply = {"type": "stats", "sent": conn.sent, "acked": conn.acked}
        else:
            reply = {"type": "error", "message": f"unknown request {op!r}."}
    except ChainruleError as e:
        reply = {"type": "error", "op": op, "message": str(e)}
    except (KeyError, TypeError, ValueError) as e:
        reply = {"type": "error", "op": op, "message": f"a malformed {op!r} request ({e})."}
    except Exception as e:  # a bug: say so in the page, keep the session and the server up
        log.exception("playground request %r failed", op)
        reply = {"type": "error", "op": op, "message": f"internal error ({e!r}); please report it."}
    await conn.send({**reply, "id": tag})


def create_app() -> Starlette:
    """The playground's ASGI app; ``app.state.sessions`` maps session names to connections."""
    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/{session}/{what}", download),
            WebSocketRoute("/ws", socket),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
    app.state.sessions = {}
    return app
