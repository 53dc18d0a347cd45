"""The library's own errors: one sentence that names the problem and the fix.

Every error chainrule raises on purpose derives from :class:`ChainruleError`, so a caller (and the
command line) can tell a problem with the input from a bug. Each also derives from the builtin
exception a Python programmer would expect (``ValueError``, ``TypeError``), so ``except
ValueError`` keeps working.
"""


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""


class InputError(ChainruleError, ValueError):
    """A value is outside what the operation accepts (NaN data, log of a negative number, ...)."""


class InputTypeError(ChainruleError, TypeError):
    """A value has the wrong type (a string where a number belongs, ...)."""
