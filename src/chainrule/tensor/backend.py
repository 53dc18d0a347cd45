"""The one place the tensor engine takes its array module from.

Every array operation in ``chainrule.tensor`` goes through ``xp``. Today that is numpy; a
numpy-compatible module (CuPy on a GPU) could stand in here without touching the math. The
activation table in ``chainrule.functions`` is written against numpy too, and would follow.
"""

import numpy as xp
from scipy.linalg.blas import get_blas_funcs

FLOAT_DTYPES = (xp.float32, xp.float64)
_AXPY = {xp.dtype(t): get_blas_funcs("axpy", dtype=t) for t in FLOAT_DTYPES}

__all__ = ["FLOAT_DTYPES", "subtract_scaled", "xp"]


def subtract_scaled(p, g, a: float) -> None:
    """``p -= a * g`` in place. BLAS's axpy does it in one pass with no temporary array where
    both are contiguous and of one float dtype (an SGD step on a big weight matrix: about half
    the time of numpy's two passes); numpy does it otherwise."""
    axpy = _AXPY.get(p.dtype)
    if axpy is not None and g.dtype == p.dtype and p.flags.c_contiguous and g.flags.c_contiguous:
        axpy(g.reshape(-1), p.reshape(-1), a=-a)
    else:
        p -= a * g
