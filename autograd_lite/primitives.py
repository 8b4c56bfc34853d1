"""The table of primitive operations.

Each primitive is written once, as data: its name (what ``Value.op`` shows), its
forward on floats (with the domain check and a clear error), and its local
derivatives. The local derivatives are formulas of the form

    local(ops, *inputs, out) -> one derivative per input

written with ordinary operators and the few functions of the namespace ``ops``.
Called with floats and :data:`FLOAT_OPS` they give the numbers that drive the fast
first-order backward pass; called with the graph's own ``Value`` nodes and the
engine's Value namespace they build the derivative as a new graph, which is what
higher-order gradients need. The engine itself never names a specific op.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

INF = math.inf


class Primitive:
    """One differentiable operation: a name, a float forward and its local derivatives."""

    __slots__ = ("name", "forward", "local", "params")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        local: Callable[..., tuple[Any, ...]],
        params: dict[str, float] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.local = local
        self.params = params or {}

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Primitive({self.name!r}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by reference: the name and parameters that :func:`lookup` finds again.

        The forward and the formulas are lambdas, which pickle cannot store; they need
        not be stored, as the table holds them.
        """
        try:
            found: Primitive | WithNumber | None = lookup(self.name, self.params)
        except ValueError:
            found = None
        if found is None or (found is not self and not self.params):
            raise TypeError(f"cannot pickle {self!r}: it is not in the table of primitives")
        return (lookup, (self.name, dict(self.params)))


# --- the float namespace the formulas are evaluated with -----------------------


def _float_div(a: float, b: float) -> float:
    """a / b that gives ±inf (or nan for 0/0) at b == 0 instead of raising."""
    if b == 0:
        return math.copysign(INF, a) * math.copysign(1.0, b) if a != 0 else math.nan
    return a / b


def _float_pow(a: float, b: float) -> float:
    """a ** b that gives inf at 0 ** negative and on overflow instead of raising."""
    try:
        return a**b
    except ZeroDivisionError:
        return INF
    except OverflowError:
        negative = a < 0 and float(b).is_integer() and int(b) % 2 == 1
        return -INF if negative else INF


class FloatOps:
    """The functions a derivative formula may call, on plain floats."""

    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    log = staticmethod(math.log)
    div = staticmethod(_float_div)
    pow = staticmethod(_float_pow)

    @staticmethod
    def mul_log(out: float, base: float) -> float:
        """out * ln(base), taken as 0 where out is 0 (the base-0 case of x ** y)."""
        return 0.0 if out == 0 else out * math.log(base)

    @staticmethod
    def step(x: float, below: float = 0.0) -> float:
        """1 where x > 0, else ``below``: the derivative of relu-like kinks."""
        return 1.0 if x > 0 else below

    @staticmethod
    def sign(x: float) -> float:
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


FLOAT_OPS = FloatOps


# --- forwards with their domain checks ----------------------------------------


