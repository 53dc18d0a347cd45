"""Starting the playground: a socket on a loopback address (the default port, or a free one
when it is taken), the URL printed, the browser opened, uvicorn serving until Ctrl-C.

A host other than a loopback address would let anyone on the network drive this machine's CPU
and read its sessions, so it is refused unless ``remote`` names the host names that remote
browsers use to reach it (the server answers to those and the loopback names only; see
``chainrule.playground.guard``).
"""

from __future__ import annotations

import ipaddress
import socket
import webbrowser

import uvicorn

from chainrule.errors import InputError
from chainrule.playground.server import MAX_MESSAGE, create_app

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str = "127.0.0.1", port: int | None = DEFAULT_PORT, allow_remote=False):
    """A listening socket on ``host:port``, or on a free port when ``port`` is taken (or None)."""
    if not is_loopback(host) and not allow_remote:
        raise InputError(
            f"{host} is not a loopback address: anyone who reaches it could use this machine; "
            "serve on 127.0.0.1, or pass --allow-remote if you mean it."
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in ([port] if port else []) + [0]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as e:
            sock.close()
            if candidate == 0:
                raise InputError(f"cannot listen on {host}: {e.strerror or e}.") from None
            continue
        sock.listen(64)
        return sock
    raise AssertionError("unreachable")


def url_of(sock) -> str:
    """``http://HOST:PORT/`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def server(sock, quiet: bool = True, remote=()) -> uvicorn.Server:
    """A uvicorn server for the playground's app on ``sock`` (``.run(sockets=[sock])``),
    answering to the loopback names and the host names in ``remote``."""
    app = create_app(sock.getsockname()[1], remote)
    config = uvicorn.Config(app, log_level="warning" if quiet else "info", ws_max_size=MAX_MESSAGE)
    return uvicorn.Server(config)


def remote_hosts(host: str, remote) -> list[str]:
    """The host names remote browsers may use: ``remote``, or ``host`` itself when ``remote``
    is empty and ``host`` is one address (0.0.0.0 and :: listen everywhere: name the hosts)."""
    if remote or is_loopback(host):
        return list(remote)
    if host in ("0.0.0.0", "::", ""):
        raise InputError(
            f"--host {host or '(all)'} listens on every address; name the host names remote "
            "browsers will use, e.g. --allow-remote 192.168.1.4 mybox.local."
        )
    return [host]


def serve(host="127.0.0.1", port=DEFAULT_PORT, browser=True, remote=None):
    """Serve until interrupted; print the URL and open it in the browser. ``remote`` (None:
    loopback only) lists the host names remote browsers may use (see :func:`remote_hosts`)."""
    names = [] if remote is None else remote_hosts(host, remote)
    sock = bind(host, port, allow_remote=remote is not None)
    url = url_of(sock)
    note = "" if not port or url.endswith(f":{port}/") else f" (port {port} was taken)"
    print(f"chainrule playground: {url}{note}  (Ctrl-C to stop)", flush=True)
    if names:
        print(f"answering remote browsers at {', '.join(names)}", flush=True)
    if browser:
        webbrowser.open(url)
    server(sock, remote=names).run(sockets=[sock])
