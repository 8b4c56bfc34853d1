"""The output folder of a command: made and checked before any training, removed if unused.

A command that trains for minutes and only then finds that it cannot write its files
has thrown the run away. :func:`output_folder` therefore, before the work starts,

* makes the folder (and any missing parents),
* checks that each file the command will write is a regular file or nothing yet (a
  named pipe or a device in its place is refused, see
  :func:`~autograd_lite.support.files.check_target`),
* and writes and removes a probe file, which fails at once where the folder cannot
  be written (read-only, no permission, a full disk's quota);

and, if the command fails or is interrupted (Ctrl-C) before it wrote anything, it
removes the folders it made, so that a failed run leaves no empty folder behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..support.files import check_target
from .shell import CommandError


@contextmanager
def output_folder(out: Path, files: Sequence[str]) -> Iterator[Path]:
    """Make and check ``out`` for ``files``; on an error or Ctrl-C inside, remove what it made.

    Args:
        out: the output folder.
        files: the names of the files the command will write into it.

    Yields:
        ``out``.

    Raises:
        CommandError: naming the folder or file and why it cannot be written.
    """
    made = _make_folders(out)
    try:
        _check_writable(out, files)
        yield out
    except BaseException:
        _remove_empty(made)
        raise


def _make_folders(out: Path) -> list[Path]:
    """Make ``out`` and its missing parents; the folders made, deepest first."""
    missing = []
    folder = out
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        _remove_empty(missing)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CommandError(f"cannot create the output folder {out}: {reason}") from None
    return missing


def _check_writable(out: Path, files: Sequence[str]) -> None:
    for name in files:
        try:
            check_target(out / name, "output")
        except ValueError as e:
            raise CommandError(str(e).removeprefix("output: ")) from None
    probe = out / f".autograd_lite_probe.{secrets.token_hex(4)}"
    try:
        with open(probe, "x"):
            pass
        probe.unlink()
    except OSError as e:
        raise CommandError(f"cannot write to the output folder {out}: {e.strerror or e}") from None


def _remove_empty(folders: list[Path]) -> None:
    """Remove each folder (deepest first) if it is empty; leave anything with files in it."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return  # not empty (or already gone): its parents are not empty either
