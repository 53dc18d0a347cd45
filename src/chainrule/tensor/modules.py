"""Modules: layers that own parameters, with PyTorch's habits (``parameters()``,
``named_parameters()``, ``zero_grad()``, ``train()/eval()``, ``state_dict()``).

A ``Module`` registers every ``Parameter`` and sub-``Module`` assigned to it as an attribute, in
order, so ``named_parameters()`` can walk them: ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...
"""

from __future__ import annotations

import numpy as np

from chainrule import functions
from chainrule.errors import InputError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, mark_changed
from chainrule.tensor.creation import _rng, get_default_dtype
from chainrule.tensor.functional import linear
from chainrule.tensor.ops_elementwise import apply

__all__ = [
    "INITS",
    "MLP",
    "Activation",
    "Linear",
    "Module",
    "Parameter",
    "Sequential",
    "init_",
    "zero_grads",
]


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
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Tensor) -> None:
        """A tensor that is state but not a parameter (batch norm's running mean): saved in
        ``state_dict``, never given to an optimizer."""
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args):
        """What the module computes; a subclass defines it, and ``module(x)`` calls it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_buffers(self, prefix: str = ""):
        """(dotted name, buffer) pairs of this module and its children, as PyTorch's."""
        for name, b in self._buffers.items():
            yield prefix + name, b
        for name, module in self._modules.items():
            yield from module.named_buffers(f"{prefix}{name}.")

    def _named_state(self, prefix: str = ""):
        """Parameters then buffers of each module, then its children: PyTorch's order."""
        yield from ((prefix + n, p) for n, p in self._parameters.items())
        yield from ((prefix + n, b) for n, b in self._buffers.items())
        for name, module in self._modules.items():
            yield from module._named_state(f"{prefix}{name}.")

    def named_parameters(self, prefix: str = ""):
        """``(name, parameter)`` pairs of this module and its sub-modules, in order."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, module in self._modules.items():
            yield from module.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """The parameters of this module and its children, as a list (PyTorch's parameters)."""
        return [p for _, p in self.named_parameters()]

    def modules(self):
        """This module, then every submodule depth-first (PyTorch's modules)."""
        yield self
        for module in self._modules.values():
            yield from module.modules()

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

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters' and buffers' arrays by name (``"0.weight"``, ...)."""
        return {name: p._data.copy() for name, p in self._named_state()}

    def load_state_dict(self, state: dict) -> None:
        """Copy arrays into the parameters, checking names and shapes first (all or nothing)."""
        params = dict(self._named_state())
        missing, unexpected = set(params) - set(state), set(state) - set(params)
        if missing or unexpected:
            raise InputError(
                f"state_dict does not fit this model: missing {sorted(missing)}, unexpected "
                f"{sorted(unexpected)}."
            )
        for name, p in params.items():
            if np.shape(state[name]) != p.shape:
                raise InputError(
                    f"state_dict[{name!r}] has shape {np.shape(state[name])}, the "
                    f"parameter has {p.shape}."
                )
        for name, p in params.items():
            p._data[...] = state[name]
            mark_changed(p)


def zero_grads(params, set_to_none: bool = True) -> None:
    """``p.grad = None`` for each parameter, or fill it with zeros (PyTorch's two ways)."""
    if set_to_none:
        for p in params:
            p._grad = None
        return
    for p in params:
        if p._grad is not None:
            p._grad.fill(0)


# ------------------------------------------------------------------------ initialization
# Standard deviation of the weights of a layer with n_in inputs and n_out outputs.
INITS = {
    "normal": lambda n_in, n_out: 1.0,  # N(0, 1), the book's first network
    "scaled": lambda n_in, n_out: 1.0 / np.sqrt(n_in),  # N(0, 1/n_in), the book's chapter 3
    "xavier": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),  # Glorot & Bengio
    "he": lambda n_in, n_out: np.sqrt(2.0 / n_in),  # He et al., for relu layers
}


def init_(weight: Parameter, scheme: str, rng: np.random.Generator) -> None:
    """Refill a ``(n_out, n_in)`` weight in place from N(0, std^2) with the scheme's std, or
    with ``"pytorch"`` from U(-1/sqrt(n_in), 1/sqrt(n_in)), PyTorch's ``Linear`` default."""
    n_out, n_in = weight.shape
    if scheme == "pytorch":
        bound = 1.0 / np.sqrt(n_in)
        weight._data[...] = rng.uniform(-bound, bound, (n_out, n_in))
        return
    if scheme not in INITS:
        raise InputError(f"unknown init {scheme!r}: choose one of {', '.join(INITS)}, pytorch.")
    weight._data[...] = rng.standard_normal((n_out, n_in)) * INITS[scheme](n_in, n_out)


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape ``(out_features, in_features)``; with
    ``activation="sigmoid"`` (any name from the shared table) ``y = sigmoid(x W^T + b)`` as one
    fused node of the graph (fewer nodes, less overhead per step). By default weights and bias
    come from U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch, drawn from the global generator
    (``manual_seed``), in the default dtype (float32)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init="pytorch",
        dtype=None,
        rng=None,
        activation=None,
    ):
        super().__init__()
        self.activation = None if activation is None else functions.activation(activation)
        dtype = get_default_dtype() if dtype is None else dtype
        if np.dtype(dtype) not in FLOAT_DTYPES:
            raise InputError(f"dtype must be float32 or float64, got {np.dtype(dtype).name}.")
        rng = rng if rng is not None else _rng(None)
        self.weight = Parameter(xp.zeros((out_features, in_features), dtype=dtype))
        init_(self.weight, init, rng)
        # Biases: N(0, 1) with the book's schemes (normal, scaled), zeros with xavier and he,
        # U(-1/sqrt(in), 1/sqrt(in)) with PyTorch's.
        b = rng.standard_normal(out_features) if init in ("normal", "scaled") else 0.0
        if init == "pytorch":
            b = rng.uniform(-1, 1, out_features) / np.sqrt(in_features)
        self.bias = Parameter((xp.zeros(out_features) + b).astype(dtype)) if bias else None

    def forward(self, x):
        """``x W^T + b`` for ``x`` of shape ``(N, in_features)`` (then the fused activation)."""
        return linear(x, self.weight, self.bias, self.activation)

    def __repr__(self):
        n_out, n_in = self.weight.shape
        act = "" if self.activation is None else f", activation={self.activation.name!r}"
        return f"Linear({n_in}, {n_out}, bias={self.bias is not None}{act})"