def _fmt(x: float) -> str:
    return repr(float(x))


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"/: division by zero ({_fmt(a)} / {_fmt(b)})")
    return a / b


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log: argument must be positive, got {_fmt(x)}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError(f"sqrt: argument must be non-negative, got {_fmt(x)}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _periodic(name: str, fn: Callable[[float], float]) -> Callable[[float], float]:
    def forward(x: float) -> float:
        if math.isinf(x):
            raise ValueError(f"{name}: argument must be finite, got {_fmt(x)}")
        return fn(x)

    forward.__name__ = name
    return forward


def _pow(a: float, b: float) -> float:
    """Power with a differentiable exponent: d/db = out * ln(a) needs a > 0 (or a == 0, b > 0)."""
    if a < 0:
        raise ValueError(
            f"**: base {_fmt(a)} is negative; with a Value exponent the base must be "
            "positive (d/d exponent = out * ln(base))"
        )
    if a == 0 and not b > 0:
        raise ValueError(
            f"**: base 0.0 with exponent {_fmt(b)}; with a Value exponent a zero base "
            "needs a positive exponent"
        )
    return _float_pow(a, b)


def _pow_by_constant(x: float, n: float) -> float:
    if x < 0 and math.isfinite(n) and not float(n).is_integer():
        raise ValueError(
            f"**: negative base {_fmt(x)} with non-integer exponent {_fmt(n)} has no real result"
        )
    if x == 0 and n < 0:
        raise ZeroDivisionError(f"**: 0.0 cannot be raised to the negative power {_fmt(n)}")
    return _float_pow(x, n)


# --- the table ----------------------------------------------------------------
# Formulas receive the inputs, then the output ``out``, and return one local
# derivative per input. Constant tuples such as (1.0, 1.0) cost no allocation.

ADD = Primitive("+", lambda a, b: a + b, lambda ops, a, b, out: (1.0, 1.0))
SUB = Primitive("-", lambda a, b: a - b, lambda ops, a, b, out: (1.0, -1.0))
MUL = Primitive("*", lambda a, b: a * b, lambda ops, a, b, out: (b, a))
DIV = Primitive("/", _div, lambda ops, a, b, out: (1 / b, -out / b))
NEG = Primitive("neg", lambda x: -x, lambda ops, x, out: (-1.0,))
POW = Primitive("**", _pow, lambda ops, a, b, out: (b * ops.pow(a, b - 1), ops.mul_log(out, a)))
EXP = Primitive("exp", _exp, lambda ops, x, out: (out,))
LOG = Primitive("log", _log, lambda ops, x, out: (1 / x,))
TANH = Primitive("tanh", math.tanh, lambda ops, x, out: (1 - out * out,))
SIGMOID = Primitive("sigmoid", _sigmoid, lambda ops, x, out: (out * (1 - out),))
RELU = Primitive("relu", lambda x: 0.0 if x <= 0 else x, lambda ops, x, out: (ops.step(x),))
SIN = Primitive("sin", _periodic("sin", math.sin), lambda ops, x, out: (ops.cos(x),))
COS = Primitive("cos", _periodic("cos", math.cos), lambda ops, x, out: (-ops.sin(x),))
SQRT = Primitive("sqrt", _sqrt, lambda ops, x, out: (ops.div(0.5, out),))
ABS = Primitive("abs", abs, lambda ops, x, out: (ops.sign(x),))


@lru_cache(maxsize=256)
def pow_by_constant(n: float) -> Primitive:
    """``x ** n`` for a fixed number n (any real base where the result is real)."""
    return Primitive(
        "**",
        lambda x: _pow_by_constant(x, n),
        lambda ops, x, out: (n * ops.pow(x, n - 1),),
        {"exponent": n},
    )


@lru_cache(maxsize=256)
def leaky_relu(slope: float) -> Primitive:
    """``x`` for x > 0, else ``slope * x``; the derivative at 0 is ``slope`` (as PyTorch)."""
    return Primitive(
        "leaky_relu",
        lambda x: x if x > 0 else slope * x,
        lambda ops, x, out: (ops.step(x, slope),),
        {"slope": slope},
    )


class WithNumber:
    """A binary primitive with one operand a plain number: ``v * 2``, ``1 - v``, ``2 ** v``.

    Such a node records one parent, the Value, and keeps the number itself, so a number
    mixed into an op costs no node of its own. The forward and the local derivatives
    are the binary primitive's own formulas, called with the number in its place.

    Attributes:
        binary: the binary primitive.
        number_first: whether the number is the left operand (``2 - v``).
        name: the binary primitive's name (what ``Value.op`` shows).
    """

    __slots__ = ("binary", "number_first", "name", "params")

    def __init__(self, binary: Primitive, number_first: bool) -> None:
        self.binary = binary
        self.number_first = number_first
        self.name = binary.name
        self.params: dict[str, float] = {}

    def operands(self, x: Any, number: Any) -> tuple[Any, Any]:
        """The binary primitive's operands, in its order."""
        return (number, x) if self.number_first else (x, number)

    def local(self, ops: Any, x: Any, number: Any, out: Any) -> tuple[Any]:
        """The local derivative with respect to the Value operand, as a one-tuple."""
        derivatives = self.binary.local(ops, *self.operands(x, number), out)
        return (derivatives[1] if self.number_first else derivatives[0],)

    def __repr__(self) -> str:
        side = "number first" if self.number_first else "number second"
        return f"WithNumber({self.name!r}, {side})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by reference, as the binary primitive's name and the side of the number."""
        return (lookup, (self.name, {}, self.number_first))


# ``v ** 2`` has pow_by_constant, whose forward takes negative bases; the rest are here.
NUMBER_SECOND = {p: WithNumber(p, number_first=False) for p in (ADD, SUB, MUL, DIV)}
NUMBER_FIRST = {p: WithNumber(p, number_first=True) for p in (ADD, SUB, MUL, DIV, POW)}

UNARY: dict[str, Primitive] = {
    p.name: p for p in (NEG, EXP, LOG, TANH, SIGMOID, RELU, SIN, COS, SQRT, ABS)
}
BINARY: dict[str, Primitive] = {p.name: p for p in (ADD, SUB, MUL, DIV, POW)}


def lookup(
    name: str, params: dict[str, float] | None = None, number_first: bool | None = None
) -> Primitive | WithNumber:
    """The primitive of the table with this name (and parameters), as pickling stores it.

    Args:
        name: what ``Value.op`` shows, e.g. ``"tanh"`` or ``"*"``.
        params: ``{"exponent": n}`` for ``x ** n``, ``{"slope": s}`` for a leaky relu,
            else empty.
        number_first: for a binary op with one operand a plain number, whether the
            number is on the left (``2 - v``) or the right (``v - 2``); None otherwise.

    Returns:
        The table's own object (so ``lookup(p.name, p.params) is p`` for every
        primitive of the table), or for a parametrised one, an equal one.

    Raises:
        ValueError: naming the name, if the table has no such primitive.
    """
    params = params or {}
    if number_first is not None:
        table = NUMBER_FIRST if number_first else NUMBER_SECOND
        binary = BINARY.get(name)
        if binary in table:
            return table[binary]  # type: ignore[index]
    elif "exponent" in params and name == "**":
        return pow_by_constant(params["exponent"])
    elif "slope" in params and name == "leaky_relu":
        return leaky_relu(params["slope"])
    elif not params:
        found = UNARY.get(name) or BINARY.get(name)
        if found is not None:
            return found
        for obj in globals().values():  # a primitive of the table not in UNARY or BINARY
            if isinstance(obj, Primitive) and obj.name == name:
                return obj
    raise ValueError(f"lookup: no primitive {name!r} with {params or 'no parameters'} in the table")
