"""Shared test helpers: central finite differences, the judge of every gradient."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest


def central_difference(f, x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h: error O(h^2), independent of any code under test."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric_gradient(f, xs: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of scalar ``f`` at ``xs`` by central differences, one coordinate at a time."""
    xs = np.asarray(xs, dtype=np.float64)
    grad = np.zeros_like(xs)
    for i in range(xs.size):
        up, down = xs.copy(), xs.copy()
        up.flat[i] += h
        down.flat[i] -= h
        grad.flat[i] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A data root whose ``mnist`` subfolder holds MNIST's four ``.gz`` files: $CHAINRULE_DATA,
    else the shared/ folder beside the checkout."""
    env = os.environ.get("CHAINRULE_DATA")
    root = (Path(env) if env else Path(__file__).parents[2] / "shared" / "data").resolve()
    assert (root / "mnist").is_dir(), f"no MNIST at {root / 'mnist'}; set CHAINRULE_DATA"
    return root
