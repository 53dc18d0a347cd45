"""Plots of training (matplotlib, Agg backend: files, no screen)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from chainrule.io import atomic_write


def save_figure(fig, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as PNG atomically (never a half-written file) and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return atomic_write(path, buffer.getvalue())


def plot_history(history, path: str | Path) -> Path:
    """Cost (left) and accuracy (right) per epoch, on the training and the test data."""
    epochs = history.column("epoch")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history.column("cost"), marker=".", label="training")
    if any(c is not None for c in history.column("test_cost")):
        left.plot(epochs, history.column("test_cost"), marker=".", label="test")
    left.set(xlabel="epoch", ylabel="cost", title="Cost per epoch")
    left.legend()
    right.plot(
        epochs, [100 * a for a in history.column("train_accuracy")], marker=".", label="training"
    )
    if any(a is not None for a in history.column("test_accuracy")):
        right.plot(
            epochs, [100 * a for a in history.column("test_accuracy")], marker=".", label="test"
        )
    right.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy per epoch")
    right.legend()
    fig.tight_layout()
    return save_figure(fig, path)
