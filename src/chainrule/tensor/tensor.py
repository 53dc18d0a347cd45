"""The names ``chainrule.tensor.tensor`` offered before the engine was split into ``core`` and
the ``ops_*`` modules; import them from ``chainrule.tensor`` instead."""

from chainrule.tensor.core import Tensor, is_grad_enabled, mark_changed, no_grad
from chainrule.tensor.creation import tensor
from chainrule.tensor.ops_elementwise import apply, times_derivative, where
from chainrule.tensor.ops_shape import concatenate, matmul

__all__ = [
    "Tensor",
    "apply",
    "concatenate",
    "is_grad_enabled",
    "mark_changed",
    "matmul",
    "no_grad",
    "tensor",
    "times_derivative",
    "where",
]
