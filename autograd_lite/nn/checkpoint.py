"""Model files and state dicts: a network's weights out of and back into its Values.

:class:`~autograd_lite.nn.Module` keeps ``state_dict``, ``load_state_dict``, ``save``
and ``load`` as its methods; the work behind the last three is here, apart from the
networks themselves.

A model file is JSON (never pickle, so loading one runs no code):

.. code-block:: json

    {"format": "autograd_lite.model", "version": 1, "class": "MLP",
     "config": {"nin": 2, "nouts": [16, 1], ...},
     "state_dict": {"layers.0.weight": [[...], ...], "layers.0.bias": [...], ...}}

``config`` holds the constructor arguments that rebuild the architecture and
``state_dict`` the weights. Everything in a file is checked before a module is built
from it, and every key and shape of a state dict before any weight changes, so a bad
file or dict is a ``ValueError`` that names the path or the key, and nothing is
half-loaded.

Example:
    >>> import os, tempfile
    >>> from autograd_lite import nn
    >>> model = nn.MLP(2, [3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save(model, path).name
    'model.json'
    >>> load(nn.MLP, path).state_dict() == model.state_dict()
    True
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from ..engine import Value
from ..support.checks import describe
from ..support.files import check_target, read_bounded, write_atomically
from .tensors import Tensor, values

FILE_FORMAT = "autograd_lite.model"
FILE_VERSION = 1
# The largest model file read: about 4 million weights at 25 bytes each, far more
# than a scalar engine trains. A bound keeps a wrong path from filling the memory.
MAX_FILE_BYTES = 100 * 2**20
# The deepest a weight's lists nest in a file (a matrix is 2); the walks that read them
# recurse, so a file nested hundreds deep is refused by an iterative count first.
MAX_NESTING = 8

M = TypeVar("M", bound="Saveable")


class Saveable(Protocol):
    """What this file format needs of a module: its own methods, nothing of its class.

    ``nn.Module`` has them all; the format never imports it, so that ``Module.save``
    can call :func:`save` without the two modules importing each other.
    """

    def tensors(self) -> dict[str, Tensor]: ...

    def config(self) -> dict[str, Any]: ...

    def named_parameters(self) -> list[tuple[str, Value]]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


# --- state dicts --------------------------------------------------------------------


def load_state_dict(module: Saveable, state: Mapping[str, Any]) -> None:
    """Copy the weights in ``state`` into ``module``'s Values, all or nothing.

    Args:
        module: the module to load into.
        state: key -> number or nested lists of numbers (numpy and torch arrays too),
            with exactly the keys and shapes of ``module.state_dict()``.

    Raises:
        TypeError: if ``state`` is not a mapping.
        ValueError: naming the key that is missing, unexpected, of the wrong shape, or
            holding something that is not a finite number.

    >>> from autograd_lite import nn
    >>> load_state_dict(nn.Neuron(2, seed=0), {"weight": [1.0, 2.0]})
    Traceback (most recent call last):
      ...
    ValueError: state dict is missing key 'bias'
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"load_state_dict needs a dict, got {type(state).__name__}")
    expected = module.tensors()
    missing = [key for key in expected if key not in state]
    if missing:
        raise ValueError(f"state dict is missing key {missing[0]!r}" + _more(missing))
    unexpected = [key for key in state if key not in expected]
    if unexpected:
        raise ValueError(f"state dict has unexpected key {unexpected[0]!r}" + _more(unexpected))
    updates: list[tuple[list[Value], list[float]]] = []
    for key, t in expected.items():
        value = state[key]
        if hasattr(value, "tolist"):
            value = value.tolist()
        want = _shape(t)
        if _nesting(value, len(want)) > len(want):
            raise ValueError(
                f"{key}: wrong shape: expected {_fmt_shape(want)}, got lists nested more "
                f"than {len(want)} deep"
            )
        got = _given_shape(value)
        if got != want:
            raise ValueError(
                f"{key}: wrong shape: expected {_fmt_shape(want)}, got {_fmt_shape(got)}"
            )
        updates.append((list(values(t)), list(_read_numbers(key, value))))
    for params, numbers_ in updates:
        for p, x in zip(params, numbers_, strict=True):
            p.data = x


def _more(keys: list[str]) -> str:
    return f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""


def _shape(t: Tensor) -> tuple[int, ...]:
    """The shape of a tensor of Values: () for a Value, (n,) for a list, (n, m) ..."""
    return () if isinstance(t, Value) else (len(t), *_shape(t[0]))


