"""Argument checks shared by the whole package, with errors that say what went wrong.

Every check takes the value, the name of the function that was called and the name of
the argument, and either returns the value in the form the caller works with (an
``int``, a ``float``) or raises an error naming all three:

    >>> positive_int(0, "fit", "epochs")
    Traceback (most recent call last):
      ...
    ValueError: fit: epochs must be at least 1, got 0

A wrong *type* is a ``TypeError``, a wrong *value* of the right type a ``ValueError``.
An int too large for a float (``10**400``) is a ``ValueError`` like any other value out
of range, never the bare ``OverflowError`` that ``float()`` raises.

Numbers come in two kinds here:

* :func:`real_number` accepts what :class:`~autograd_lite.Value` accepts (``int``,
  ``float``, ``bool`` and numpy real scalars; nan and inf as given), for data;
* :func:`finite_number` and its short forms are for settings such as a learning rate:
  they also refuse nan, inf and ``True``/``False`` (a flag passed where a number was
  meant is a mistake, even though ``True == 1``).
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


def describe(value: object) -> str:
    """A short, readable stand-in for ``value`` in an error message.

    Long strings and containers are cut short, and an int too large to print in full
    is described by its number of digits.

    >>> describe("abc")
    "'abc'"
    >>> describe(10**400)
    'an int of about 401 digits'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        sign = "a negative int" if value < 0 else "an int"
        return f"{sign} of about {digits} digits"
    return _short.repr(value)


def _kind(value: object) -> str:
    """The type and the value, e.g. ``str '1.5'``, for a TypeError's message."""
    return f"{type(value).__name__} {describe(value)}"


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def real_number(value: object, function: str, argument: str = "") -> float:
    """``value`` as a float: the one rule of the package for what a real number is.

    ``Value``, ``Dual``, ``jvp``, ``hessian``, the losses and the rest all take numbers
    through this function, so they accept and refuse the same things alike.

    Args:
        value: an ``int``, ``float``, ``bool``, or numpy real scalar (``np.float32(1)``,
            ``np.int64(2)``, ``np.bool_(True)``); nan and inf are returned as given.
        function, argument: named in the error message (``argument`` may be empty).

    Returns:
        ``float(value)``.

    Raises:
        TypeError: for anything else (a string, None, a complex number, a list).
        ValueError: for an int too large for a float.

    >>> real_number(3, "hessian", "xs[0]")
    3.0
    >>> real_number("1.5", "hessian", "xs[0]")
    Traceback (most recent call last):
      ...
    TypeError: hessian: xs[0] must be a real number (int, float, ...), got str '1.5'
    >>> real_number(10**400, "Value")
    Traceback (most recent call last):
      ...
    ValueError: Value: an int of about 401 digits is too large for a float
    """
    if value.__class__ is float:
        return value  # type: ignore[return-value]
    where = f"{function}: {argument}" if argument else function
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            size = describe(value)
            raise ValueError(
                f"{where} is too large for a float, got {size}"
                if argument
                else f"{function}: {size} is too large for a float"
            ) from None
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):  # not numbers.Real
        return float(bool(value))
    raise TypeError(
        f"{where} must be a real number (int, float, bool or a numpy real scalar), "
        f"got {_kind(value)}"
    )


def real_numbers(values: object, function: str, argument: str) -> list[float]:
    """A list (or tuple, or other iterable) of real numbers, as floats.

    >>> real_numbers((1, 2.5), "jvp", "tangents")
    [1.0, 2.5]
    >>> real_numbers("12", "hessian", "xs")
    Traceback (most recent call last):
      ...
    TypeError: hessian: xs must be a list of numbers, got str '12'
    """
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise TypeError(f"{function}: {argument} must be a list of numbers, got {_kind(values)}")
    return [real_number(x, function, f"{argument}[{i}]") for i, x in enumerate(values)]


