"""The one registry of engines: name -> class, and building a model from settings.

Adding an engine is the engine itself (a class implementing ``chainrule.protocol.Model``) and one
line in ``ENGINES``; the command line's ``--engine`` choices, the model files, checkpoints, the
playground and the gradient check all read this table.
"""

from __future__ import annotations

import os

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.models.tensor import TensorNetwork
from chainrule.models.value import ValueNetwork
from chainrule.network import INITS as NETWORK_INITS
from chainrule.network import Network
from chainrule.protocol import Model
from chainrule.tensor.modules import INITS as TENSOR_INITS

ENGINES: dict[str, type] = {
    "network": Network,  # the four equations by hand (BP1-BP4); the fastest MLP path
    "tensor": TensorNetwork,  # Tensor autograd; the only engine with Adam
    "value": ValueNetwork,  # scalar autograd: one node per number, for small data
}
# The weight initializations each engine offers (the value engine starts from Network's weights).
ENGINE_INITS = {"network": NETWORK_INITS, "tensor": tuple(TENSOR_INITS), "value": NETWORK_INITS}
INITS = tuple(sorted({init for inits in ENGINE_INITS.values() for init in inits}))
ENGINE_OPTIONS = {"tensor": ("optimizer", "lr", "momentum"), "network": ("form",)}
# Bytes one parameter costs: its array entry (tensor adds a gradient and optimizer state); a Value
# is a Python object of ~100 bytes plus ~3 graph nodes per parameter per sample of a batch.
BYTES_PER_PARAMETER = {"network": 3, "tensor": 5, "value": 1000}
VALUE_ENGINE_LIMIT = 100_000  # parameters: beyond this a graph of Python floats takes minutes


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
    """Refuse, before allocating, a network too large for this machine (or for the Value
    engine), with the memory it would need."""
    if not (isinstance(sizes, (list, tuple)) and all(isinstance(n, int) for n in sizes)):
        return  # the engine's own check says what is wrong with the sizes
    count = parameter_count(sizes)
    need = count * np.dtype(dtype).itemsize * BYTES_PER_PARAMETER.get(engine, 3)
    if engine == "value" and count > VALUE_ENGINE_LIMIT:
        raise InputError(
            f"layers {list(sizes)} have {count:,} parameters, too many for the Value engine "
            f"(at most {VALUE_ENGINE_LIMIT:,}: one Python object per number); use --engine "
            "network or tensor."
        )
    if need > memory_limit():
        raise InputError(
            f"layers {list(sizes)} have {count:,} parameters and would need about "
            f"{need / 2**30:.1f} GiB, more than this machine can give "
            f"({memory_limit() / 2**30:.1f} GiB); choose smaller layers."
        )


def build(
    engine: str = "network",
    sizes=(2, 3, 1),
    activation: str = "sigmoid",
    cost: str = "quadratic",
    init: str = "normal",
    dtype="float64",
    seed: int | None = None,
    **options,
) -> Model:
    """A fresh model of ``engine`` with these settings (every engine draws the same weights
    from the same seed). ``options`` are the engine's own (``optimizer``, ``lr`` for tensor;
    ``form`` for network); one that the engine does not take is refused."""
    kind = engine_class(engine)
    if init not in ENGINE_INITS[engine]:
        raise InputError(
            f"the {engine} engine has no init {init!r}: choose one of "
            f"{', '.join(ENGINE_INITS[engine])}."
        )
    check_size(engine, list(sizes), dtype)
    unknown = set(options) - set(ENGINE_OPTIONS.get(engine, ()))
    if unknown:
        raise InputError(
            f"the {engine} engine does not take {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(ENGINE_OPTIONS.get(engine, ())) or 'no options'}."
        )
    return kind(list(sizes), activation, cost, init, np.dtype(dtype), seed=seed, **options)


def options_from_settings(engine: str, settings: dict) -> dict:
    """The engine's own options from a run's settings: the optimizer (and Adam's fixed rate) for
    an engine that takes one, the backprop form (``settings["backprop"]``) for one that takes it."""
    takes = ENGINE_OPTIONS.get(engine, ())
    options = {}
    if "optimizer" in takes:
        optimizer = settings.get("optimizer", "sgd")
        options.update(optimizer=optimizer, lr=settings["lr"] if optimizer == "adam" else None)
    if "form" in takes:
        options["form"] = settings.get("backprop", "matrix")
    return options


def engines_taking(option: str) -> list[str]:
    """The engines that take ``option`` (e.g. ``"optimizer"``: the tensor engine)."""
    return [engine for engine, takes in ENGINE_OPTIONS.items() if option in takes]


def engine_class(engine: str) -> type:
    """The class registered as ``engine``; one sentence listing the choices otherwise."""
    kind = ENGINES.get(engine) if isinstance(engine, str) else None
    if kind is None:
        raise InputError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}.")
    return kind


def check_model(model) -> Model:
    """``model`` itself if it implements the protocol; one sentence otherwise."""
    if not isinstance(model, Model) or getattr(model, "engine", None) not in ENGINES:
        raise InputTypeError(
            f"expected a chainrule model ({', '.join(k.__name__ for k in ENGINES.values())}), "
            f"got {type(model).__name__}."
        )
    return model


def twin(model: Model, **changes) -> Model:
    """An untrained model with ``model``'s settings (``changes`` override them), weights copied:
    e.g. ``twin(net, dtype="float64")`` or ``twin(tensor_net, engine="network")``."""
    settings = {**model.describe(), **changes}
    engine = settings.pop("engine")
    settings.pop("optimizer", None)
    if settings["init"] not in ENGINE_INITS.get(engine, ()):
        settings["init"] = "normal"  # the weights are copied over it: any init will do
    copy = build(engine, seed=0, **settings)
    copy.set_parameters(model.parameters())
    return copy
