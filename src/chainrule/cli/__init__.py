"""The ``chainrule`` command: ``main()`` is its entry point, ``build_parser()`` its parser.

The commands live in their own modules (``train``; ``inspect``: check and explain; ``pictures``:
plot and graph; ``demo``), registered by ``app``. ``main`` turns Ctrl-C into one line (exit 130)
from its first moment: the libraries are imported only after that guard is in place.
"""

from __future__ import annotations

import signal
import sys

__all__ = ["build_parser", "main"]


def _interrupted(*_) -> None:
    print("chainrule: interrupted while starting; nothing was written.", file=sys.stderr)
    raise SystemExit(130)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    guard = signal.getsignal(signal.SIGINT)
    if guard is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    try:
        # Imported here, not above: numpy, matplotlib and the engines take a second to load,
        # and Ctrl-C in that second must be one line, not a traceback (the guard above).
        from chainrule.cli.app import run
    except SystemExit:  # Ctrl-C while starting: under MPI, every rank of the job ends with it
        from chainrule.distributed import abort_job, launched

        if launched():
            abort_job(130)
        raise
    finally:
        signal.signal(signal.SIGINT, guard)
    return run(argv)


def build_parser():
    """The ``chainrule`` argument parser (see chainrule.cli.app)."""
    from chainrule.cli.app import build_parser as build  # (imported late, as in main)

    return build()
