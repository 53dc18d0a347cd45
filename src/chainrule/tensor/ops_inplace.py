"""In-place changes: ``t += x``, ``t[i] = v``, ``zero_()``, ``fill_()``.

They change ``._data`` directly, outside the graph. A tensor that requires grad may be changed
only inside ``no_grad()`` (an optimizer step, an init); every change bumps the tensor's version,
so a graph that used the old values refuses to backpropagate (see core's ``_check_unchanged``).
"""

from __future__ import annotations

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import _GRAD_ENABLED, Tensor, _data, _index, mark_changed, method

__all__: list[str] = []


def _in_place(self, change):
    """Apply ``change`` to the data, refusing a parameter outside no_grad, and bump the
    version so graphs that used the old values refuse to backpropagate."""
    if _GRAD_ENABLED[0] and self.requires_grad:
        raise InputError(
            "an in-place change to a tensor that requires grad would make its gradient "
            "wrong; write t = t + x instead, or change it inside `with no_grad():`."
        )
    change(self._data)
    mark_changed(self)  # graphs that used the old values now refuse to backpropagate
    return self


@method("zero_")
def _zero(self) -> Tensor:
    return _in_place(self, lambda d: d.fill(0))


@method("fill_")
def _fill(self, value) -> Tensor:
    return _in_place(self, lambda d: d.fill(value))


@method("__iadd__")
def _iadd(self, other):
    return _in_place(self, lambda d: xp.add(d, _data(other), out=d))


@method("__isub__")
def _isub(self, other):
    return _in_place(self, lambda d: xp.subtract(d, _data(other), out=d))


@method("__imul__")
def _imul(self, other):
    return _in_place(self, lambda d: xp.multiply(d, _data(other), out=d))


@method("__itruediv__")
def _itruediv(self, other):
    return _in_place(self, lambda d: xp.divide(d, _data(other), out=d))


@method("__setitem__")
def _setitem(self, index, value):
    _in_place(self, lambda d: d.__setitem__(_index(index), _data(value)))
