"""Pause Python's cyclic garbage collector while graphs of Values are built.

Python frees most objects by reference counting, the moment the last reference goes.
Objects in reference cycles it can only free with its cycle collector, which wakes up
every few hundred allocations and walks the live objects of a generation. Building a
graph of Values allocates tens of thousands of objects, so the collector wakes up
again and again to walk them, and finds nothing: the engine's graphs hold no
reference cycles. Pausing it while a graph is built and walked (a training step, a
trace) saves that work; whatever cycles other code makes meanwhile wait for the next
collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block.

    A training step builds tens of thousands of nodes that all stay alive until the
    backward pass. Each few hundred allocations the collector wakes up and walks the
    live objects, which costs more than the arithmetic. The engine's graphs hold no
    reference cycles (they are freed by reference counting alone), so nothing piles
    up while it sleeps. It is switched back on, if it was on, when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