def _nesting(value: object, limit: int) -> int:
    """How deep lists (and tuples) nest in ``value``, 0 for a number; counted without
    recursion, and only up to ``limit + 1`` (a hostile file may nest thousands deep)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | tuple):
            deepest = max(deepest, depth + 1)
            if deepest > limit:
                return deepest
            stack.extend((inner, depth + 1) for inner in item)
    return deepest


def _given_shape(value: object) -> tuple[int, ...] | None:
    """The shape of nested lists (a non-list counts as a scalar); None if ragged."""
    if not isinstance(value, list | tuple):
        return ()
    if not value:
        return (0,)
    shapes = {_given_shape(item) for item in value}
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(value), *shapes.pop())  # type: ignore[misc]


def _read_numbers(key: str, value: Any) -> Iterator[float]:
    """The numbers of a checked nested list in order, or ValueError naming the entry."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _read_numbers(key, item)
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{key}: expected numbers, found {type(value).__name__} {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        raise ValueError(f"{key}: expected finite numbers, found {describe(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{key}: expected finite numbers, found {number!r}")
    yield number


def _fmt_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "ragged nested lists"
    return "a number" if shape == () else "shape " + "×".join(map(str, shape))


# --- model files --------------------------------------------------------------------


def save(module: Saveable, path: str | os.PathLike[str]) -> Path:
    """Write ``module``'s class, architecture and weights to a JSON file, atomically.

    See :func:`autograd_lite.support.files.write_atomically`: a crash midway leaves any old
    file intact, a replaced file keeps its permissions, and a symbolic link is
    written through.

    Args:
        module: the module to save.
        path: where to write, e.g. ``"model.json"``. The folder must exist.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: if a weight is nan or inf (JSON cannot hold it faithfully), or if
            ``path`` is a folder, a named pipe, a device or a socket (or links to one).
        OSError: naming ``path``, if the file cannot be written.
    """
    path = check_target(path, "save")
    for name, p in module.named_parameters():
        if not math.isfinite(p.data):
            raise ValueError(f"cannot save: parameter {name} is {p.data!r}")
    payload = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "class": type(module).__name__,
        "config": module.config(),
        "state_dict": module.state_dict(),
    }

    def write(f: IO[Any]) -> None:
        json.dump(payload, f, indent=1)
        f.write("\n")

    write_atomically(path, write, function="save")
    return path


def load(cls: type[M], path: str | os.PathLike[str]) -> M:
    """A new module, architecture and weights, from a file written by :func:`save`.

    Args:
        cls: the class asked for. A file loads through the class that saved it (a
            subclass of ``nn.MLP`` too); ``nn.Module`` loads a file of any of
            ``Neuron``, ``Layer``, ``MLP``, ``GPT``.
        path: the JSON file.

    Returns:
        The module.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming the path, if it is not a valid model file, not a regular
            file (a folder, a device, a pipe) or larger than ``MAX_FILE_BYTES``.
    """
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a model file (not UTF-8 text)") from None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{path}: not a model file (invalid JSON: {e})") from None
    try:
        return _from_payload(cls, payload)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None


def _class_of(cls: type[M], name: object) -> type[M] | None:
    """The class a file's ``"class"`` names, if loading it through ``cls`` is right.

    ``cls.class_named`` is the module's own registry (``nn.Module`` registers every
    subclass by name), which finds the classes below ``cls``.
    """
    if name == cls.__name__:
        return cls  # the class that saved it, a user's subclass included
    kind: type[M] | None = cls.class_named(str(name))  # type: ignore[attr-defined]
    return kind


def _from_payload(cls: type[M], payload: object) -> M:
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ValueError(f'not a model file (no "format": {FILE_FORMAT!r})')
    if payload.get("version") != FILE_VERSION:
        raise ValueError(f"unsupported model file version {payload.get('version')!r}")
    kind = _class_of(cls, payload.get("class"))
    if kind is None:
        raise ValueError(f"the file holds a {payload.get('class')!r}, not a {cls.__name__}")
    config, state = payload.get("config"), payload.get("state_dict")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError('a model file needs a "config" and a "state_dict" object')
    count_parameters = getattr(kind, "parameter_count", None)
    if count_parameters is not None:  # checked before building: a bad config cannot allocate
        try:  # millions of Values
            count = count_parameters(**config)
        except TypeError as e:  # a missing or unknown argument
            raise ValueError(f"the config does not fit {kind.__name__}: {e}") from None
        for key, value in state.items():
            if _nesting(value, MAX_NESTING) > MAX_NESTING:
                raise ValueError(
                    f"{key}: lists nested more than {MAX_NESTING} deep; a weight is a number, "
                    "a list of numbers or a list of such lists"
                )
        found = sum(1 for value in state.values() for _ in _leaves(value))
        if count != found:
            raise ValueError(f"the architecture has {count} parameters but the file holds {found}")
    module: M = kind(**config, seed=0)  # type: ignore[call-arg]
    module.load_state_dict(state)
    return module


def _leaves(value: object) -> Iterator[object]:
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
