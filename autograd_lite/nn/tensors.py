"""Tensors of Values: a Value, a list of Values, or a list of such lists.

A module keeps its weights as such nested lists, laid out like PyTorch's tensors
(a layer's ``weight`` is ``out × in``). These helpers walk them: every Value in order,
each with its name (``weight[3][1]``), or the numbers as plain nested lists.

    >>> from autograd_lite import Value
    >>> w = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
    >>> [name for name, _ in flat("weight", w)][:2]
    ['weight[0][0]', 'weight[0][1]']
    >>> floats(w)
    [[1.0, 2.0], [3.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..engine import Value

# A "tensor" here is a Value, a list of Values, or a list of such lists.
Tensor = Any


def flat(name: str, t: Tensor) -> Iterator[tuple[str, Value]]:
    """Each Value of ``t`` with its name: ``name`` followed by its indices."""
    if isinstance(t, Value):
        yield name, t
        return
    for i, item in enumerate(t):
        yield from flat(f"{name}[{i}]", item)


def values(t: Tensor) -> Iterator[Value]:
    """Each Value of ``t``, in row-major order."""
    if isinstance(t, Value):
        yield t
        return
    for item in t:
        yield from values(item)


def floats(t: Tensor) -> Any:
    """The numbers of ``t`` as plain floats in nested lists of the same shape."""
    return t.data if isinstance(t, Value) else [floats(item) for item in t]
