"""Gradient checks: every engine's gradient against central finite differences.

For one parameter ``w`` and the cost ``C`` of a batch ``(X, Y)``, the central difference

    dC/dw  ~  n = (C(w + eps) - C(w - eps)) / (2 eps)

needs no derivative at all, so it is a judge independent of the code under test. Its error is
``O(eps^2)`` from the Taylor series plus the rounding error of ``C`` divided by the step:

    noise = 10 u max(|C|, 1) / eps

(``u`` is the unit roundoff: 1.1e-16 in float64, 6e-8 in float32; the factor 10 covers the
rounding of the sums inside ``C``). A derivative smaller than that is invisible to a finite
difference. Each parameter's analytic gradient ``g`` (the engine's own backward pass) is compared
with ``n`` by

    err = |g - n| / max(|g|, |n|, noise / tol)

which is the relative error ``|g - n| / |g|`` wherever the gradient stands clear of the noise,
and for the tiny ones says ``err <= tol`` exactly when ``|g - n| <= noise``. A group of parameters
(``W1``, ``b1``, ...) passes when its largest ``err`` is at most ``tol``.

Every engine works through the Model protocol (chainrule.protocol): ``batch_cost`` is ``C``,
``gradient`` the engine's own backward pass, parameters named ``W1, b1, W2, ...`` with ``W^l`` of
shape ``(n_l, n_{l-1})``, nudged through ``set_parameters`` and put back to their exact original
bits afterwards.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.models.registry import as_explainer, check_model, twin
from chainrule.train import check_data

# (eps, tol) by float type: in float32 a step below ~1e-3 is lost in rounding.
DEFAULTS = {np.dtype(np.float64): (1e-6, 1e-6), np.dtype(np.float32): (1e-3, 1e-2)}
NOISE_FACTOR = 10
MAX_EPS = 1.0  # a step this large measures a secant, not a derivative


class Float32Warning(UserWarning):
    """A gradient check in float32, where finite differences are good to about 1e-3 at best."""


class _Parameters:
    """A model's parameters as arrays of its own dtype; each nudge is written back to the model
    through ``set_parameters``, so every engine is nudged the same way."""

    def __init__(self, model):
        self.model = model
        self.arrays = {name: np.array(a) for name, a in model.parameters().items()}

    def shapes(self):
        return {name: a.shape for name, a in self.arrays.items()}

    def get(self, name, index):
        return self.arrays[name][index]  # a numpy scalar of the array's own dtype: exact

    def set(self, name, index, value):
        self.arrays[name][index] = value
        self.model.set_parameters(self.arrays)
        return float(self.arrays[name][index])  # what was actually stored (rounded to dtype)


# ---------------------------------------------------------------------------------- results
@dataclass
class GroupCheck:
    """One parameter group's check: the largest relative error and where it occurred."""

    name: str
    shape: tuple
    checked: int
    size: int
    max_error: float
    worst: tuple
    analytic: float
    numeric: float
    passed: bool


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found, group by group; ``str(result)`` is a readable table."""

    model: str
    samples: int
    dtype: str
    eps: float
    tol: float
    noise: float
    groups: list[GroupCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.groups)

    @property
    def errors(self) -> dict[str, float]:
        """The max relative error of each group, by name."""
        return {g.name: g.max_error for g in self.groups}

    @property
    def max_error(self) -> float:
        return max(g.max_error for g in self.groups)

    def __getitem__(self, name: str) -> GroupCheck:
        return next(g for g in self.groups if g.name == name)

    def __str__(self) -> str:
        head = ("group", "shape", "checked", "max rel error", "worst at", "analytic", "numeric", "")
        rows = [
            (
                g.name,
                "x".join(map(str, g.shape)),
                f"{g.checked}/{g.size}",
                f"{g.max_error:.2e}",
                "[" + ", ".join(map(str, g.worst)) + "]",
                f"{g.analytic:+.6e}",
                f"{g.numeric:+.6e}",
                "ok" if g.passed else "FAIL",
            )
            for g in self.groups
        ]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = [
            f"gradcheck of {self.model} on {self.samples} sample(s)",
            f"central differences in {self.dtype}, eps {self.eps:g}; differences within the "
            f"finite-difference noise {self.noise:.1e} count as agreement",
            "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip(),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        failed = [g.name for g in self.groups if not g.passed]
        lines.append(
            f"passed: every group within {self.tol:g}"
            if not failed
            else f"FAILED: {', '.join(failed)} off by more than {self.tol:g}"
        )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- the check
def gradcheck(model, X, Y, eps=None, tol=None, max_params=None, seed=0) -> GradcheckResult:
    """Compare ``model``'s gradient of the cost on ``(X, Y)`` with central finite differences.

    ``X`` has shape ``(m, n_0)``; ``Y`` holds labels ``(m,)`` or targets ``(m, n_L)``. Every
    parameter is checked, or with ``max_params=k`` a random sample of ``k`` per group (drawn
    with ``seed``). Defaults in float64: ``eps=1e-6``, ``tol=1e-6``. A float32 model is checked
    as it is, with a :class:`Float32Warning` and looser defaults (``eps=1e-3``, ``tol=1e-2``);
    for a tight check, build the model with ``dtype=float64`` (see :func:`as_float64`).
    """
    check_model(model)
    dtype = np.dtype(model.dtype)
    if dtype == np.float32:
        warnings.warn(
            "float32 finite differences are only good to ~1e-3; check the model with dtype "
            "float64 for a tight gradient check.",
            Float32Warning,
            stacklevel=2,
        )
    default_eps, default_tol = DEFAULTS[dtype]
    try:
        eps = default_eps if eps is None else float(eps)
        tol = default_tol if tol is None else float(tol)
    except (TypeError, ValueError):
        raise InputTypeError(f"eps and tol must be numbers, got {eps!r} and {tol!r}.") from None
    if not (0 < eps < MAX_EPS) or not (0 < tol < math.inf):
        raise InputError(
            f"eps and tol must be positive numbers, eps below {MAX_EPS:g}; got eps={eps}, "
            f"tol={tol} (the defaults are eps={default_eps:g}, tol={default_tol:g})."
        )
    if max_params is not None and not (isinstance(max_params, numbers.Integral) and max_params > 0):
        raise InputError(f"max_params must be a positive whole number, got {max_params}.")
    try:
        shape = np.shape(X)
    except ValueError:  # a ragged list
        shape = ("ragged",)
    if len(shape) != 2 or shape[1] != model.sizes[0] or shape[0] == 0:
        raise InputError(
            f"gradcheck needs inputs of shape (m, {model.sizes[0]}) for {model}, got {shape}."
        )
    check_data(model, X, Y, "gradcheck data")  # labels or targets that fit the outputs
    X = np.asarray(X, dtype=dtype)
    Y = model.targets(Y)
    params = _Parameters(model)
    analytic = model.gradient(X, Y)

    def cost():
        return model.batch_cost(X, Y)

    noise = NOISE_FACTOR * np.finfo(dtype).eps / 2 * max(abs(cost()), 1.0) / eps
    floor = noise / tol
    rng = np.random.default_rng(seed)
    result = GradcheckResult(repr(model), len(X), dtype.name, eps, tol, noise)
    with np.errstate(over="ignore", invalid="ignore"):
        for name, shape in params.shapes().items():
            size = int(np.prod(shape))
            flat = np.arange(size)
            if max_params is not None and size > max_params:
                flat = np.sort(rng.choice(size, int(max_params), replace=False))
            numeric = np.array([_difference(params, cost, name, i, shape, eps) for i in flat])
            g = analytic[name].reshape(-1)[flat].astype(np.float64)
            errors = np.abs(g - numeric) / np.maximum(np.maximum(np.abs(g), np.abs(numeric)), floor)
            errors = np.where(np.isnan(errors), np.inf, errors)  # NaN never passes
            k = int(np.argmax(errors))
            result.groups.append(
                GroupCheck(
                    name,
                    tuple(shape),
                    len(flat),
                    size,
                    float(errors[k]),
                    tuple(int(i) for i in np.unravel_index(flat[k], shape)),
                    float(g[k]),
                    float(numeric[k]),
                    bool(errors[k] <= tol),
                )
            )
    return result


def _difference(params, cost, name, flat_index, shape, eps) -> float:
    """``(C(w + eps) - C(w - eps)) / (w+ - w-)`` for one parameter, dividing by the step as it
    was actually stored (``w + eps`` is rounded to the float type), then the original restored."""
    index = np.unravel_index(flat_index, shape)
    original = params.get(name, index)
    try:
        up = params.set(name, index, original + eps)
        c_up = cost()
        down = params.set(name, index, original - eps)
        c_down = cost()
    finally:
        params.set(name, index, original)  # the very same bits as before
    if up == down:
        raise InputError(
            f"eps {eps:g} is too small to change {name}[{','.join(str(int(i)) for i in index)}] = "
            f"{float(original):g} in "
            f"{np.asarray(original).dtype}; give a larger eps (the default is "
            f"{DEFAULTS[np.asarray(original).dtype][0]:g})."
        )
    return (c_up - c_down) / (up - down)


def as_float64(model):
    """A float64 copy of a float32 model (same weights, any engine), for a tight check; a
    float64 model is returned as it is."""
    return model if np.dtype(model.dtype) == np.float64 else twin(model, dtype="float64")


def as_network(model):
    """The same network, weights and all, in float64 on an engine that explains per layer (the
    model itself when it is one; see ``chainrule.models.registry.as_explainer``)."""
    return as_explainer(model)
