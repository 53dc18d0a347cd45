"""What the page may send: a WebSocket message parsed into one request, and each request's
fields checked (type and range) in one place.

A message is one JSON object sent as text, ``{"op": NAME, "id": TAG, FIELD: VALUE, ...}``.
Anything else is a :class:`BadRequest` (one sentence for the page; the socket stays open):

* a binary frame, text that is not JSON, JSON that is not an object;
* ``NaN``, ``Infinity`` or a number too large for a float (``1e400``): JSON has no such numbers;
* an integer of more than 4300 digits (Python's limit on ``int(str)``), nesting deeper than the
  parser's recursion limit;
* a field of the wrong type or out of its range (:func:`whole`, :func:`number`, :func:`text`,
  :func:`mapping` say which), or a missing one without a default.

Fields a request does not name are ignored, so a newer page can talk to an older server.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainrule.errors import InputError

MAX_TAG = 64  # characters in a string ``id``
REQUIRED = object()  # a field without a default


class BadRequest(InputError):
    """A message from the page that is not a request this server answers."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large for a float")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse(message: dict) -> dict:
    """The request in one ASGI ``websocket.receive`` message: a JSON object (a dict)."""
    text = message.get("text")
    if text is None:
        raise BadRequest("send requests as JSON text, not binary frames.")
    try:
        request = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest("that request is nested too deeply; send a flat JSON object.") from None
    except ValueError as e:  # not JSON, NaN/Infinity, 1e400, an integer over 4300 digits
        raise BadRequest(f"that request is not JSON ({_short(e)}); send a JSON object.") from None
    if not isinstance(request, dict):
        raise BadRequest(
            f'a request is a JSON object {{"op": ..., "id": ...}}, not a {type(request).__name__}.'
        )
    return request


def _short(error: Exception, limit: int = 120) -> str:
    text = str(error)
    return text if len(text) <= limit else text[:limit] + " ..."


# ---------------------------------------------------------------------------------- fields
Check = Callable[[str, Any], Any]


def whole(low: int = 0, high: int = 2**31) -> Check:
    """A whole number from ``low`` to ``high`` (not a bool, not 2.0)."""

    def check(name, value):
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
            raise BadRequest(
                f"{name} must be a whole number from {low} to {high}, not {_r(value)}."
            )
        return value

    return check


def number() -> Check:
    """Any finite number (JSON numbers are finite once parsed)."""

    def check(name, value):
        if not (isinstance(value, numbers.Real) and not isinstance(value, bool)):
            raise BadRequest(f"{name} must be a number, not {_r(value)}.")
        return float(value)

    return check


def text(limit: int) -> Check:
    """A string of at most ``limit`` characters."""

    def check(name, value):
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a string, not {_r(value)}.")
        if len(value) > limit:
            raise BadRequest(f"{name} is {len(value):,} characters long; at most {limit:,}.")
        return value

    return check


def mapping() -> Check:
    """A JSON object (its own keys are checked by whoever reads them)."""

    def check(name, value):
        if not isinstance(value, dict):
            raise BadRequest(f"{name} must be a JSON object of name: value, not {_r(value)}.")
        return value

    return check


def _r(value) -> str:
    """``repr`` of a value, cut short (a hostile value may be megabytes)."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:40] + " ..."


def tag(request: dict):
    """The request's ``id`` (echoed in its answer): None, a whole number or a short string;
    anything else is dropped (None) so the error can still be answered."""
    value = request.get("id")
    if isinstance(value, str):
        return value if len(value) <= MAX_TAG else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) <= 2**53 else None
    return None


@dataclass(frozen=True)
class Op:
    """One request the server answers: the coroutine that answers it (``answer(conn,
    **fields)``) and its fields, each a check and a default (:data:`REQUIRED` for none)."""

    answer: Callable
    fields: dict[str, tuple[Check, Any]] = field(default_factory=dict)

    def arguments(self, request: dict) -> dict:
        """The checked fields of ``request`` (defaults filled in)."""
        out = {}
        for name, (check, default) in self.fields.items():
            if name in request:
                out[name] = check(name, request[name])
            elif default is REQUIRED:
                raise BadRequest(f"this request needs {name}.")
            else:
                out[name] = default
        return out
