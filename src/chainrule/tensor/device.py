"""Devices, PyTorch's way, for an engine that runs on the CPU only (numpy).

``torch.device("cpu")``, ``torch.cuda.is_available()`` (False), ``x.to(device)``, ``x.cpu()``,
``x.device`` and ``model.to(device)`` work as in PyTorch, so the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` runs unchanged. Any other device
(``"cuda"``, ``"mps"``, ...) is refused with one sentence: chainrule runs on the CPU only.
``x.to(...)`` takes PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
``to(other)`` (other's dtype), ``device=``, ``dtype=``, ``non_blocking=``, ``copy=``.
"""

from __future__ import annotations

from types import SimpleNamespace

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, method
from chainrule.tensor.ops_convert import cast
from chainrule.tensor.ops_elementwise import clone

__all__ = ["backends", "cuda", "device", "split_to_arguments"]


class device:
    """``torch.device("cpu")`` (also ``"cpu:0"``, ``device("cpu", 0)``): the one device there
    is. Its ``type`` is ``"cpu"``, its ``index`` None; it equals the string ``"cpu"``."""

    __slots__ = ("index", "type")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int) and not isinstance(type, bool):
            type = f"cuda:{type}"  # PyTorch reads a bare number as a CUDA device's index
        if not isinstance(type, str):
            raise InputTypeError(f"a device is a string such as 'cpu', got {type!r}.")
        name, _, number = type.partition(":")
        if name != "cpu" or not (number == "" or number.isdigit()):
            raise InputError(
                f"device {type!r} is not available: chainrule runs on the CPU only (numpy); use "
                "'cpu' (torch.cuda.is_available() is False)."
            )
        self.type, self.index = "cpu", int(number) if number else index

    def __repr__(self):
        return f"device(type='cpu'{'' if self.index is None else f', index={self.index}'})"

    def __str__(self):
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def _false(*args, **kwargs) -> bool:
    return False


def _zero(*args, **kwargs) -> int:
    return 0


def _nothing(*args, **kwargs) -> None:
    return None


# torch.cuda and torch.backends.mps as a CPU-only machine answers them.
cuda = SimpleNamespace(
    is_available=_false,
    device_count=_zero,
    manual_seed=_nothing,
    manual_seed_all=_nothing,
    synchronize=_nothing,
    empty_cache=_nothing,
)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false))


def _is_dtype(x) -> bool:
    if isinstance(x, xp.dtype):
        return True
    return isinstance(x, type) and issubclass(x, (xp.generic, float, int, bool))


def split_to_arguments(args, kwargs):
    """The dtype asked for by PyTorch's ``to(...)`` arguments (None: keep it), after checking
    that the device, if any, is the CPU."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown or len(args) > 3:
        raise InputTypeError(
            f"to() takes a device, a dtype or a tensor (and non_blocking=, copy=), got "
            f"{len(args)} arguments and {sorted(unknown) or 'no other'} keywords."
        )
    dtype = kwargs.get("dtype")
    if "device" in kwargs and kwargs["device"] is not None:
        device(kwargs["device"])
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_dtype(arg):
            dtype = xp.dtype(arg)
        elif isinstance(arg, (str, int, device)) and not isinstance(arg, bool):
            device(arg)
        elif arg is not None:
            raise InputTypeError(
                f"to() takes a device ('cpu'), a dtype (torch.float64) or a tensor, got "
                f"{type(arg).__name__} {arg!r}."
            )
    return dtype


@method("to")
def to(self, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: itself when
    nothing changes (as PyTorch), else the values cast to ``dtype`` (in the graph: the gradient
    flows back cast to this tensor's dtype); ``copy=True`` always makes a new tensor."""
    dtype = split_to_arguments(args, kwargs)
    out = self if dtype is None else cast(self, dtype)
    return clone(out) if kwargs.get("copy") and out is self else out


@method("cpu")
def cpu(self) -> Tensor:
    """Itself: chainrule's tensors live on the CPU (PyTorch's ``x.cpu()``)."""
    return self


method("device")(property(lambda self: CPU, doc="``device(type='cpu')``, always."))
method("is_cuda")(property(lambda self: False, doc="False: there is no CUDA here."))
