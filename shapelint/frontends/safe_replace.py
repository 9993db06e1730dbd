"""Replacing a file's contents without ever losing a save made meanwhile.

The user's editor may save the file at any moment while shapelint fixes it: in place
(same inode, new bytes) or the atomic way (a new inode renamed over the path). So:

1. open the file (through a symbolic link: the target is rewritten, the link kept),
   take an advisory lock (other shapelint runs wait; editors ignore it), and check
   that its identity (device, inode, size, mtime, mode) and bytes are still those
   that were read;
2. write the new bytes to a temporary file in the same directory, with the original's
   mode and (where permitted) owner, and fsync it;
3. swap the two names atomically (Linux renameat2 RENAME_EXCHANGE), then verify that
   what was swapped out is the very inode that was checked, with the bytes that were
   read; if not, a save landed after step 1: swap back, so the user's file is at its
   path again, and refuse;
4. where the exchange is not available (another OS, a file system without it), check
   once more and rename(): a save in the microseconds between the two is not caught.

A refusal leaves the user's file as the user last saved it and says so in a sentence.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
import time
from typing import Callable, Optional

LOCK_WAIT_SECONDS = 5.0

# A test seam: called with the path after the last check and before the swap, so tests
# can save the file exactly inside that window. None in normal use.
before_swap: Optional[Callable[[str], None]] = None


class ReplaceRefused(Exception):
    """The file was left as it is; the message says why, as a sentence."""


def identity(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, stat.S_IMODE(st.st_mode))


def _changed(path: str) -> ReplaceRefused:
    return ReplaceRefused(
        f"not fixing {path}: it changed on disk after shapelint read it; your version is kept, run shapelint again"
    )


def _read_all(fd: int) -> bytes:
    chunks, offset = [], 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _unchanged(fd: int, expected_identity: tuple, original: bytes) -> bool:
    return identity(os.fstat(fd)) == expected_identity and _read_all(fd) == original


def _lock(fd: int, path: str) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks to honour
        return
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise ReplaceRefused(
                    f"not fixing {path}: another program has held a lock on it for {LOCK_WAIT_SECONDS:g} s; try again"
                ) from None
            time.sleep(0.05)
        except OSError:
            return  # the file system has no locks (some network mounts): go on without


def _exchange(a: str, b: str) -> bool:
    """Atomically swap the names a and b; False where this system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False  # a C library older than glibc 2.28
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), b)


def _temp_beside(target: str, data: bytes, st: os.stat_result) -> str:
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(prefix=".shapelint-", suffix=".tmp", dir=directory)
    try:
        if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass  # not permitted: the fixed file belongs to whoever runs shapelint
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # mkstemp made it 0o600
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_file(path: str, original: bytes, new_data: bytes, read_stat: Optional[os.stat_result] = None) -> None:
    """Replace path's bytes (original, as read, with read_stat taken then) by new_data.

    Raises ReplaceRefused, with the file untouched, when it changed since it was read,
    or when it cannot be replaced safely.
    """
    target = os.path.realpath(path)  # a symbolic link stays a link to the fixed file
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise ReplaceRefused(f"cannot fix {path}: {e.strerror}") from None
    try:
        _lock(fd, path)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReplaceRefused(f"cannot fix {path}: not a regular file")
        if st.st_nlink > 1:
            raise ReplaceRefused(
                f"not fixing {path}: it has {st.st_nlink} hard links, and replacing it would split them; "
                "apply the fix with --diff and patch"
            )
        checked = identity(st)
        if (read_stat is not None and identity(read_stat) != checked) or not _unchanged(fd, checked, original):
            raise _changed(path)
        try:
            tmp = _temp_beside(target, new_data, st)
        except OSError as e:
            raise ReplaceRefused(
                f"cannot fix {path}: cannot write a temporary file in {os.path.dirname(target)}: {e.strerror}"
            ) from None
        keep_tmp = False
        try:
            if before_swap is not None:
                before_swap(path)
            if _exchange(tmp, target):
                swapped_out = os.lstat(tmp)
                if (swapped_out.st_dev, swapped_out.st_ino) != (st.st_dev, st.st_ino) or not _unchanged(fd, checked, original):
                    if not _exchange(tmp, target):  # cannot happen: it just worked
                        keep_tmp = True
                        raise ReplaceRefused(
                            f"{path} changed while shapelint was fixing it; your version is saved as {tmp}"
                        )
                    raise _changed(path)
            else:
                now = os.stat(target)
                if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not _unchanged(fd, checked, original):
                    raise _changed(path)
                os.replace(tmp, target)
                tmp = None
        except OSError as e:
            if e.errno == errno.ENOENT:  # deleted meanwhile: it stays deleted
                raise _changed(path) from None
            raise ReplaceRefused(f"cannot fix {path}: {e.strerror or e}") from None
        finally:
            if tmp is not None and not keep_tmp:
                try:
                    os.unlink(tmp)  # after a swap: the old contents; after a refusal: the fix
                except OSError:
                    pass
        _fsync_directory(os.path.dirname(target))
    finally:
        os.close(fd)  # releases the lock
