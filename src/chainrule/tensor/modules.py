"""The first modules: ``Linear`` (with the book's initializations and a fused activation),
``Activation``, ``Sequential`` and the book's ``MLP``. The base class ``Module`` and
``Parameter`` live in :mod:`chainrule.tensor.module` (re-exported here)."""

from __future__ import annotations

import numpy as np

from chainrule import functions
from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.creation import _rng, get_default_dtype
from chainrule.tensor.functional import linear
from chainrule.tensor.module import Module, Parameter, zero_grads
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
        bound = 1.0 / np.sqrt(n_in) if n_in else 0.0
        weight._data[...] = rng.uniform(-bound, bound, (n_out, n_in))
        return
    if scheme not in INITS:
        raise InputError(f"unknown init {scheme!r}: choose one of {', '.join(INITS)}, pytorch.")
    weight._data[...] = rng.standard_normal((n_out, n_in)) * INITS[scheme](n_in, n_out)


def check_size(layer: str, **sizes) -> None:
    """Each size a whole number >= 0 (PyTorch accepts 0), or one sentence naming it."""
    for name, n in sizes.items():
        if not isinstance(n, (int, np.integer)):
            raise InputTypeError(
                f"{layer}: {name} must be a whole number, got {type(n).__name__} {n!r}."
            )
        if n < 0:
            raise InputError(f"{layer}: {name} must be 0 or more, got {n}.")


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape ``(out_features, in_features)``, for ``x`` of shape
    ``(*, in_features)`` (any leading dimensions, as ``(B, T, C)``); with
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
        check_size("nn.Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
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
        if init == "pytorch" and in_features:
            b = rng.uniform(-1, 1, out_features) / np.sqrt(in_features)
        self.bias = Parameter((xp.zeros(out_features) + b).astype(dtype)) if bias else None

    def forward(self, x):
        """``x W^T + b`` for ``x`` of shape ``(*, in_features)`` (then the fused activation)."""
        return linear(x, self.weight, self.bias, self.activation)

    def extra_repr(self):
        act = "" if self.activation is None else f", activation={self.activation.name!r}"
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}{act}"
        )


class Activation(Module):
    """An elementwise function from the shared table, as a layer: ``Activation("relu")``."""

    def __init__(self, name: str):
        super().__init__()
        self.fn = functions.activation(name)

    def forward(self, x):
        """The activation applied elementwise (from chainrule.functions)."""
        return apply(x, self.fn)

    def extra_repr(self):
        return repr(self.fn.name) if type(self) is Activation else ""


class Sequential(Module):
    """Modules applied one after another, the output of one the input of the next; they are
    named ``"0"``, ``"1"``, ... (or by the keys of one ``OrderedDict``). Each must be a Module:
    a function such as ``torch.relu`` is refused (PyTorch's TypeError), not silently dropped."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
            return
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(dict(list(self._modules.items())[i]))
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x):
        """Each module applied in order, the output of one the input of the next."""
        for module in self._modules.values():
            x = module.forward(x)
        return x


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
