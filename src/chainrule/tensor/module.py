"""The ``Module`` base class, with PyTorch's habits: ``parameters()``, ``named_parameters()``,
``zero_grad()``, ``train()/eval()``, ``state_dict()``, ``to(device)``, ``apply(fn)``,
``print(module)`` in PyTorch's layout.

A ``Module`` registers every ``Parameter`` and sub-``Module`` assigned to it as an attribute, in
order, so ``named_parameters()`` can walk them: ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, mark_changed
from chainrule.tensor.device import split_to_arguments

__all__ = ["Module", "Parameter", "zero_grads"]


class Parameter(Tensor):
    """A tensor that is a model's parameter: it requires grad and modules register it."""

    __slots__ = ()

    def __init__(self, data, dtype=None):
        super().__init__(data, requires_grad=True, dtype=dtype)


class Module:
    """Base class: subclasses set parameters and sub-modules as attributes and define forward."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise InputError(f"call super().__init__() in {type(self).__name__}.__init__ first.")
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        elif value is None:  # model.bias = None: no longer a parameter (or child), as PyTorch
            for table in (self._parameters, self._modules):
                if name in table:
                    table[name] = None
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Tensor | None) -> None:
        """A tensor that is state but not a parameter (batch norm's running mean): saved in
        ``state_dict``, never given to an optimizer."""
        if value is not None and not isinstance(value, Tensor):
            raise InputTypeError(
                f"register_buffer({name!r}, ...) needs a Tensor or None, got "
                f"{type(value).__name__}; wrap it: torch.tensor(value)."
            )
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` as the parameter ``name`` (PyTorch's register_parameter)."""
        if param is not None and not isinstance(param, Parameter):
            raise InputTypeError(
                f"register_parameter({name!r}, ...) needs an nn.Parameter or None, got "
                f"{type(param).__name__}."
            )
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` as the child ``name``; it must be a Module (PyTorch's add_module)."""
        if module is not None and not isinstance(module, Module):
            what = getattr(module, "__name__", None) or type(module).__name__
            raise InputTypeError(
                f"{what} is not a Module subclass; a layer must be a Module (for a function "
                "like torch.relu use its module, nn.ReLU())."
            )
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def forward(self, *args):
        """What the module computes; a subclass defines it, and ``module(x)`` calls it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_modules(self, prefix: str = ""):
        """``(dotted name, module)`` for this module (name ``""``) and every submodule,
        depth-first, each once (PyTorch's named_modules)."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def modules(self):
        """This module, then every submodule depth-first (PyTorch's modules)."""
        return (m for _, m in self.named_modules())

    def named_children(self):
        """``(name, module)`` of the direct submodules."""
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        """The direct submodules."""
        return (m for _, m in self.named_children())

    def _named(self, table: str, prefix: str = ""):
        """``(dotted name, tensor)`` of one table (parameters or buffers) of every module,
        each tensor once."""
        seen = set()
        for name, module in self.named_modules(prefix):
            for n, t in getattr(module, table).items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{name}.{n}" if name else n), t

    def named_parameters(self, prefix: str = ""):
        """``(name, parameter)`` pairs of this module and its sub-modules, in order; a
        parameter shared by two modules comes once."""
        return self._named("_parameters", prefix)

    def named_buffers(self, prefix: str = ""):
        """(dotted name, buffer) pairs of this module and its children, as PyTorch's."""
        return self._named("_buffers", prefix)

    def parameters(self) -> list[Parameter]:
        """The parameters of this module and its children, as a list (PyTorch's parameters)."""
        return [p for _, p in self.named_parameters()]

    def buffers(self) -> list[Tensor]:
        """The buffers of this module and its children (PyTorch's buffers)."""
        return [b for _, b in self.named_buffers()]

    def _named_state(self):
        """Parameters then buffers of each module, then its children: PyTorch's order."""
        for name, module in self.named_modules():
            for table in (module._parameters, module._buffers):
                for n, t in table.items():
                    if t is not None:
                        yield (f"{name}.{n}" if name else n), t

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every submodule, children first, then on this one; returns
        self (``model.apply(init_weights)``, as PyTorch)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``: the parameters and float
        buffers cast in place to ``dtype`` (the CPU is the only device); returns self."""
        dtype = split_to_arguments(args, kwargs)
        if dtype is not None and xp.dtype(dtype) not in FLOAT_DTYPES:
            raise InputTypeError(f"Module.to() casts to float32 or float64, not {dtype}.")
        if dtype is not None:
            for t in (*self.parameters(), *self.buffers()):
                if t._data.dtype in FLOAT_DTYPES:
                    t._data = t._data.astype(dtype)
                    t._grad = None if t._grad is None else t._grad.astype(dtype)
            mark_changed(*self.parameters())
        return self

    def cpu(self) -> Module:
        """Itself: the CPU is where chainrule's modules live."""
        return self

    def float(self) -> Module:
        """Parameters and float buffers as float32, in place."""
        return self.to(xp.float32)

    def double(self) -> Module:
        """Parameters and float buffers as float64, in place."""
        return self.to(xp.float64)

    def extra_repr(self) -> str:
        """The settings printed inside ``Name(...)``; a subclass says what they are."""
        return ""

    def __repr__(self):
        """PyTorch's layout: ``Name(extra)`` or ``Name(\\n  (child): ...\\n)``."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        lines += [f"({n}): {_indent(repr(m))}" for n, m in self._modules.items()]
        if not self._modules and len(lines) == 1:
            return f"{type(self).__name__}({lines[0]})"
        inner = "".join(f"\n  {line}" for line in lines)
        return f"{type(self).__name__}({inner}\n)" if lines else f"{type(self).__name__}()"

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients (``backward`` adds into ``.grad``): set them to
        None, or to zeros with ``set_to_none=False``."""
        zero_grads(self.parameters(), set_to_none)

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and all submodules; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: evaluation mode (e.g. BatchNorm uses running stats)."""
        return self.train(False)

    def state_dict(self) -> dict[str, Tensor]:
        """The parameters and buffers by name (``"0.weight"``, ...) as tensors outside the
        graph sharing their memory, as PyTorch's (``copy.deepcopy`` it to keep a snapshot)."""
        return {name: Tensor(p._data) for name, p in self._named_state()}

    def load_state_dict(self, state: dict, strict: bool = True, assign: bool = False):
        """Copy arrays into the parameters and buffers, checking names and shapes first (all or
        nothing). ``strict=False`` loads the names both sides have and skips the rest. Returns
        ``(missing_keys, unexpected_keys)`` as PyTorch does."""
        params = dict(self._named_state())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if strict and (missing or unexpected):
            raise InputError(
                f"state_dict does not fit this model: missing {sorted(missing)}, unexpected "
                f"{sorted(unexpected)}."
            )
        state = {k: v._data if isinstance(v, Tensor) else v for k, v in state.items()}
        params = {k: p for k, p in params.items() if k in state}
        for name, p in params.items():
            if np.shape(state[name]) != p.shape:
                raise InputError(
                    f"state_dict[{name!r}] has shape {np.shape(state[name])}, the "
                    f"parameter has {p.shape}."
                )
        for name, p in params.items():
            p._data[...] = state[name]
            mark_changed(p)
        return IncompatibleKeys(missing, unexpected)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` could not match: names the model has that the state lacks,
    and names the state has that the model lacks."""

    missing_keys: list
    unexpected_keys: list


def _indent(text: str) -> str:
    """A child's repr, its later lines indented two spaces (PyTorch's _addindent)."""
    return text.replace("\n", "\n  ")


def zero_grads(params, set_to_none: bool = True) -> None:
    """``p.grad = None`` for each parameter, or fill it with zeros (PyTorch's two ways)."""
    if set_to_none:
        for p in params:
            p._grad = None
        return
    for p in params:
        if p._grad is not None:
            p._grad.fill(0)
