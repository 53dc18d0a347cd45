"""In-place changes: ``t += x``, ``t[i] = v``, ``add_``, ``copy_``, ``zero_``, ``fill_``,
``clamp_``, ``normal_``, ``uniform_``.

Each changes the array itself (a held ``t.data``, ``t.numpy()`` or ``p.grad`` sees it) and bumps
the tensor's version, so a graph that saved the old values refuses to backpropagate
(``graph.check_unchanged``). Outside a graph (``no_grad()``, an optimizer step,
``p.data += ...``) that is all. Inside one, as in PyTorch, the change is recorded: ``t``
becomes the result of the out-of-place op (``t + x``, with its backward rule) applied to what
``t`` was, so ``dcounts += ...`` or ``self.out += self.bias`` backpropagate. A leaf that
requires grad is refused there, as PyTorch refuses it.
"""

from __future__ import annotations

from chainrule.errors import ChainruleError, InputError, InputTypeError, TensorRuntimeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import (
    Tensor,
    _data,
    as_tensor,
    method,
    unbroadcast,
)
from chainrule.tensor.creation import _rng
from chainrule.tensor.graph import GRAD_ENABLED, READS_OUTPUT, mark_changed, shapes_only
from chainrule.tensor.ops_elementwise import (
    _add_back,
    _clamp_back,
    _div_back,
    _mul_back,
    _sub_back,
)
from chainrule.tensor.ops_shape import _index, index_error

__all__: list[str] = []


def _in_place(self, change, rule=None, operand=None, saved=()):
    """Apply ``change`` to the array; record it (see the module's docstring) when a graph is
    being built and ``self`` or the tensor ``operand`` requires grad."""
    try:
        if GRAD_ENABLED[0] and (
            self.requires_grad or (isinstance(operand, Tensor) and operand.requires_grad)
        ):
            others = () if operand is None else (as_tensor(operand, self),)
            return record_in_place(self, change, rule, others, saved)
        change(self._data)
    except ChainruleError:
        raise
    except IndexError as e:
        raise index_error(self, e) from None
    except TypeError as e:  # numpy's UFuncTypeError: a float result into an integer tensor
        raise InputTypeError(
            f"cannot change a {self.dtype} tensor in place with that: {e}; convert it first "
            "(e.g. t = t.float())."
        ) from None
    except ValueError as e:
        raise InputError(f"cannot change a tensor of shape {self.shape} in place: {e}.") from None
    mark_changed(self)  # graphs that used the old values now refuse to backpropagate
    return self


def record_in_place(tensor: Tensor, change, rule, others=(), saved=()) -> Tensor:
    """Apply ``change`` (a function of the array) to ``tensor`` and record it, as PyTorch does
    for an in-place op on a tensor in a graph: ``tensor`` becomes the result, made by ``rule``
    (the out-of-place op's backward rule, or None for no gradient) from ``(before, *others)``,
    where ``before`` keeps the old node and a copy of the old values."""
    if tensor.requires_grad and tensor._backward is None:
        raise TensorRuntimeError(
            "a leaf tensor that requires grad was changed in place (PyTorch refuses this too); "
            "change it inside `with torch.no_grad():` (as an optimizer step does), or write "
            "t = t + x."
        )
    before = Tensor.__new__(Tensor)
    before._data = tensor._data.copy()
    before.requires_grad = tensor.requires_grad
    before._grad, before._retain = None, False
    before._inputs, before._backward, before._saved = (
        tensor._inputs,
        tensor._backward,
        tensor._saved,
    )
    before._stamp, before._version = tensor._stamp, tensor._version
    before._before = getattr(tensor, "_before", None)
    if before._backward in READS_OUTPUT:  # PyTorch saved that result, and now refuses it
        before._backward = _overwritten(before._backward)
    change(tensor._data)
    mark_changed(tensor)
    tensor._before = (before, tensor._version)  # for rules that used it (graph.as_it_was)
    tensor._inputs = (before, *others)
    tensor._backward = rule or _no_gradient
    tensor._saved = saved
    tensor._stamp = tensor._version
    tensor.requires_grad = True
    return tensor


