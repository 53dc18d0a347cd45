"""The one registry of engines: name -> ``Engine`` (the class and what it can do).

An engine is one entry: ``register(Engine("name", TheClass, ...))`` with the class (implementing
``chainrule.protocol.Model``), its weight initializations, the options it takes, its cost in
memory and its capabilities. The command line's ``--engine`` and ``--init`` choices, the model
files, checkpoints, the gradient check, ``explain`` and the playground's menus all read this
table, and nothing outside this module asks an engine for its name.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.models.tensor import TensorNetwork
from chainrule.models.value import ValueNetwork
from chainrule.network import INITS as NETWORK_INITS
from chainrule.network import Network
from chainrule.protocol import Model
from chainrule.tensor.modules import INITS as TENSOR_INITS


@dataclass(frozen=True)
class Engine:
    """One engine: its ``name`` (the class's ``engine`` attribute, in model files), the class
    (built as ``kind(sizes, activation, cost, init, dtype, seed=seed, **options)``), a
    human ``label``, the ``inits`` it offers (``default_init`` first choice), the ``options`` it
    takes, the bytes one parameter costs in memory (its array entry, gradient, optimizer
    state...), the largest network it is fit for (``parameter_limit``, None: memory alone says),
    and its capabilities:

    - ``costs``: the costs it trains with (None: every cost in chainrule.functions);
    - ``explains_per_layer``: it shows every layer's ``z^l`` and ``a^l`` (``forward``), so
      ``explain``, the step-through and the neuron maps run on it directly; other engines are
      mirrored in one that does (``explainer``);
    - ``distributed``: ``chainrule.distributed`` can train it across MPI ranks;
    - ``scalar``: one Python object per number, so checks and comparisons take a sample.
    """

    name: str
    kind: type
    label: str
    inits: tuple[str, ...]
    default_init: str = "normal"
    options: tuple[str, ...] = ()
    bytes_per_parameter: int = 3
    parameter_limit: int | None = None
    costs: tuple[str, ...] | None = None
    explains_per_layer: bool = False
    distributed: bool = True
    scalar: bool = False
    title: str = ""  # its short name in menus; the name capitalized if empty

    def capabilities(self) -> dict:
        """What it can do, as plain JSON."""
        return {
            "costs": None if self.costs is None else list(self.costs),
            "explains_per_layer": self.explains_per_layer,
            "distributed": self.distributed,
            "scalar": self.scalar,
            "options": list(self.options),
            "parameter_limit": self.parameter_limit,
        }

    def menu(self) -> dict:
        """The engine as a menu entry: ``{"name", "label", "description", "inits",
        "default_init", "capabilities"}`` (``label`` the short title, ``description`` the rest)."""
        return {
            "name": self.name,
            "label": self.title or self.name.capitalize(),
            "description": self.label,
            "inits": list(self.inits),
            "default_init": self.default_init,
            "capabilities": self.capabilities(),
        }


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    """Add ``engine`` to the registry (its name must be its class's ``engine``)."""
    if getattr(engine.kind, "engine", None) != engine.name or engine.default_init not in (
        engine.inits
    ):
        raise InputError(
            f"engine {engine.name!r} must be its class's `engine` attribute and offer its "
            "default init."
        )
    ENGINES[engine.name] = engine
    return engine


@contextlib.contextmanager
def registered(engine: Engine):
    """``engine`` in the registry for the length of a ``with`` block (for tests and plugins)."""
    register(engine)
    try:
        yield engine
    finally:
        ENGINES.pop(engine.name, None)


# Bytes one parameter costs: its array entry (tensor adds a gradient and optimizer state); a Value
# is a Python object of ~100 bytes plus ~3 graph nodes per parameter per sample of a batch.
register(
    Engine(
        "network", Network, "the four equations by hand (BP1-BP4), the fastest MLP path",
        NETWORK_INITS, "normal", options=("form",), explains_per_layer=True,
        title="Network (BP1\u2013BP4)",
    )
)  # fmt: skip
register(
    Engine(
        "tensor", TensorNetwork, "Tensor autograd (PyTorch names), the only engine with Adam",
        tuple(TENSOR_INITS), "normal", options=("optimizer", "lr", "momentum"),
        bytes_per_parameter=5, title="Tensor (autograd)",
    )
)  # fmt: skip
register(
    Engine(
        "value", ValueNetwork, "scalar autograd, one node per number: small data only",
        NETWORK_INITS, "normal", bytes_per_parameter=1000, parameter_limit=100_000,
        costs=("quadratic",), scalar=True, title="Value (scalar autograd)",
    )
)  # fmt: skip
DEFAULT_ENGINE = next(iter(ENGINES))


def inits() -> tuple[str, ...]:
    """Every init some engine offers (the command line's ``--init`` choices)."""
    return tuple(sorted({init for engine in ENGINES.values() for init in engine.inits}))


def menus() -> list[dict]:
    """Every engine as a menu entry (``Engine.menu``), the default first."""
    return [engine.menu() for engine in ENGINES.values()]


def explainer() -> str:
    """The name of the first engine that explains per layer (``Engine.explains_per_layer``)."""
    return next(name for name, e in ENGINES.items() if e.explains_per_layer)


def engine_of(model) -> Engine:
    """The registry's entry for ``model``'s engine."""
    return engine_info(check_model(model).engine)


def help_text() -> str:
    """``name: label`` for every engine, for ``--engine``'s help."""
    return "; ".join(f"{name}: {e.label}" for name, e in ENGINES.items())


def parameter_count(sizes) -> int:
    """``sum_l n_l (n_{l-1} + 1)``: the weights and biases of a network of these widths."""
    return sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:]))


