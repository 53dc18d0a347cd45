"""chainrule: backpropagation you can see, check and run fast.

The names below are loaded on first use (PEP 562), so ``import chainrule`` is instant and the
command line can turn a Ctrl-C during start-up into one line.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy names are, for readers and static tools (the docs)
    from chainrule.errors import ChainruleError
    from chainrule.models import ENGINES, TensorNetwork, ValueNetwork, build
    from chainrule.models.store import load, save
    from chainrule.network import Network
    from chainrule.protocol import Model
    from chainrule.scalar import Value
    from chainrule.tensor import Tensor, no_grad
    from chainrule.train import train

__version__ = "0.2.0"

_WHERE = {
    "ChainruleError": "chainrule.errors",
    "ENGINES": "chainrule.models",
    "Model": "chainrule.protocol",
    "Network": "chainrule.network",
    "Tensor": "chainrule.tensor",
    "TensorNetwork": "chainrule.models",
    "Value": "chainrule.viz.graph",  # (which also teaches Jupyter to draw a Value's graph)
    "ValueNetwork": "chainrule.models",
    "build": "chainrule.models",
    "load": "chainrule.models.store",
    "no_grad": "chainrule.tensor",
    "save": "chainrule.models.store",
    "train": "chainrule.train",
}
__all__ = [
    "ENGINES",
    "ChainruleError",
    "Model",
    "Network",
    "Tensor",
    "TensorNetwork",
    "Value",
    "ValueNetwork",
    "__version__",
    "build",
    "load",
    "no_grad",
    "save",
    "train",
]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value  # once found, an ordinary attribute
        return value
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_WHERE])
