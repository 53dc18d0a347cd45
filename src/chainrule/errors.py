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


class DataError(ChainruleError, ValueError):
    """A data set is missing, cannot be downloaded, or its files are not what they should be."""


class IDXFormatError(DataError):
    """A file (or byte string) is not a well-formed IDX file, MNIST's format."""


class DownloadError(DataError):
    """No mirror delivered a file intact; ``failures`` lists each as ``"url: what went wrong"``."""

    def __init__(self, message: str, failures: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.failures = list(failures)


class IndexOutOfRangeError(InputError, IndexError):
    """An index past the end of a tensor: also an ``IndexError``, which Python's ``for`` and
    PyTorch's users rely on."""


class TensorRuntimeError(InputError, RuntimeError):
    """What PyTorch refuses with a ``RuntimeError`` (a graph whose saved values changed in place,
    an in-place change to a leaf that requires grad, a graph walked twice, an ambiguous truth):
    also a ``RuntimeError``."""