def memory_limit() -> int:
    """Bytes a model may take: half of this machine's physical memory."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GiB
        return 4 << 30


def check_size(engine: str, sizes, dtype) -> None:
    """Refuse, before allocating, a network too large for this machine (or over the engine's
    ``parameter_limit``), with the memory it would need."""
    if not (isinstance(sizes, (list, tuple)) and all(isinstance(n, int) for n in sizes)):
        return  # the engine's own check says what is wrong with the sizes
    entry = engine_info(engine)
    count = parameter_count(sizes)
    need = count * np.dtype(dtype).itemsize * entry.bytes_per_parameter
    if entry.parameter_limit is not None and count > entry.parameter_limit:
        others = [name for name, e in ENGINES.items() if e.parameter_limit is None]
        raise InputError(
            f"layers {list(sizes)} have {count:,} parameters, too many for the "
            f"{engine.capitalize()} engine (at most {entry.parameter_limit:,}: {entry.label}); "
            f"use --engine {' or '.join(others)}."
        )
    if need > memory_limit():
        raise InputError(
            f"layers {list(sizes)} have {count:,} parameters and would need about "
            f"{need / 2**30:.1f} GiB, more than this machine can give "
            f"({memory_limit() / 2**30:.1f} GiB); choose smaller layers."
        )


def build(
    engine: str = DEFAULT_ENGINE,
    sizes=(2, 3, 1),
    activation: str = "sigmoid",
    cost: str = "quadratic",
    init: str = "normal",
    dtype="float64",
    seed: int | None = None,
    **options,
) -> Model:
    """A fresh model of ``engine`` with these settings (every engine draws the same weights
    from the same seed). ``options`` are the engine's own (``Engine.options``: ``optimizer``,
    ``lr`` for tensor; ``form`` for network); one that the engine does not take is refused."""
    entry = engine_info(engine)
    if init not in entry.inits:
        raise InputError(
            f"the {engine} engine has no init {init!r}: choose one of {', '.join(entry.inits)}."
        )
    check_size(engine, list(sizes), dtype)
    unknown = set(options) - set(entry.options)
    if unknown:
        raise InputError(
            f"the {engine} engine does not take {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(entry.options) or 'no options'}."
        )
    return entry.kind(list(sizes), activation, cost, init, np.dtype(dtype), seed=seed, **options)


def options_from_settings(engine: str, settings: dict) -> dict:
    """The engine's own options from a run's settings: the optimizer (and Adam's fixed rate) for
    an engine that takes one, the backprop form (``settings["backprop"]``) for one that takes it."""
    takes = engine_info(engine).options
    options = {}
    if "optimizer" in takes:
        optimizer = settings.get("optimizer", "sgd")
        options.update(optimizer=optimizer, lr=settings["lr"] if optimizer == "adam" else None)
    if "form" in takes:
        options["form"] = settings.get("backprop", "matrix")
    return options


def engines_taking(option: str) -> list[str]:
    """The engines that take ``option`` (e.g. ``"optimizer"``: the tensor engine)."""
    return [name for name, engine in ENGINES.items() if option in engine.options]


def engine_info(engine: str) -> Engine:
    """The registry's entry ``engine``; one sentence listing the choices otherwise."""
    entry = ENGINES.get(engine) if isinstance(engine, str) else None
    if entry is None:
        raise InputError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}.")
    return entry


def engine_class(engine: str) -> type:
    """The class registered as ``engine``; one sentence listing the choices otherwise."""
    return engine_info(engine).kind


def check_model(model) -> Model:
    """``model`` itself if it implements the protocol; one sentence otherwise."""
    if not isinstance(model, Model) or getattr(model, "engine", None) not in ENGINES:
        raise InputTypeError(
            f"expected a chainrule model ({', '.join(e.kind.__name__ for e in ENGINES.values())}), "
            f"got {type(model).__name__}."
        )
    return model


def twin(model: Model, **changes) -> Model:
    """An untrained model with ``model``'s settings (``changes`` override them), weights copied:
    e.g. ``twin(net, dtype="float64")`` or ``twin(tensor_net, engine=explainer())``."""
    settings = {**model.describe(), **changes}
    entry = engine_info(settings.pop("engine"))
    settings.pop("optimizer", None)
    if settings["init"] not in entry.inits:
        settings["init"] = entry.default_init  # the weights are copied over it: any init will do
    copy = build(entry.name, seed=0, **settings)
    copy.set_parameters(model.parameters())
    return copy


def as_explainer(model, dtype="float64", cached=None) -> Model:
    """``model`` itself when its engine explains per layer and it is of ``dtype``; else
    ``cached`` (a mirror made earlier, when it still fits) given ``model``'s weights; else a new
    twin of the first engine that explains per layer (``explainer``), of ``dtype``."""
    if engine_of(model).explains_per_layer and np.dtype(model.dtype) == np.dtype(dtype):
        return model
    wanted = {**model.describe(), "engine": explainer(), "dtype": np.dtype(dtype).name}
    wanted.pop("optimizer", None)
    if cached is not None and cached.describe() == wanted:
        cached.set_parameters(model.parameters())
        return cached
    return twin(model, engine=explainer(), dtype=dtype)
