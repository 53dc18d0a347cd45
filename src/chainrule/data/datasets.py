"""The data sets the examples train on: one call each, split the same way every time.

Every loader returns a :class:`Dataset`. Its ``X_*`` are C-contiguous float arrays of shape
``(n, n_features)`` in the requested dtype (float32 unless float64 is asked for); its ``y_*`` are
int64 class labels of shape ``(n,)``.

=======  ===========  =====================  ==============================================
name     features     train / val / test     source
=======  ===========  =====================  ==============================================
xor      2            4 / - / 4 (the same)   built in
moons    2            800 / - / 200          ``sklearn.datasets.make_moons``
digits   64 (8x8)     1347 / - / 450         ``sklearn.datasets.load_digits`` (bundled)
mnist    784 (28x28)  50000 / 10000 / 10000  ``data_root()/"mnist"``, downloaded if missing
=======  ===========  =====================  ==============================================
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

from chainrule.data.download import MNIST_FILES, fetch_mnist
from chainrule.data.idx import read_idx
from chainrule.errors import DataError, DownloadError, InputError

__all__ = ["DATASETS", "Dataset", "data_root", "digits", "load", "mnist", "moons", "xor"]

DATASETS = ("xor", "moons", "digits", "mnist")


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder data sets live in: ``data_dir``, else ``$CHAINRULE_DATA``, else a user cache.

    The cache is ``$XDG_CACHE_HOME/chainrule`` when that variable holds an absolute path, else
    ``~/.cache/chainrule``. MNIST lives in the ``mnist`` subfolder of the result.
    """
    if data_dir is not None and str(data_dir):
        return _folder(Path(data_dir).expanduser(), "--data-dir")
    if os.environ.get("CHAINRULE_DATA"):
        return _folder(Path(os.environ["CHAINRULE_DATA"]).expanduser(), "CHAINRULE_DATA")
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "chainrule"


def _folder(path: Path, given_by: str) -> Path:
    """``path`` if it is a folder or does not exist yet; one sentence if it is a file (or a
    device such as /dev/null)."""
    if path.exists() and not path.is_dir():
        raise DataError(
            f"the data folder {path} (from {given_by}) is not a folder; give a folder, or a "
            "new path for chainrule to create."
        )
    return path


@dataclass(frozen=True, eq=False)
class Dataset:
    """A split data set: ``X_*`` of shape ``(n, n_features)``, ``y_*`` int64 of shape ``(n,)``.

    ``X_val`` and ``y_val`` are None when the data set has no validation split.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        """The number of columns of every ``X_*``."""
        return self.X_train.shape[1]

    def __repr__(self) -> str:
        val = "-" if self.X_val is None else len(self.X_val)
        return (
            f"Dataset({self.name!r}, train/val/test {len(self.X_train)}/{val}/{len(self.X_test)},"
            f" {self.n_features} features, {self.n_classes} classes, {self.X_train.dtype})"
        )


def load(name: str, data_dir=None, dtype=np.float32, download: bool = True) -> Dataset:
    """Load the data set called ``name`` (one of :data:`DATASETS`) as a :class:`Dataset`.

    ``data_dir`` and ``download`` matter only for MNIST (see :func:`mnist`).
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key == "mnist":
        return mnist(data_dir, download, dtype=dtype)
    builders = {"xor": xor, "moons": moons, "digits": digits}
    if key not in builders:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    return builders[key](dtype=dtype)


def xor(*, dtype=np.float32) -> Dataset:
    """The four corners of the unit square, labelled x1 XOR x2; the test set is the same four."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=_float(dtype))
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Dataset("xor", X, y, X.copy(), y.copy(), n_classes=2)


def moons(n_samples: int = 1000, noise: float = 0.1, seed: int = 0, *, dtype=np.float32):
    """Two interleaved half circles (``make_moons``), split 80/20, stratified, by ``seed``."""

    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 10:
        raise InputError(f"moons needs an integer n_samples >= 10, not {n_samples!r}.")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise InputError(f"moons needs a finite noise >= 0, not {noise!r}.")
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    parts = train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)
    return _dataset("moons", *parts, n_classes=2, dtype=dtype)


def digits(*, dtype=np.float32) -> Dataset:
    """scikit-learn's 8x8 digits (1797 images, bundled), pixels / 16, a fixed stratified split."""

    X, y = load_digits(return_X_y=True)
    parts = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    return _dataset("digits", *parts, n_classes=10, dtype=dtype)


