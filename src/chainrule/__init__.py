"""chainrule: backpropagation you can see, check and run fast."""

from chainrule.errors import ChainruleError
from chainrule.io import load, save
from chainrule.network import Network
from chainrule.scalar import Value
from chainrule.tensor import Tensor, no_grad

__version__ = "0.1.0"
__all__ = ["ChainruleError", "Network", "Tensor", "Value", "__version__", "load", "no_grad", "save"]
