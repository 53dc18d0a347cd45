"""Signals that ask training to stop: Ctrl-C (SIGINT), SIGTERM (what a scheduler or ``kill``
sends) and SIGHUP (a closed terminal) all stop a run the same way, at the next step boundary,
after a checkpoint, so nothing is lost.

``with stop_signals() as stopped: train(..., stop=stopped)``: ``stopped()`` is True once a signal
came, and ``stopped.name`` says which. The previous handlers are restored on leaving.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

__all__ = ["SIGNALS", "Stopped", "stop_signals"]

SIGNALS = {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "terminated", "SIGHUP": "hung up"}


class Stopped:
    """A flag set by a signal handler: call it to ask whether to stop."""

    def __init__(self):
        self.name: str | None = None

    def __call__(self) -> bool:
        return self.name is not None

    def handle(self, number, frame) -> None:
        """The signal handler: remember which signal asked to stop."""
        self.name = SIGNALS.get(signal.Signals(number).name, signal.Signals(number).name)


@contextmanager
def stop_signals():
    """SIGINT, SIGTERM and SIGHUP set the yielded ``Stopped`` flag while inside."""
    stopped = Stopped()
    previous = {}
    for name in SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stopped.handle)
    try:
        yield stopped
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