def _overwritten(rule):
    """A rule that refuses: the result it needed was overwritten in place (PyTorch's error)."""
    name = rule.__name__.strip("_").removesuffix("_back")

    def overwritten(g, out):
        name_ = getattr(out._saved[0] if out._saved else None, "name", name)  # tanh, ...
        raise TensorRuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the result of {name_}, of shape {out.shape}, which its "
            "backward needs; change it only after backward(), or write t = t + x."
        )

    return overwritten


@shapes_only
def _no_gradient(g, out):  # zero_(), fill_(), normal_(): the old values no longer matter
    return (None,) * len(out._inputs)


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


# ------------------------------------------------------------------------ t += x, t.add_(x)
@method("__iadd__")
@method("add_")
def _iadd(self, other, *, alpha=1):
    """``t <- t + alpha x``."""
    other = _scaled(other, alpha)
    return _in_place(self, lambda d: xp.add(d, _data(other), out=d), _add_back, other)


@method("__isub__")
@method("sub_")
def _isub(self, other, *, alpha=1):
    """``t <- t - alpha x``."""
    other = _scaled(other, alpha)
    return _in_place(self, lambda d: xp.subtract(d, _data(other), out=d), _sub_back, other)


@method("__imul__")
@method("mul_")
def _imul(self, other):
    """``t <- t x``."""
    return _in_place(self, lambda d: xp.multiply(d, _data(other), out=d), _mul_back, other)


@method("__itruediv__")
@method("div_")
def _itruediv(self, other):
    """``t <- t / x``."""
    return _in_place(self, lambda d: xp.divide(d, _data(other), out=d), _div_back, other)


@method("clamp_")
@method("clip_")
def _clamp_(self, min=None, max=None):
    """``t <- clamp(t, min, max)``."""
    change = lambda d: xp.clip(d, min, max, out=d)
    return _in_place(self, change, _clamp_back, saved=(min, max))


# ------------------------------------------------------------------------ t[i] = v, copy_
@method("__setitem__")
def _setitem(self, index, value):
    """``t[index] = value``; in a graph, ``value`` gets the gradient of the places it filled
    and the old ``t`` that of the places it kept."""
    index = _index(index)
    _in_place(self, lambda d: d.__setitem__(index, _data(value)), _setitem_back, value, (index,))


@shapes_only
def _setitem_back(g, out):
    (index,) = out._saved
    kept = g.copy()
    kept[index] = 0
    value = out._inputs[1]
    return kept, unbroadcast(xp.broadcast_to(g[index], g[index].shape), value._data.shape)


@method("copy_")
def _copy(self, src):
    """``t <- src`` (broadcast to t's shape, cast to t's dtype); the gradient goes to ``src``."""
    return _in_place(self, lambda d: xp.copyto(d, _data(src), casting="unsafe"), _copy_back, src)


@shapes_only
def _copy_back(g, out):
    return None, unbroadcast(g, out._inputs[1]._data.shape)


# ------------------------------------------------------------------------ overwrite with values
@method("zero_")
def _zero(self) -> Tensor:
    """``t <- 0``."""
    return _in_place(self, lambda d: d.fill(0))


@method("fill_")
def _fill(self, value) -> Tensor:
    """``t <- value`` everywhere."""
    return _in_place(self, lambda d: d.fill(_data(value)))


@method("normal_")
def _normal(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """``t <- samples of N(mean, std^2)`` (from ``generator``, else the global stream)."""
    rng = _rng(generator)
    return _in_place(self, lambda d: d.__setitem__(..., rng.normal(mean, std, d.shape)))


@method("uniform_")
def _uniform(self, a=0.0, b=1.0, *, generator=None) -> Tensor:
    """``t <- samples of U[a, b)`` (from ``generator``, else the global stream)."""
    rng = _rng(generator)
    return _in_place(self, lambda d: d.__setitem__(..., rng.uniform(a, b, d.shape)))
