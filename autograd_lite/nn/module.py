"""``Module``: what every network shares — parameters, gradients, files.

A subclass says which Values it holds by returning them from ``tensors()`` and which
constructor arguments rebuild it from ``config()``; everything else here is derived
from those two. Every subclass is registered by its class name when it is defined, so
a model file that names its class (``"class": "MLP"``) can be loaded through
``nn.Module.load`` without a hand-kept list of the saveable classes:

    >>> from autograd_lite import nn
    >>> nn.Module.class_named("MLP") is nn.MLP
    True
"""

from __future__ import annotations

import numbers
import os
import random
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..engine import Value
from ..support.checks import describe
from . import checkpoint
from .tensors import Tensor, flat, floats, values

Seed = int | random.Random | None
# The most parameters a model is built with. Each is a Value of about 350 bytes, made in
# about 15 µs: 2,000,000 take about 700 MB and 30 s. Beyond that, a slip such as
# block_size=10**12 would fill the memory for minutes and then fail.
MAX_PARAMETERS = 2_000_000


def check_parameter_count(count: int, who: str, sizes: str) -> None:
    """Refuse, before building anything, a model of more than ``MAX_PARAMETERS`` parameters.

    Args:
        count: the model's number of parameters (its class's ``parameter_count``).
        who: the class, named in the error.
        sizes: its sizes as the caller gave them, e.g. ``"block_size=1000000"``.

    Raises:
        ValueError: naming ``who``, the sizes and the count.
    """
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"{who}: {sizes} would make {_many(count)} parameters; a model of scalar Values has "
            f"at most {MAX_PARAMETERS:,} (each takes about 350 bytes)"
        )


def _many(count: int) -> str:
    return f"{count:,}" if count < 10**30 else describe(count)


M = TypeVar("M", bound="Module")


def generator(seed: Seed) -> random.Random:
    """The generator to draw weights from: Python's global one for None (so that
    ``random.seed`` governs it, as in micrograd), else a private one."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random._inst  # the generator behind random.random(), random.uniform() ...
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")
    return random.Random(int(seed))


# --- modules ------------------------------------------------------------------

# Every parameter a module made, so that a drawing can show it as what it is, a number
# being learned. Weak, so that a dropped model is freed as usual.
_PARAMETERS: weakref.WeakSet[Value] = weakref.WeakSet()


def is_parameter(v: object) -> bool:
    """Whether ``v`` is a weight or bias of an ``nn`` module, not an input or a constant."""
    return v in _PARAMETERS


class Module:
    """Base class: parameters, gradients, and saving/loading of weights.

    A subclass says which Values it holds by returning them from ``tensors()``, a
    dict from name to a Value or (nested) list of Values. Everything else here is
    derived from that.

    Every subclass registers itself by name (``__init_subclass__``) so that model
    files can name it; the first class of a name keeps it.
    """

    _classes: ClassVar[dict[str, type[Module]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Module._classes.setdefault(cls.__name__, cls)

    @classmethod
    def class_named(cls, name: str) -> type[Module] | None:
        """The registered subclass called ``name`` if it is ``cls`` or below it, else None."""
        kind = Module._classes.get(name)
        return kind if kind is not None and issubclass(kind, cls) else None

    def tensors(self) -> dict[str, Tensor]:
        """The module's weights by name, as Values (the same objects, not copies)."""
        return {}

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (saved in files)."""
        return {}

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (the order of ``named_parameters``)."""
        return [p for t in self.tensors().values() for p in values(t)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Each parameter with its name, e.g. ``("layers.0.weight[3][1]", Value)``.

        The name is the ``state_dict`` key followed by the entry's index.
        """
        return [pair for key, t in self.tensors().items() for pair in flat(key, t)]

    def _name_parameters(self) -> None:
        """Label each parameter with its name and register it (each constructor's last step).

        A module inside another is named again by the outer one: a neuron's ``weight[1]``
        becomes ``layers.0.weight[3][1]`` in an MLP.
        """
        for name, p in self.named_parameters():
            p.label = name
            _PARAMETERS.add(p)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, Any]:
        """The weights as plain floats in nested lists, keyed like PyTorch's.

        Returns:
            A new dict, e.g. for an MLP ``{"layers.0.weight": [[...], ...],
            "layers.0.bias": [...], ...}``; it is safe to change or serialise.
        """
        return {key: floats(t) for key, t in self.tensors().items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy weights from a dict shaped like ``state_dict()`` into this module.

        Every key and shape is checked before any weight changes, so a bad dict
        leaves the module as it was. Arrays (numpy, torch) are accepted too.

        Args:
            state: key -> number or nested lists of numbers.

        Raises:
            TypeError: if ``state`` is not a mapping.
            ValueError: naming the key that is missing, unexpected, of the wrong
                shape, or holding something that is not a finite number.
        """
        checkpoint.load_state_dict(self, state)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the architecture and weights to a JSON file, atomically.

        The file is written to a temporary name in the same folder, flushed to disk,
        then renamed over ``path``: a crash or error midway leaves any old file intact.
        A replaced file keeps its permissions; a symbolic link is written through.
        (The work is done by :func:`autograd_lite.nn.checkpoint.save`.)

        Args:
            path: where to write, e.g. ``"model.json"``. The folder must exist.

        Returns:
            ``path`` as a :class:`~pathlib.Path`.

        Raises:
            ValueError: if a weight is nan or inf (JSON cannot hold it faithfully), or
                ``path`` is a folder, a named pipe, a device or a socket (or links to
                one): only a regular file is replaced.
            OSError: naming ``path``, if the file cannot be written.
        """
        return checkpoint.save(self, path)

    @classmethod
    def load(cls: type[M], path: str | os.PathLike[str]) -> M:
        """A new module, architecture and weights, from a file written by ``save``.

        Args:
            path: the JSON file.

        Returns:
            The module, of the class recorded in the file: ``cls`` itself (a file
            saved by a subclass of ``MLP`` loads through that subclass) or, when
            called on ``Module``, any of ``Neuron``, ``Layer``, ``MLP``, ``GPT``.

        Raises:
            FileNotFoundError: if there is no such file.
            ValueError: naming the path, if the file is not a valid model file, or
                not a regular file, or larger than ``checkpoint.MAX_FILE_BYTES``.
        """
        return checkpoint.load(cls, path)