class Activation(Module):
    """An elementwise function from the shared table, as a layer: ``Activation("relu")``."""

    def __init__(self, name: str):
        super().__init__()
        self.fn = functions.activation(name)

    def forward(self, x):
        """The activation applied elementwise (from chainrule.functions)."""
        return apply(x, self.fn)

    def __repr__(self):
        return f"Activation({self.fn.name!r})"


class Sequential(Module):
    """Modules applied one after another; they are named ``"0"``, ``"1"``, ..."""

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def forward(self, x):
        """Each module applied in order, the output of one the input of the next."""
        for module in self._modules.values():
            x = module.forward(x)
        return x

    def __repr__(self):
        inner = "\n".join(f"  ({name}): {m!r}" for name, m in self._modules.items())
        return f"{type(self).__name__}(\n{inner}\n)"


class MLP(Sequential):
    """``MLP(sizes, activation="relu", output=None, init=..., dtype=np.float32, seed=None)``:
    Linear layers of ``sizes``, each hidden one followed by ``activation``, the last by
    ``output`` (an activation name) or nothing (logits, for ``cross_entropy``). Each activation
    is fused into its Linear layer (one node per layer)."""

    def __init__(
        self, sizes, activation="relu", output=None, init=None, dtype=np.float32, seed=None
    ):
        if isinstance(sizes, (int, np.integer)):
            raise InputError(
                f"MLP({sizes}, {activation}) is micrograd's form: for micrograd's scalar MLP "
                f"use `from chainrule.scalar.nn import MLP`; this tensor MLP takes one list, "
                f"MLP([{sizes}, ...])."
            )
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise InputError(f"sizes must list at least two positive layer widths, got {sizes}.")
        init = init or ("he" if activation == "relu" else "scaled")
        rng = np.random.default_rng(seed)
        functions.activation(activation)  # unknown names fail here, listing the known ones
        last = len(sizes) - 2
        super().__init__(
            *(
                Linear(
                    n_in,
                    n_out,
                    init=init,
                    dtype=dtype,
                    rng=rng,
                    activation=output if i == last else activation,
                )
                for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
            )
        )
        object.__setattr__(self, "sizes", sizes)