def mnist(data_dir=None, download: bool = True, *, dtype=np.float32) -> Dataset:
    """MNIST from ``data_root(data_dir)/"mnist"``, downloading missing files if ``download``.

    The book's split: the first 50,000 training images train, the last 10,000 validate, the
    10,000 test images test. Pixels are scaled by 1/255 straight from uint8 into ``dtype``;
    the 60,000 training rows are one array, of which ``X_train`` and ``X_val`` are views.
    """
    dtype = _float(dtype)
    folder = data_root(data_dir) / "mnist"
    paths = {name: _find(folder, name) for name in MNIST_FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        _get(folder, missing, download)
        paths = {name: _find(folder, name) or folder / name for name in MNIST_FILES}
    X, y = _mnist_split(paths, "train", 60000, dtype)
    X_test, y_test = _mnist_split(paths, "t10k", 10000, dtype)
    return Dataset(
        "mnist", X[:50000], y[:50000], X_test, y_test, 10, X_val=X[50000:], y_val=y[50000:]
    )


def _get(folder: Path, missing: list[str], download: bool) -> None:
    """Download the ``missing`` MNIST files, or say in one sentence where to put them."""
    if download:
        try:
            fetch_mnist(folder, missing)
            return
        except DownloadError as err:
            why = f"downloading it failed ({', '.join(err.failures)})"
        except OSError as err:  # e.g. the folder cannot be created
            why = f"downloading it failed ({err})"
    else:
        why = "downloading is turned off"
    raise DataError(
        f"MNIST is missing from {folder} and {why}; put the four files "
        f"{', '.join(MNIST_FILES)} (gzipped or not) in {folder}, or pass --data-dir / set "
        "CHAINRULE_DATA to a folder whose mnist subfolder holds them."
    )


def _find(folder: Path, name: str) -> Path | None:
    """``folder/name``, else its gunzipped twin ``folder/name`` minus ``.gz``, else None."""
    for path in (folder / name, folder / name.removesuffix(".gz")):
        if path.is_file():
            return path
    return None


def _mnist_split(paths: dict, prefix: str, count: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(count, 784)`` scaled to [0, 1] and int64 labels ``(count,)``, both checked."""
    images_path = paths[f"{prefix}-images-idx3-ubyte.gz"]
    labels_path = paths[f"{prefix}-labels-idx1-ubyte.gz"]
    images, labels = read_idx(images_path), read_idx(labels_path)
    fix = "delete it and download it again"
    if images.dtype != np.uint8 or images.shape != (count, 28, 28):
        raise DataError(
            f"{images_path} holds {images.dtype} of shape {images.shape}, "
            f"expected ({count}, 28, 28) uint8 images; {fix}."
        )
    if labels.dtype != np.uint8 or labels.shape != (count,):
        raise DataError(
            f"{labels_path} holds {labels.dtype} of shape {labels.shape}, "
            f"expected ({count},) uint8 labels; {fix}."
        )
    if labels.max() > 9:
        raise DataError(f"{labels_path} holds a label {labels.max()}, expected 0 to 9; {fix}.")
    X = np.divide(images.reshape(count, 28 * 28), 255, dtype=dtype)
    return X, labels.astype(np.int64)


def _dataset(name, X_train, X_test, y_train, y_test, *, n_classes, dtype) -> Dataset:
    """A :class:`Dataset` from ``train_test_split``'s output order, in the contracted dtypes."""
    dtype = _float(dtype)

    def as_X(X):
        return np.ascontiguousarray(X, dtype=dtype)

    def as_y(y):
        return np.ascontiguousarray(y, dtype=np.int64)

    return Dataset(name, as_X(X_train), as_y(y_train), as_X(X_test), as_y(y_test), n_classes)


def _float(dtype) -> np.dtype:
    """``dtype`` as float32 or float64; anything else is an InputError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise InputError(f"dtype must be float32 or float64, not {dtype!r}; pass np.float32.")
    return dt
