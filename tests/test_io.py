"""Atomic writes: the target holds the old bytes or the new, never a mixture or a leftover."""

import pytest

from chainrule.io import atomic_write


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
