"""The one place the tensor engine takes its array module from.

Every array operation in ``chainrule.tensor`` goes through ``xp``. Today that is numpy; a
numpy-compatible module (CuPy on a GPU) could stand in here without touching the math. The
activation table in ``chainrule.functions`` is written against numpy too, and would follow.
"""

import numpy as xp

FLOAT_DTYPES = (xp.float32, xp.float64)

__all__ = ["FLOAT_DTYPES", "xp"]
