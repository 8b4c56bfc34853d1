"""What every ``autograd-lite`` command shares: one-line errors and argument types.

A command reports bad input, and any output it cannot write, by raising
:class:`CommandError`; :func:`autograd_lite.cli.main` prints it as one line naming
the command, and exits with status 2, as argparse does for a bad option:

    $ autograd-lite gpt --out /proc/nope
    autograd-lite gpt: error: cannot create the output folder /proc/nope: ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from ..support.checks import range_broken

USAGE_ERROR = 2
BROKEN_PIPE = 1  # the output could not all be written: its reader closed the pipe
INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports a command it interrupted


class CommandError(Exception):
    """A problem with a command's input or output, reported as one line (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2.

    argparse's own print the whole usage first; the command's other errors are one
    line, so these are too. (The subcommands' parsers are made by this class too.)
    """

    def error(self, message: str) -> NoReturn:
        line = one_line(message)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {line} (see {self.prog} --help)\n")


def one_line(message: str) -> str:
    """``message`` with every run of white space, newlines included, as one space."""
    return " ".join(message.split())


def whole_number(at_least: int, at_most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``at_least`` (and at most ``at_most``).

    >>> whole_number(1)("3")
    3
    >>> whole_number(1)("0")
    Traceback (most recent call last):
      ...
    argparse.ArgumentTypeError: must be at least 1, got 0
    >>> whole_number(1, at_most=10)("11")
    Traceback (most recent call last):
      ...
    argparse.ArgumentTypeError: must be at most 10, got 11
    """

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        broken = range_broken(n, at_least, at_most)
        if broken:
            raise argparse.ArgumentTypeError(broken)
        return n

    return parse
