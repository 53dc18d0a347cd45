"""The data sets: where they live, their shapes, dtypes, ranges and splits, and their errors."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import DATASETS, Dataset, data_root, load, moons
from chainrule.data.download import MNIST_FILES
from chainrule.errors import DataError, InputError

MD5 = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}


def test_data_root_prefers_the_argument_then_the_environment_then_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    assert data_root() == tmp_path / "home" / ".cache" / "chainrule"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert data_root() == tmp_path / "home" / ".cache" / "chainrule"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_root() == tmp_path / "xdg" / "chainrule"
    monkeypatch.setenv("CHAINRULE_DATA", "")
    assert data_root() == tmp_path / "xdg" / "chainrule"
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root(str(tmp_path / "arg")) == tmp_path / "arg"
    assert data_root("~/x") == tmp_path / "home" / "x"


def check_shapes(data: Dataset, n_train, n_test, n_features, n_classes, dtype=np.float32):
    assert (data.X_train.shape, data.X_test.shape) == ((n_train, n_features), (n_test, n_features))
    assert (data.y_train.shape, data.y_test.shape) == ((n_train,), (n_test,))
    assert data.n_features == n_features and data.n_classes == n_classes
    for X in (data.X_train, data.X_test):
        assert X.dtype == dtype and X.flags.c_contiguous
    for y in (data.y_train, data.y_test):
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() < n_classes


def test_xor_is_the_four_corners_tested_on_themselves():
    data = load("xor")
    check_shapes(data, 4, 4, 2, 2)
    np.testing.assert_array_equal(data.X_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(data.y_train, [0, 1, 1, 0])
    np.testing.assert_array_equal(data.X_test, data.X_train)
    assert data.X_val is None and data.y_val is None
    assert load("XOR", dtype=np.float64).X_train.dtype == np.float64


def test_moons_split_80_20_stratified_and_reproducible():
    data = load("moons")
    check_shapes(data, 800, 200, 2, 2)
    assert np.bincount(data.y_train).tolist() == [400, 400]
    assert np.bincount(data.y_test).tolist() == [100, 100]
    assert data.X_train.min() > -1.5 and data.X_train.max() < 2.5
    again = load("moons")
    np.testing.assert_array_equal(again.X_train, data.X_train)
    np.testing.assert_array_equal(again.y_test, data.y_test)
    other = moons(200, noise=0.3, seed=1, dtype=np.float64)
    check_shapes(other, 160, 40, 2, 2, np.float64)
    assert not np.array_equal(moons(200, seed=2).X_train, moons(200, seed=1).X_train)


@pytest.mark.parametrize("kwargs", [{"n_samples": 5}, {"n_samples": 10.0}, {"noise": -1}])
def test_moons_refuses_bad_arguments(kwargs):
    with pytest.raises(InputError):
        moons(**kwargs)


def test_digits_scaled_to_unit_range_with_a_fixed_stratified_split():
    data = load("digits", dtype=np.float64)
    check_shapes(data, 1347, 450, 64, 10, np.float64)
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0
    assert set(np.unique(data.X_train * 16)) <= set(range(17))
    per_class = np.bincount(data.y_train) + np.bincount(data.y_test)
    assert np.abs(np.bincount(data.y_test) - per_class / 4).max() <= 1  # stratified
    again = load("digits")
    np.testing.assert_array_equal(again.X_train, data.X_train.astype(np.float32))
    np.testing.assert_array_equal(again.y_train, data.y_train)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "complex128", "no such type"])
def test_only_float32_and_float64_are_accepted(dtype):
    with pytest.raises(InputError, match="float32 or float64"):
        load("xor", dtype=dtype)


def test_unknown_names_list_the_known_ones():
    with pytest.raises(DataError, match="unknown data set 'cifar'") as info:
        load("cifar")
    assert all(name in str(info.value) for name in ("xor", "moons", "digits", "mnist"))
    assert DATASETS == ("xor", "moons", "digits", "mnist")


def test_mnist_from_chainrule_data_has_the_books_split(monkeypatch, mnist_root):
    for name, md5 in MD5.items():
        unpacked = gzip.decompress((mnist_root / "mnist" / name).read_bytes())
        assert hashlib.md5(unpacked).hexdigest() == md5
    monkeypatch.setenv("CHAINRULE_DATA", str(mnist_root))
    data = load("mnist", download=False)
    check_shapes(data, 50000, 10000, 784, 10)
    assert data.X_val.shape == (10000, 784) and data.y_val.shape == (10000,)
    assert data.X_val.dtype == np.float32 and data.X_val.flags.c_contiguous
    for X in (data.X_train, data.X_val, data.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    raw = gzip.decompress((mnist_root / "mnist" / "train-images-idx3-ubyte.gz").read_bytes())
    pixels = np.frombuffer(raw, np.uint8, offset=16).reshape(60000, 784)
    np.testing.assert_array_equal(np.rint(data.X_val * 255), pixels[50000:])
    np.testing.assert_array_equal(data.X_train[123], pixels[123] / np.float32(255))
    assert data.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.X_train.base is data.X_val.base  # the 60000 training rows are held once


def test_mnist_missing_without_download_says_where_to_put_which_files(tmp_path):
    with pytest.raises(DataError, match="downloading is turned off") as info:
        load("mnist", data_dir=tmp_path / "nowhere", download=False)
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "mnist") in message
    assert all(name in message for name in MNIST_FILES)
    assert "--data-dir" in message and "CHAINRULE_DATA" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert not (tmp_path / "nowhere").exists()


def labels_idx(labels) -> bytes:
    labels = np.asarray(labels, dtype=np.uint8)
    return struct.pack(">BBBBI", 0, 0, 8, 1, len(labels)) + labels.tobytes()


def mnist_copy(root: Path, mnist_root: Path) -> Path:
    """``root/mnist`` with links to the real files, to be broken one at a time."""
    folder = root / "mnist"
    folder.mkdir()
    for name in MNIST_FILES:
        (folder / name).symlink_to(mnist_root / "mnist" / name)
    return folder


def test_mnist_accepts_unpacked_files(tmp_path, mnist_root):
    folder = mnist_copy(tmp_path, mnist_root)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).unlink()
        unpacked = gzip.decompress((mnist_root / "mnist" / name).read_bytes())
        (folder / name.removesuffix(".gz")).write_bytes(unpacked)
    data = load("mnist", data_dir=tmp_path, download=False)
    assert data.X_test.shape == (10000, 784)


@pytest.mark.parametrize(
    "labels, problem",
    [
        (np.r_[np.zeros(59999), 10], "holds a label 10, expected 0 to 9"),
        (np.zeros(59999), r"shape \(59999,\), expected \(60000,\)"),
        (np.zeros((60000, 1)), r"shape \(60000, 1\)"),
    ],
)
def test_mnist_refuses_wrong_labels_naming_the_file(tmp_path, mnist_root, labels, problem):
    folder = mnist_copy(tmp_path, mnist_root)
    target = folder / "train-labels-idx1-ubyte.gz"
    target.unlink()
    data = labels_idx(labels.ravel())
    if labels.ndim == 2:  # a 2-d labels file
        data = struct.pack(">BBBBII", 0, 0, 8, 2, *labels.shape) + data[8:]
    target.write_bytes(gzip.compress(data))
    with pytest.raises(DataError, match=problem) as info:
        load("mnist", data_dir=tmp_path, download=False)
    assert str(info.value).startswith(str(target))


def test_mnist_refuses_images_of_the_wrong_size(tmp_path, mnist_root):
    folder = mnist_copy(tmp_path, mnist_root)
    target = folder / "t10k-images-idx3-ubyte.gz"
    target.unlink()
    target.write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, 10000, 27, 1) + bytes(270000))
    with pytest.raises(DataError, match=r"expected \(10000, 28, 28\) uint8 images"):
        load("mnist", data_dir=tmp_path, download=False)
