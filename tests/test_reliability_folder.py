"""A run folder is one run's: a second run on it is refused, a full disk or a read-only folder
is one sentence with the last good checkpoint kept, and the temporary files of killed writes are
cleaned up (issue 11, points 4, 5 and 8)."""

import errno
import os
import time

from forked import Forked, position, run_whole, same_run

from chainrule.cli import main


def test_a_second_run_on_the_same_folder_is_refused_in_one_sentence(tmp_path, capsys):
    """Two runs writing one folder would mix their files: the second is refused, naming the
    first's process, and the first finishes untouched."""
    out = tmp_path / "run"
    first = Forked(["train", "xor", "--epochs", "3000", "--json", "--out", out], tmp_path / "1.log")
    deadline = time.monotonic() + 120
    while '"epoch": 1' not in first.text():
        assert first.poll() is None and time.monotonic() < deadline, first.text()
        time.sleep(0.005)
    assert first.pause(), "the first run ended too soon"  # it holds the folder meanwhile
    try:
        code = main(["train", "xor", "--epochs", "1", "--out", str(out)])
        err = capsys.readouterr().err
    finally:
        first.kill()
    assert code == 2
    assert err.count("\n") == 1 and f"process {first.pid}" in err and "in use" in err, err
    assert not (out / "model.npz").exists()


def test_a_full_disk_says_one_sentence_and_keeps_the_last_good_checkpoint(
    tmp_path, capsys, monkeypatch
):
    """ENOSPC on the third checkpoint: exit 2, one line naming the file, no temporary file
    left, and the second checkpoint still whole (the run resumes from it)."""

    out = tmp_path / "run"
    real = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    argv = ["train", "xor", "--epochs", "20", "--batch-size", "1", "--checkpoint-every", "3"]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "disk is full" in err and str(out) in err, err
    assert "Traceback" not in err
    assert not list(out.glob(".*.tmp"))
    assert position(out) == (2, 0)  # saves: (1, 3), (2, 0); the third failed
    monkeypatch.setattr(os, "fsync", real)
    assert main(["train", "--resume", str(out)]) == 0
    _same_run_whole_xor(tmp_path, out, argv)


def test_a_read_only_run_folder_says_one_sentence(tmp_path, capsys, monkeypatch):
    """EROFS when renaming the checkpoint into place: one sentence, nothing half-written."""

    def replace(src, dst):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "run"
    code = main(["train", "xor", "--epochs", "3", "--checkpoint-every", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "read-only" in err, err
    assert not list(out.glob(".*.tmp")) and not (out / "checkpoint.npz").exists()


def _same_run_whole_xor(tmp_path, out, argv):
    whole = tmp_path / "whole"
    run_whole(argv, whole)
    same_run(whole, out, epochs=20)


def test_stale_temporary_files_of_killed_writes_are_removed_on_the_next_start(tmp_path, capsys):
    """A write killed mid-way leaves ``.NAME.RANDOM.tmp``; the next run on the folder removes
    it (and only it) before training."""
    out = tmp_path / "run"
    argv = ["train", "xor", "--epochs", "3", "--checkpoint-every", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    stale = [out / ".checkpoint.npz.k1ll3d.tmp", out / ".model.npz.x.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    (out / "notes.tmp").write_text("the user's own file")
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    assert not any(p.exists() for p in stale) and (out / "notes.tmp").exists()
