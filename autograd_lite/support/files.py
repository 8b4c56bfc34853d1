"""Files written all or nothing, and files read without surprises.

* :func:`write_atomically` never leaves a half-written file: a crash midway keeps the
  old one.
* :func:`read_bounded` reads only a regular file of bounded size, so that a path
  pointing at ``/dev/zero`` or a named pipe is an error instead of a hang.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# The temporary file's name is the target's, cut to this length, plus 14 characters
# (".", ".", 8 hex digits, ".tmp"), so it stays within the usual 255-byte limit on a
# file name even when the target's own name is that long.
_KEPT_NAME_LENGTH = 200


def write_atomically(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write ``path`` through ``write(file)``, all or nothing.

    The content goes to a temporary name in the same folder, is flushed to disk, then
    renamed over ``path``: an error midway leaves any old file as it was and no
    temporary file behind. Replacing a file keeps its permission bits (a private
    ``0600`` file stays private). If ``path`` is a symbolic link, the file it points
    to is written and the link is kept.

    Args:
        path: the file to write; its folder must exist.
        write: writes the content into the open file it is given.
        binary: open the file in binary mode (else UTF-8 text).

    Raises:
        OSError: if the file cannot be written; the error names ``path`` (never the
            temporary file).
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    temp = target.with_name(f".{target.name[:_KEPT_NAME_LENGTH]}.{secrets.token_hex(4)}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None  # a new file: the default mode, as open() gives it
    try:
        with open(temp, "xb" if binary else "x", encoding=None if binary else "utf-8") as f:
            if mode is not None:
                os.chmod(temp, mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            _name_the_target(error, temp, path)
        raise
    _fsync_folder(target.parent)


def _name_the_target(error: OSError, temp: Path, path: Path) -> None:
    """Make an OSError about the hidden temporary file name the user's path instead."""
    if error.filename is not None and os.fspath(error.filename) == os.fspath(temp):
        error.filename = os.fspath(path)
        error.filename2 = None


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else.

    Devices (``/dev/zero`` never ends), named pipes (reading one waits for a writer),
    folders and files larger than ``max_bytes`` are refused before they are read. A
    pipe is never opened for reading in a way that could block.

    Args:
        path: the file to read.
        max_bytes: the largest file accepted.

    Returns:
        The file's content.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming ``path``, if it is not a regular file or is too large.
        OSError: if it cannot be read.
    """
    _check_regular(os.stat(path), path, max_bytes)  # stat never opens the file
    # O_NONBLOCK: should the path have become a pipe since, open() returns at once
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        _check_regular(os.fstat(f.fileno()), path, max_bytes)
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while we read
        raise ValueError(f"{path}: too large (more than {max_bytes:,} bytes)")
    return data


def _check_regular(info: os.stat_result, path: Path, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise ValueError(f"{path}: not a regular file ({kind})")
    if info.st_size > max_bytes:
        raise ValueError(
            f"{path}: too large ({info.st_size:,} bytes; the limit is {max_bytes:,} bytes)"
        )


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
