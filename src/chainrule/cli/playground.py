"""``chainrule playground``: the local web page where a network trains live on 2-D data, with
the chain rule for every weight on screen (chainrule.playground)."""

from __future__ import annotations

import argparse

from chainrule.playground.serve import serve

MAX_PORT = 65535


def port_number(text: str) -> int:
    """An argparse type: a TCP port, a whole number from 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = None
    if port is None or not 1 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to {MAX_PORT}, got {text!r}")
    return port


def run(args) -> int:
    """Serve the playground until Ctrl-C (exit 0)."""
    serve(args.host, args.port, not args.no_browser, args.allow_remote)  # until Ctrl-C
    return 0


def add_parser(commands, common) -> None:
    """Register ``chainrule playground [--host H] [--port P] [--no-browser]
    [--allow-remote [HOST ...]]``."""
    playground = commands.add_parser(
        "playground",
        parents=[common],
        help="train a network live in the browser, with the maths on screen",
    )
    playground.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    playground.add_argument(
        "--port", type=port_number, default=8765, help="port (default 8765; a free one if taken)"
    )
    playground.add_argument(
        "--no-browser", action="store_true", help="print the URL without opening a browser"
    )
    playground.add_argument(
        "--allow-remote",
        nargs="*",
        metavar="HOST",
        help="allow a --host other than a loopback address, answering browsers that reach this "
        "machine by the names HOST (default: the --host address); anyone reaching it can use "
        "the page",
    )
    playground.set_defaults(run=run)
