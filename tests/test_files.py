"""Atomic writes: the target holds the old bytes or the new, never a mixture or a leftover."""

import json
import os

import numpy as np
import pytest

from chainrule import load as load_network
from chainrule import save as save_network
from chainrule.cli.app import run as cli
from chainrule.errors import InputError
from chainrule.files import RunLock, WriteError, atomic_write
from chainrule.network import Network


def test_atomic_write_replaces_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    atomic_write(target, "one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write(target, "good")

    class Boom:  # bytes-like enough to get past encoding, fails while writing
        pass

    with pytest.raises(TypeError):
        atomic_write(target, Boom())
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_a_network_survives_save_and_load(tmp_path):
    net = Network([3, 4, 2], "tanh", "log_likelihood", "scaled", np.float32, seed=4)
    path = save_network(net, tmp_path / "m.npz")
    back = load_network(path)
    assert repr(back) == repr(net)
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_loading_refuses_pickles_and_mismatched_shapes(tmp_path):
    net = Network([3, 4, 2], seed=0)
    header = {
        "format": 1,
        "engine": "network",
        "sizes": [3, 4, 2],
        "activation": "sigmoid",
        "cost": "quadratic",
        "init": "normal",
        "dtype": "float64",
    }
    encoded = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with_pickle = tmp_path / "pickle.npz"
    np.savez(with_pickle, __header__=encoded, W1=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(InputError, match="not a usable chainrule model file"):
        load_network(with_pickle)
    wrong = tmp_path / "wrong.npz"
    arrays = dict(net.parameters())
    arrays["W2"] = np.zeros((3, 3))
    np.savez(wrong, __header__=encoded, **arrays)
    with pytest.raises(InputError, match=r"stores W2 with shape \(3, 3\), expected \(2, 4\)"):
        load_network(wrong)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(InputError, match="not a usable chainrule model file"):
        load_network(garbage)


def test_a_tensor_network_survives_save_and_load(tmp_path):
    from chainrule.models import TensorNetwork

    net = TensorNetwork([3, 4, 2], "sigmoid", "cross_entropy", "scaled", np.float32, seed=2)
    back = load_network(save_network(net, tmp_path / "t.npz"))
    assert type(back) is TensorNetwork and back.sizes == [3, 4, 2]
    X = np.random.default_rng(0).random((5, 3), dtype=np.float32)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    for name, array in net.parameters().items():
        assert back.parameters()[name].dtype == array.dtype
        np.testing.assert_array_equal(back.parameters()[name], array)


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "f.txt", "x")
    finally:
        os.umask(mask)
    # mkstemp alone would leave 0600; files are written with 0666 less the umask at import
    from chainrule.files import _UMASK

    assert path.stat().st_mode & 0o777 == 0o666 & ~_UMASK


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_when_a_run_starts_is_one_sentence(tmp_path, capsys):
    """The run folder's lock file is /dev/full, whose every write the kernel refuses with
    ENOSPC, as a full disk does: the lock and ``chainrule train --out`` say so in one sentence."""
    run = tmp_path / "run"
    run.mkdir()
    (run / RunLock.NAME).symlink_to("/dev/full")
    with pytest.raises(WriteError, match=r"^cannot use .*run as a run folder: the disk is full;"):
        RunLock(run).__enter__()
    assert cli(["train", "xor", "--epochs", "1", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in run.iterdir()) == [RunLock.NAME]  # nothing else written
