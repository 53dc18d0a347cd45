"""The playground's data: a generated or uploaded 2-D set, split into train and test, and the
input features computed from the two coordinates.

Features are the TensorFlow Playground's: ``x1, x2, x1^2, x2^2, x1 x2, sin x1, sin x2``; the
network's input layer has one neuron per chosen feature, so ``X`` given to a model has shape
``(m, len(features))``.

A CSV file has two feature columns and a label (whole numbers: classes) or target (any number:
regression) column, with or without a header line, any line endings (``\n``, ``\r\n``, ``\r``).
Targets are scaled linearly into ``[-1, 1]`` (the tanh output's range), as the Playground's
regression does.

Besides ``chainrule.data.planar``'s sets, the Playground's regression ``multi_gaussian_regression``:
uniform points, target ``sum_i s_i exp(-|p - c_i|^2 / 2 sigma^2)`` over six centres
``c_i = (4u, 2.5v)`` (``u in {-1, 0, 1}``, ``v in {-1, 1}``) of alternating sign ``s_i = +-1``,
``sigma = 1.2``, clipped to ``[-1, 1]``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from chainrule.data import planar
from chainrule.errors import DataError, InputError

FEATURES = {
    "x1": lambda P: P[:, 0],
    "x2": lambda P: P[:, 1],
    "x1^2": lambda P: P[:, 0] ** 2,
    "x2^2": lambda P: P[:, 1] ** 2,
    "x1x2": lambda P: P[:, 0] * P[:, 1],
    "sin_x1": lambda P: np.sin(P[:, 0]),
    "sin_x2": lambda P: np.sin(P[:, 1]),
}
REGRESSION_GAUSSIANS = [
    (-4, 2.5, 1),
    (0, 2.5, -1),
    (4, 2.5, 1),
    (-4, -2.5, -1),
    (0, -2.5, 1),
    (4, -2.5, -1),
]
DATA_SETS = [*planar.GENERATORS, "multi_gaussian_regression"]
MAX_ROWS = 5000
MAX_BYTES = 1 << 20


@dataclass
class Problem:
    """Points ``(n, 2)`` and their labels ``(n,)`` (int) or targets ``(n,)`` (float in [-1, 1]),
    split into train and test; ``domain`` is the square the heat maps cover."""

    name: str
    points: np.ndarray
    test_points: np.ndarray
    y: np.ndarray
    test_y: np.ndarray
    classes: int  # 0 for regression
    domain: tuple[float, float, float, float]

    @property
    def regression(self) -> bool:
        return self.classes == 0


def features(points: np.ndarray, names) -> np.ndarray:
    """The chosen features of points ``(m, 2)``: shape ``(m, len(names))``, float64."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise InputError(
            f"choose at least one feature from {', '.join(FEATURES)}; got {list(names)}."
        )
    return np.stack([FEATURES[n](points) for n in names], axis=1)


def split(name, points, y, classes, ratio: float, seed: int, domain=None) -> Problem:
    """Shuffle with ``seed`` and keep ``ratio`` (0.1 .. 0.9) of the points for training."""
    if not (isinstance(ratio, (int, float)) and 0.1 <= ratio <= 0.9):
        raise InputError(f"the training share must be a number from 0.1 to 0.9, not {ratio!r}.")
    order = np.random.default_rng(seed + 1).permutation(len(points))
    cut = max(1, min(len(points) - 1, round(len(points) * ratio)))
    train, test = order[:cut], order[cut:]
    if domain is None:
        domain = (-6.0, 6.0, -6.0, 6.0)
    return Problem(name, points[train], points[test], y[train], y[test], classes, domain)


def multi_gaussian_regression(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(n, 2)`` and targets ``(n,)`` in ``[-1, 1]`` (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-6, 6, (n, 2))
    target = sum(
        sign * np.exp(-((points[:, 0] - cx) ** 2 + (points[:, 1] - cy) ** 2) / (2 * 1.2**2))
        for cx, cy, sign in REGRESSION_GAUSSIANS
    )
    return points, np.clip(target + rng.normal(0, 1, n) * noise * 0.2, -1.0, 1.0)


def generated(name, n, noise, ratio, seed, classes=3) -> Problem:
    """One of ``chainrule.data.planar``'s sets, or ``multi_gaussian_regression``."""
    if name == "multi_gaussian_regression":
        points, y = multi_gaussian_regression(n, noise, seed)
        return split(name, points, y, 0, ratio, seed)
    points, y = planar.generate(name, n, noise, seed, classes)
    count = 0 if name in planar.REGRESSION else int(y.max()) + 1
    return split(name, points, y, count, ratio, seed)


def parse_csv(text: str, ratio: float = 0.5, seed: int = 0) -> Problem:
    """A problem from CSV text (see the module's docstring); one sentence per kind of bad file,
    naming the line and column where one is to blame."""
    if len(text) > MAX_BYTES:
        raise DataError(
            f"the file is larger than {MAX_BYTES >> 10} KiB; give at most {MAX_ROWS} rows."
        )
    try:  # (newline=None: \r\n and a lone \r end a line too)
        rows = [r for r in csv.reader(io.StringIO(text, newline=None)) if any(c.strip() for c in r)]
    except csv.Error as e:
        raise DataError(
            f"the file is not a table of numbers ({e}); give lines of x1,x2,label, "
            "one number per cell."
        ) from None
    if rows and not _numeric(rows[0][0]):
        rows = rows[1:]  # a header line
    if not rows:
        raise DataError("the file has no data rows; give lines of x1,x2,label.")
    if len(rows) > MAX_ROWS:
        raise DataError(f"the file has {len(rows)} rows, more than {MAX_ROWS}; use fewer points.")
    values = np.empty((len(rows), 3))
    for i, row in enumerate(rows, start=1):
        if len(row) < 3:
            raise DataError(
                f"data row {i} has {len(row)} column(s); each row needs two feature columns and "
                "a label or target column (x1,x2,label)."
            )
        for j, cell in enumerate(row[:3]):
            try:
                values[i - 1, j] = float(cell)
            except ValueError:
                raise DataError(
                    f"data row {i}, column {j + 1} holds {cell.strip()[:20]!r}, not a number."
                ) from None
            if not math.isfinite(values[i - 1, j]):
                raise DataError(f"data row {i}, column {j + 1} is NaN or infinite; clean it first.")
    if len(rows) < 4:
        raise DataError(f"the file has {len(rows)} rows; give at least 4.")
    points, last = values[:, :2], values[:, 2]
    if np.all(last == np.round(last)):
        labels, y = np.unique(last, return_inverse=True)
        if len(labels) < 2:
            raise DataError("the label column has only one class; give at least two.")
        if len(labels) > planar.MAX_CLASSES:
            raise DataError(
                f"the label column has {len(labels)} classes, more than {planar.MAX_CLASSES}; "
                "merge some classes."
            )
        y, classes = y.astype(np.int64), len(labels)
    elif last.min() == last.max():
        raise DataError(
            f"the label column holds one value ({last[0]:g}) on every row; give whole-number "
            "class labels, or targets that vary for a regression."
        )
    else:
        low, high = last.min(), last.max()
        y, classes = 2 * (last - low) / (high - low) - 1, 0
    pad = 0.05 * max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1e-9)
    domain = (
        float(points[:, 0].min() - pad),
        float(points[:, 0].max() + pad),
        float(points[:, 1].min() - pad),
        float(points[:, 1].max() + pad),
    )
    return split("csv", points, y, classes, ratio, seed, domain)


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
