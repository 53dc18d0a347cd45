"""Two-dimensional data sets to play with (the TensorFlow Playground's, plus a few).

Every generator returns ``(X, y)``: ``X`` of shape ``(n, 2)`` (float64, points in the square
``[-6, 6]^2``), ``y`` class labels ``(n,)`` (int64, ``0 .. k-1``) or, for the regression plane,
targets ``(n,)`` in ``[-1, 1]``. ``noise`` is a fraction ``0 .. 1`` of each set's natural spread;
``seed`` fixes the draw.

* ``circle``: a disc (label 1) inside a ring (label 0).
* ``xor``: the quadrants, label ``x1 x2 > 0``.
* ``gaussian``: two round clusters.
* ``spiral``: two interleaved spirals.
* ``moons``: two interleaved half circles.
* ``multi_gaussian``: ``classes`` clusters on a circle (softmax territory).
* ``plane``: regression, target ``(x1 + x2) / 12`` in ``[-1, 1]``.
"""

from __future__ import annotations

import numpy as np

from chainrule.errors import InputError

RADIUS = 5.0  # points lie inside [-6, 6]^2, as in TensorFlow Playground
MAX_CLASSES = 10
REGRESSION = ("plane",)


def circle(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Half the points in a disc of radius 2.5 (label 1), half in a ring 3.5 .. 5 (label 0)."""
    inner, outer = n // 2, n - n // 2
    r = np.concatenate([rng.uniform(0, RADIUS * 0.5, inner), rng.uniform(0.7, 1, outer) * RADIUS])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    X += rng.uniform(-RADIUS, RADIUS, X.shape) * noise
    y = np.concatenate([np.ones(inner, np.int64), np.zeros(outer, np.int64)])
    return X, y


def xor(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points kept 0.3 away from the axes; label 1 where ``x1 x2 > 0``."""
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + rng.uniform(-RADIUS, RADIUS, X.shape) * noise, y


def gaussian(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two clusters centred at (2, 2) (label 1) and (-2, -2) (label 0)."""
    return multi_gaussian(n, noise, rng, classes=2, centres=np.array([[-2.0, -2.0], [2.0, 2.0]]))


def spiral(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two spirals, one turned half a turn from the other."""
    half = n // 2
    labels = np.concatenate([np.zeros(n - half, np.int64), np.ones(half, np.int64)])
    t = np.concatenate([np.arange(n - half) / max(n - half, 1), np.arange(half) / max(half, 1)])
    r = t * RADIUS
    angle = 1.75 * t * 2 * np.pi + np.pi * labels
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return X + rng.uniform(-1, 1, X.shape) * noise * 2, labels


def moons(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, scaled to the square."""
    half = n // 2
    t = np.concatenate([rng.uniform(0, np.pi, n - half), rng.uniform(0, np.pi, half)])
    labels = np.concatenate([np.zeros(n - half, np.int64), np.ones(half, np.int64)])
    x = np.where(labels == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(labels == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([(x - 0.5) * 3.5, (y - 0.25) * 3.5], axis=1)
    return X + rng.normal(0, 1, X.shape) * noise * 2, labels


def multi_gaussian(n: int, noise: float, rng, classes: int = 3, centres=None):
    """``classes`` round clusters (standard deviation ``0.5 + 2 noise``) on a circle of radius
    3.5; label ``i`` for cluster ``i``."""
    if centres is None:
        angle = 2 * np.pi * np.arange(classes) / classes + np.pi / 2
        centres = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    labels = np.arange(n, dtype=np.int64) % classes
    X = centres[labels] + rng.normal(0, 0.5 + 2 * noise, (n, 2))
    return X, labels


def plane(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Regression: uniform points, target ``(x1 + x2) / 12`` plus noise, clipped to [-1, 1]."""
    X = rng.uniform(-RADIUS - 1, RADIUS + 1, (n, 2))
    target = (X[:, 0] + X[:, 1]) / (2 * (RADIUS + 1)) + rng.normal(0, 1, n) * noise * 0.2
    return X, np.clip(target, -1.0, 1.0)


GENERATORS = {
    "circle": circle,
    "xor": xor,
    "gaussian": gaussian,
    "spiral": spiral,
    "moons": moons,
    "multi_gaussian": multi_gaussian,
    "plane": plane,
}


def generate(name: str, n: int = 500, noise: float = 0.0, seed: int = 0, classes: int = 3):
    """``(X, y)`` of the data set ``name`` (see the module's list); one sentence for a bad name,
    size, noise or number of classes."""
    if name not in GENERATORS:
        raise InputError(f"unknown data set {name!r}: choose one of {', '.join(GENERATORS)}.")
    if isinstance(n, bool) or not isinstance(n, int) or not 4 <= n <= 100_000:
        raise InputError(f"the number of points must be a whole number 4 .. 100000, not {n!r}.")
    if not (isinstance(noise, (int, float)) and 0 <= noise <= 1):
        raise InputError(f"noise must be a number from 0 to 1, not {noise!r}.")
    rng = np.random.default_rng(seed)
    if name == "multi_gaussian":
        if isinstance(classes, bool) or not isinstance(classes, int):
            raise InputError(f"classes must be a whole number, not {classes!r}.")
        if not 2 <= classes <= MAX_CLASSES:
            raise InputError(f"multi_gaussian takes 2 to {MAX_CLASSES} classes, not {classes}.")
        return multi_gaussian(n, float(noise), rng, classes=classes)
    return GENERATORS[name](n, float(noise), rng)
