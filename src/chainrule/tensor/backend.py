"""The one place the tensor engine takes its array module from.

Every array operation in ``chainrule.tensor`` goes through ``xp``. Today that is numpy; a
numpy-compatible module (CuPy on a GPU) could stand in here without touching the math. The
activation table in ``chainrule.functions`` is written against numpy too, and would follow.
"""

import numpy as xp
from scipy.linalg import blas

FLOAT_DTYPES = (xp.float32, xp.float64)

__all__ = ["FLOAT_DTYPES", "axpy", "xp"]

_AXPY = {xp.dtype(xp.float32): blas.saxpy, xp.dtype(xp.float64): blas.daxpy}


def axpy(a: float, x, y) -> None:
    """``y <- a x + y`` in place (BLAS axpy: one pass, no temporary array; numpy's
    ``y += a * x`` makes ``a * x`` first). Any shape; other dtypes or layouts take numpy's way."""
    routine = _AXPY.get(y.dtype)
    if routine is None or x.dtype != y.dtype or x.shape != y.shape:
        y += a * x
    elif x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable:
        routine(x.reshape(-1), y.reshape(-1), a=a)
    else:
        y += a * x
