"""chainrule: backpropagation you can see, check and run fast."""

from chainrule.errors import ChainruleError
from chainrule.network import Network
from chainrule.scalar import Value

__version__ = "0.1.0"
__all__ = ["ChainruleError", "Network", "Value", "__version__"]
