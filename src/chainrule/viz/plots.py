"""Plots of training (matplotlib, Agg backend: files, no screen).

Each function draws one picture and writes it as PNG (atomically) at a fixed size: ``figsize``
inches times 100 dots per inch.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from chainrule.errors import InputError
from chainrule.files import atomic_write


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


def plot_grad_norms(history, path: str | Path) -> Path:
    """``||dC/dW^l||`` (Frobenius norm, measured after each epoch) for every layer ``l`` on a log
    scale. In a deep sigmoid net the earlier layers' curves lie far below the later ones': by BP2
    each layer back multiplies delta by ``W^T`` and by ``sigma'(z) <= 1/4`` (the vanishing
    gradient)."""
    norms = np.array(history.column("grad_norms"), dtype=float)  # (epochs, layers)
    if norms.ndim != 2 or norms.size == 0:
        raise InputError("this history has no gradient norms per layer to plot.")
    epochs = history.column("epoch")
    layers = norms.shape[1]
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, layers))
    for l in range(layers):
        kind = "output layer" if l == layers - 1 else "hidden layer"
        ax.semilogy(epochs, norms[:, l], marker=".", color=colors[l], label=f"W{l + 1} ({kind})")
    ax.set(
        xlabel="epoch",
        ylabel="||dC/dW^l||",
        title="Gradient norm per layer (earlier layers learn slower)",
    )
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def image_shape(n_features: int) -> tuple[int, int]:
    """The side lengths of a square image of ``n_features`` pixels (784 -> 28x28, 64 -> 8x8)."""
    side = math.isqrt(int(n_features))
    if side * side != n_features:
        raise InputError(
            f"{n_features} inputs are not a square image; weights and digits can be drawn only "
            "for image data such as mnist (28x28) or digits (8x8)."
        )
    return side, side


def _grid(count: int) -> tuple[int, int]:
    cols = int(np.ceil(np.sqrt(count)))
    return int(np.ceil(count / cols)), cols


def plot_weights(net, path: str | Path, max_units: int = 100) -> Path:
    """The first layer's weights, one image per hidden neuron: row ``j`` of ``W^1`` (shape
    ``(n_1, n_0)``) reshaped to the input image (28x28 for MNIST), red positive, blue negative,
    each on its own symmetric scale. A neuron responds to inputs that look like its red parts."""
    W = np.asarray(net.parameters()["W1"], dtype=float)
    shape = image_shape(W.shape[1])
    units = min(len(W), max_units)
    rows, cols = _grid(units)
    fig, axes = plt.subplots(rows, cols, figsize=(8, 8), squeeze=False)
    for j, ax in enumerate(axes.flat):
        ax.axis("off")
        if j < units:
            scale = float(np.abs(W[j]).max()) or 1.0
            ax.imshow(W[j].reshape(shape), cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_title(str(j), fontsize=7)
    fig.suptitle(f"First-layer weights W1: {units} of {len(W)} hidden neurons")
    return save_figure(fig, path)


def plot_misclassified(net, X, y, path: str | Path, max_images: int = 36) -> Path:
    """A grid of the samples ``net`` gets wrong (rows of ``X``, shape ``(m, n_0)``, drawn as
    square images), each titled with its predicted and true labels."""
    X, y = np.asarray(X), np.asarray(y)
    shape = image_shape(X.shape[1])
    predicted = net.predict(X)
    wrong = np.flatnonzero(predicted != y)
    shown = wrong[:max_images]
    rows, cols = _grid(max(len(shown), 1))
    fig, axes = plt.subplots(rows, cols, figsize=(8, 8), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, shown):
        ax.imshow(X[i].reshape(shape), cmap="gray_r")
        ax.set_title(f"{predicted[i]} (true {y[i]})", fontsize=9, color="tab:red")
    if not len(shown):
        axes.flat[0].text(0.5, 0.5, "none misclassified", ha="center", va="center")
    fig.suptitle(
        f"Misclassified: {len(wrong)} of {len(y)} ({len(wrong) / len(y):.1%}); predicted (true)"
    )
    return save_figure(fig, path)
