"""Files written all or nothing, and files read without surprises.

* :func:`write_atomically` never leaves a half-written file: a crash midway keeps the
  old one. It replaces only a regular file: a named pipe, a device (``/dev/null``), a
  socket or a folder, or a symbolic link to one, is refused by :func:`check_target`,
  which every writer also calls before it does any work.
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


def check_target(path: object, function: str) -> Path:
    """``path`` as a Path, if a writer may create or replace the file there.

    A writer renames a new file over its target, which would put a regular file in
    place of whatever was there: so only a regular file (or nothing yet) is accepted.
    Run as root, replacing ``/dev/null`` would break the whole system.

    Args:
        path: the file about to be written (a str or ``os.PathLike``).
        function: the writer, named in the error.

    Returns:
        ``Path(path)``.

    Raises:
        TypeError: if ``path`` is not a str or a path.
        ValueError: naming ``function`` and ``path``, if the path is empty, holds a NUL
            character, names a folder (``"."``), or is (or links to) a named pipe, a
            device or a socket.

    >>> check_target("/dev/null", "save")
    Traceback (most recent call last):
      ...
    ValueError: save: cannot write '/dev/null': it is a device; only a regular file is replaced
    """
    if isinstance(path, bytes) or not isinstance(path, str | os.PathLike):
        raise TypeError(f"{function}: path must be a str or Path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"{function}: path must be a str or Path, got {type(path).__name__}")
    if not text:
        raise ValueError(f"{function}: path is empty; give the name of the file to write")
    if "\x00" in text:
        raise ValueError(f"{function}: path {text!r} holds a NUL character, which no file name can")
    try:
        info = os.stat(text)  # follows a symbolic link to what it points at
    except (OSError, ValueError):
        return Path(text)  # nothing there yet (or a dangling link): the writer creates it
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(
            f"{function}: cannot write {text!r}: it is {_kind_of_file(info.st_mode)}; "
            "only a regular file is replaced"
        )
    return Path(text)


def _kind_of_file(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def write_atomically(
    path: Path,
    write: Callable[[IO[Any]], object],
    binary: bool = False,
    *,
    function: str = "write",
) -> None:
    """Write ``path`` through ``write(file)``, all or nothing.

    The content goes to a temporary name in the same folder, is flushed to disk, then
    renamed over ``path``: an error midway leaves any old file as it was and no
    temporary file behind. Replacing a file keeps its permission bits (a private
    ``0600`` file stays private). If ``path`` is a symbolic link, the file it points
    to is written and the link is kept. Only a regular file is replaced: see
    :func:`check_target`, checked before the content is made and again just before
    the rename.

    Args:
        path: the file to write; its folder must exist.
        write: writes the content into the open file it is given.
        binary: open the file in binary mode (else UTF-8 text).
        function: the writer, named in the error of a path that is not a regular file.

    Raises:
        ValueError: if ``path`` is not a regular file (see :func:`check_target`).
        OSError: if the file cannot be written; the error names ``path`` (never the
            temporary file).
    """
    check_target(path, function)
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
        check_target(path, function)  # it may have become a pipe or a device meanwhile
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