def finite_number(
    value: object,
    function: str,
    argument: str,
    *,
    at_least: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> float:
    """``value`` as a finite float, optionally inside a range.

    Args:
        value: an int, float or numpy real scalar (not a bool).
        function, argument: named in the error message.
        at_least, above, below: the bounds, if any: ``value >= at_least``,
            ``value > above``, ``value < below``.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: if ``value`` is not a real number, or is a bool.
        ValueError: if it is nan, inf, too large for a float, or out of range.

    >>> finite_number(0.5, "SGD", "momentum", at_least=0, below=1)
    0.5
    >>> finite_number(1.0, "SGD", "momentum", at_least=0, below=1)
    Traceback (most recent call last):
      ...
    ValueError: SGD: momentum must be a finite number in [0, 1), got 1.0
    """
    if not _is_real(value):
        raise TypeError(f"{function}: {argument} must be a number, got {_kind(value)}")
    rule = _range_rule(at_least, above, below)
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(
            f"{function}: {argument} must be a finite number{rule}, got {describe(value)}"
        ) from None
    if (
        not math.isfinite(x)
        or (at_least is not None and x < at_least)
        or (above is not None and x <= above)
        or (below is not None and x >= below)
    ):
        raise ValueError(f"{function}: {argument} must be a finite number{rule}, got {x!r}")
    return x


def _range_rule(at_least: float | None, above: float | None, below: float | None) -> str:
    """`` in [0, 1)``, `` >= 0``, `` > 0`` or ``""``: the range in words, for messages."""
    low = f"[{at_least:g}" if at_least is not None else f"({above:g}" if above is not None else ""
    if low and below is not None:
        return f" in {low}, {below:g})"
    if at_least is not None:
        return f" >= {at_least:g}"
    if above is not None:
        return f" > {above:g}"
    if below is not None:
        return f" < {below:g}"
    return ""


def non_negative_number(
    value: object, function: str, argument: str, *, below: float | None = None
) -> float:
    """A finite number >= 0 (and < ``below``, if given), e.g. a learning rate.

    >>> non_negative_number(-0.1, "SGD", "lr")
    Traceback (most recent call last):
      ...
    ValueError: SGD: lr must be a finite number >= 0, got -0.1
    """
    return finite_number(value, function, argument, at_least=0.0, below=below)


def positive_number(value: object, function: str, argument: str) -> float:
    """A finite number > 0, e.g. a finite-difference step.

    >>> positive_number(0, "gradcheck", "eps")
    Traceback (most recent call last):
      ...
    ValueError: gradcheck: eps must be a finite number > 0, got 0.0
    """
    return finite_number(value, function, argument, above=0.0)


def whole_number(
    value: object,
    function: str,
    argument: str,
    *,
    at_least: int | None = None,
    at_most: int | None = None,
) -> int:
    """``value`` as an ``int`` (Python or numpy integer, not a bool), optionally bounded.

    Args:
        value: the number to check.
        function, argument: named in the error message.
        at_least, at_most: inclusive bounds, if any.

    Returns:
        ``int(value)``.

    Raises:
        TypeError: if ``value`` is not an integer (``2.0`` and ``True`` are not).
        ValueError: if it is out of range.

    >>> whole_number(3, "make_spiral", "classes", at_least=2, at_most=10)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{function}: {argument} must be an int, got {_kind(value)}")
    n = int(value)
    broken = range_broken(n, at_least, at_most)
    if broken:
        raise ValueError(f"{function}: {argument} {broken}")
    return n


def range_broken(n: int, at_least: int | None = None, at_most: int | None = None) -> str:
    """What is wrong with ``n`` for the inclusive bounds, or ``""`` if nothing is.

    The one wording of a whole number out of range, for :func:`whole_number` and the
    command line's arguments alike.

    >>> range_broken(0, at_least=1)
    'must be at least 1, got 0'
    """
    if at_least is not None and n < at_least:
        return f"must be at least {at_least}, got {describe(n)}"
    if at_most is not None and n > at_most:
        return f"must be at most {at_most}, got {describe(n)}"
    return ""


def positive_int(value: object, function: str, argument: str, *, at_most: int | None = None) -> int:
    """An int >= 1 (and <= ``at_most``, if given), e.g. a number of epochs or of points.

    >>> positive_int(100, "fit", "epochs")
    100
    >>> positive_int(2.5, "make_moons", "n")
    Traceback (most recent call last):
      ...
    TypeError: make_moons: n must be an int, got float 2.5
    """
    return whole_number(value, function, argument, at_least=1, at_most=at_most)


def non_negative_int(value: object, function: str, argument: str) -> int:
    """An int >= 0, e.g. a seed.

    >>> non_negative_int(-1, "make_moons", "seed")
    Traceback (most recent call last):
      ...
    ValueError: make_moons: seed must be at least 0, got -1
    """
    return whole_number(value, function, argument, at_least=0)


def one_of(value: T, function: str, argument: str, choices: Iterable[object]) -> T:
    """``value`` itself, if it is one of ``choices`` (compared by type and equality).

    >>> one_of("tanh", "MLP", "activation", ("relu", "tanh"))
    'tanh'
    >>> one_of("gelu", "MLP", "activation", ("relu", "tanh"))
    Traceback (most recent call last):
      ...
    ValueError: MLP: activation must be one of 'relu', 'tanh', got 'gelu'
    """
    options = list(choices)
    # isinstance first: never compare, say, a numpy array with a string
    if not any(isinstance(value, type(c)) and value == c for c in options):
        listed = ", ".join(repr(c) for c in options)
        raise ValueError(f"{function}: {argument} must be one of {listed}, got {describe(value)}")
    return value


def callable_(value: T, function: str, argument: str) -> T:
    """``value`` itself, if it can be called (a function, a model, a lambda).

    >>> callable_(3, "hessian", "fn")
    Traceback (most recent call last):
      ...
    TypeError: hessian: fn must be callable (a function of a list of Values), got int
    """
    if not callable(value):
        raise TypeError(
            f"{function}: {argument} must be callable (a function of a list of Values), "
            f"got {type(value).__name__}"
        )
    return value


__all__ = [
    "callable_",
    "describe",
    "finite_number",
    "non_negative_int",
    "non_negative_number",
    "one_of",
    "positive_int",
    "positive_number",
    "range_broken",
    "real_number",
    "whole_number",
]
