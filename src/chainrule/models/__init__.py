"""Models: the three engines behind one protocol (``chainrule.protocol.Model``) and one registry.

``build("tensor", [2, 4, 1], "tanh", ...)`` makes a model of any engine; ``ENGINES`` maps engine
names to their ``Engine`` entries (the class and what it can do; ``register`` adds one);
``save``/``load`` write and read model files.
"""

from chainrule.models.registry import (
    ENGINES,
    Engine,
    build,
    check_model,
    engine_class,
    register,
    registered,
    twin,
)
from chainrule.models.tensor import TensorNetwork
from chainrule.models.value import ValueNetwork
from chainrule.network import Network

__all__ = [
    "ENGINES",
    "Engine",
    "Network",
    "TensorNetwork",
    "ValueNetwork",
    "build",
    "check_model",
    "engine_class",
    "register",
    "registered",
    "twin",
]
