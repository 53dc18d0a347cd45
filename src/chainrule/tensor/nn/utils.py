"""``torch.nn.utils``: gradient clipping, done in place on the parameters' ``.grad`` between
``loss.backward()`` and ``optimizer.step()``."""

from __future__ import annotations

import math

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``:
    ``N = ||(||g_1||, ||g_2||, ...)||`` (the p-norm of every element of every gradient; ``inf``:
    the largest ``|g|``), then each ``g <- g min(1, max_norm / (N + 1e-6))``. Returns ``N``
    (before clipping) as a 0-d tensor, as PyTorch's."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(xp.zeros(()))
    if norm_type == math.inf:
        norms = [xp.abs(g).max() if g.size else 0.0 for g in grads]
        total = xp.max(xp.array(norms, dtype=grads[0].dtype))
    else:
        norms = [xp.sum(xp.abs(g) ** norm_type) for g in grads]
        total = xp.sum(xp.array(norms, dtype=grads[0].dtype)) ** (1.0 / norm_type)
    if error_if_nonfinite and not xp.isfinite(total):
        raise InputError(
            f"the total norm of order {norm_type} of the gradients is {total}, so they cannot be "
            "clipped; set error_if_nonfinite=False to clip anyway."
        )
    scale = min(1.0, float(max_norm) / (float(total) + 1e-6))
    for g in grads:
        g *= scale
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place."""
    for g in _grads(parameters):
        xp.clip(g, -clip_value, clip_value, out=g)
