"""Files that are never left half-written.

Every file chainrule writes goes through :func:`atomic_write`: the bytes go to a temporary file in
the same folder, are flushed and fsynced, and the temporary file is renamed over the target. A
rename within one folder is atomic, so a reader (or a crash) sees the old file or the new one,
never a mixture. A write that fails (a full disk, a read-only folder) removes its temporary file
and raises one sentence naming the folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from pathlib import Path

from chainrule.errors import ChainruleError

__all__ = ["RunFolderBusy", "RunLock", "WriteError", "atomic_write", "remove_stale_temporaries"]

TEMPORARY = ".{name}.{random}.tmp"  # the names atomic_write gives its temporary files


class WriteError(ChainruleError, OSError):
    """A file could not be written (no space, no permission, ...); nothing was half-written."""


# Why a write failed, and what to do about it, by errno.
REASONS = {
    errno.ENOSPC: ("the disk is full", "free some space or choose another folder"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or choose another folder"),
    errno.EROFS: ("the file system is read-only", "choose a folder you can write"),
    errno.EACCES: ("permission is denied", "choose a folder you can write"),
    errno.EPERM: ("permission is denied", "choose a folder you can write"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "choose another path"),
    errno.EEXIST: ("a part of the path is a file, not a folder", "choose another path"),
    errno.EISDIR: ("the path is a folder", "give a file name"),
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically (text is encoded as UTF-8); return the path."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        reason, fix = REASONS.get(e.errno, (e.strerror or str(e), "choose another place"))
        raise WriteError(
            f"could not write {path}: {reason}; {fix} (nothing was half-written)."
        ) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that writes killed mid-way (SIGKILL) left in ``folder``;
    return what was removed. Call it only while no other writer uses the folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = [p for p in folder.glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


class RunLock:
    """An exclusive lock on a run folder while one run writes it (``fcntl.flock`` on
    ``FOLDER/.lock``, released by the kernel when the process ends, even on SIGKILL). A second
    run on the same folder is refused with the first one's process id.

    ``with RunLock(folder): ...``"""

    NAME = ".lock"

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._fd = None

    def __enter__(self) -> RunLock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / self.NAME, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
        except OSError as e:
            raise WriteError(
                f"cannot use {self.folder} as a run folder ({e.strerror}); choose another "
                "with --out."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunFolderBusy(
                f"{self.folder} is in use by another chainrule run (process {owner}); wait for "
                "it to finish or choose another folder with --out."
            ) from None
        pid = str(os.getpid()).encode()
        try:  # the pid first, then the length: the write is what a full disk refuses
            os.pwrite(fd, pid, 0)
            os.ftruncate(fd, len(pid))
        except OSError as e:
            os.close(fd)
            reason, fix = REASONS.get(e.errno, (e.strerror or str(e), "choose another folder"))
            raise WriteError(
                f"cannot use {self.folder} as a run folder: {reason}; {fix} with --out."
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


class RunFolderBusy(ChainruleError, RuntimeError):
    """Another process is writing the same run folder."""
