"""A tensor as other things: Python numbers, lists and strings (``item``, ``int(t)``,
``f"{loss:.4f}"``, ``for row in t``, ``len``), numpy arrays (``np.asarray(t)``, ``.numpy()``), and
other dtypes (``to``, ``float()``, ``long()``, ...), with PyTorch's refusals where a tensor has
more than one number.
"""

from __future__ import annotations

from chainrule.errors import InputError, InputTypeError, TensorRuntimeError
from chainrule.tensor.backend import FLOAT_DTYPES, xp
from chainrule.tensor.core import Tensor, make, method, shapes_only

__all__: list[str] = []


# ------------------------------------------------------------------------ Python and numpy values
@method("__len__")
def _len(self):
    if not self._data.ndim:
        raise InputTypeError("len() of a 0-d tensor: it holds one number (use .item()).")
    return len(self._data)


@method("__iter__")
def _iter(self):
    """``for row in x``: the slices ``x[0], x[1], ...`` along the first dimension."""
    if not self._data.ndim:
        raise InputTypeError("iteration over a 0-d tensor: it holds one number (.item()).")
    return (self[i] for i in range(len(self._data)))


@method("__format__")
def _format(self, spec: str) -> str:
    """``f"{loss:.4f}"`` formats the number of a one-element tensor (``str`` otherwise)."""
    if spec and self._data.size == 1:
        return format(self._data.item(), spec)
    if spec:
        raise InputTypeError(
            f"format {spec!r} needs a one-element tensor, this one has shape {self.shape}: "
            "format t.item() or each number of t.tolist()."
        )
    return str(self)


@method("__repr__")
def _repr(self):
    grad = ", requires_grad=True" if self.requires_grad else ""
    body = xp.array2string(self._data, precision=4, separator=", ", prefix="Tensor(")
    return f"Tensor({body}{grad})"


@method("__array__")
def _array(self, dtype=None, copy=None):
    """numpy functions see the data (``np.asarray(t)``, ``np.allclose(t.grad, ...)``)."""
    array = xp.asarray(self._data)  # an array even when an op left a numpy scalar
    return array if dtype is None else array.astype(dtype)


@method("numpy")
def _numpy(self):
    """The data as a numpy array (the same memory: changing it bypasses autograd)."""
    return self._data


@method("item")
def _item(self):
    """The one element of a one-element tensor as a Python number (PyTorch's item)."""
    if self._data.size != 1:
        raise InputError(
            f"item() needs a one-element tensor, this one has shape {self.shape}; use "
            ".tolist() for all the values."
        )
    return self._data.item()


@method("tolist")
def _tolist(self):
    """The data as nested lists of shape ``shape``, a number if 0-d (PyTorch's tolist)."""
    return self._data.tolist()


@method("__float__")
def _python_float(self):
    return float(_one_number(self))


@method("__int__")
def _python_int(self):
    return int(_one_number(self))


@method("__bool__")
def _python_bool(self):
    if self._data.size != 1:
        raise TensorRuntimeError(
            f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
            "use .any() or .all()."
        )
    return bool(self._data.item())


@method("__index__")
def _index(self):
    """A one-element integer tensor as a list index or ``range`` bound (PyTorch's rule)."""
    if self._data.size != 1 or self._data.dtype.kind not in "iub":
        raise InputTypeError(
            "only integer tensors of a single element can be converted to an index; this "
            f"one is {self._data.dtype} of shape {self.shape}."
        )
    return int(self._data.item())


def _one_number(self):
    if self._data.size != 1:
        raise InputError(
            f"only one-element tensors can be converted to Python numbers, this one has "
            f"shape {self.shape}; use .tolist()."
        )
    return self._data.item()


# ------------------------------------------------------------------------ dtypes
def cast(self, dtype):
    """The same values as ``dtype``; a float-to-float change passes the gradient back (cast to
    the input's dtype). ``Tensor.to`` (device.py) reads PyTorch's argument forms and calls this."""
    dtype = xp.dtype(dtype)
    if dtype == self._data.dtype:
        return self
    data = self._data.astype(dtype)
    if dtype not in FLOAT_DTYPES:
        return Tensor(data)  # integers and booleans carry no gradient
    return make(data, (self,), _to_back)


@shapes_only
def _to_back(g, out):
    return (g.astype(out._inputs[0]._data.dtype),)


@method("float")
def _float(self):
    return cast(self, xp.float32)


@method("double")
def _double(self):
    return cast(self, xp.float64)


@method("long")
def _long(self):
    return cast(self, xp.int64)


@method("int")
def _int(self):
    return cast(self, xp.int32)


@method("bool")
def _bool(self):
    return cast(self, xp.bool_)
