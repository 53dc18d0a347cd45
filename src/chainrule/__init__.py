"""chainrule: backpropagation you can see, check and run fast."""

from chainrule.errors import ChainruleError
from chainrule.scalar import Value

__version__ = "0.1.0"
__all__ = ["Value", "ChainruleError", "__version__"]
