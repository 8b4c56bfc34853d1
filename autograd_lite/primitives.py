"""The table of primitive operations: one row per op, every formula written once.

Each row holds an op's

* **name**, what ``Value.op`` shows;
* **forward on floats** and **forward on arrays** (numpy, one number per sample);
* **domain**: one predicate ``outside(*inputs)`` that is true where the op has no
  result, written with operators that work on floats and on arrays alike, and the
  error to raise there (``error(*inputs)``); the float forward checks it before it
  computes, the array forward checks it on every sample of a batch;
* **local derivatives**: ``local(ops, *inputs, out)``, one derivative per input.

Most ops take one or two inputs. Two take any number: ``dot`` (a neuron's
``w·x + b`` as one node) and ``sum``; their formulas receive all the inputs, then
``out``, as one argument list.

The local derivatives are written with ordinary operators and the few functions of
the namespace ``ops``. Called with floats and :data:`FLOAT_OPS` they give the numbers
that drive the fast first-order backward pass; called with the graph's own ``Value``
nodes and :data:`~autograd_lite.functional.VALUE_OPS` they build the derivative as a
new graph (higher order); called with numpy arrays and
:data:`~autograd_lite.array_ops.NUMPY_OPS` they run a whole batch (the compiler).
Forward mode (:mod:`autograd_lite.forward`) sums the same numbers the other way.

Adding an op is one row here and one ``Value`` method; the engine never names an op.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from functools import lru_cache
from operator import mul
from typing import Any

INF = math.inf

Forward = Callable[..., float]


class Primitive:
    """One differentiable operation, as a row of the table.

    Args:
        name: what ``Value.op`` shows.
        forward: the computation on floats, without the domain check.
        array: ``array(np, *inputs)``, the computation on numpy arrays (numpy is passed
            in, so that importing the table does not import numpy).
        local: ``local(ops, *inputs, out)``, the local derivatives.
        outside: ``outside(*inputs)``, true where the op has no result; None if it
            always has one.
        error: ``error(*inputs)``, the exception for a point outside the domain.
        params: the numbers a parametrised op was made with (``x ** n``'s exponent).

    Attributes:
        forward: the float forward *with* its domain check: what the engine calls.
        compute: the float forward without it.
        arity: how many inputs the op takes (1 or 2), or None for any number
            (``dot``, ``sum``), read from the signature of ``local``.
    """

    __slots__ = (
        "name", "forward", "compute", "array", "local", "outside", "error", "params", "arity"
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        forward: Forward,
        array: Callable[..., Any],
        local: Callable[..., tuple[Any, ...]],
        outside: Callable[..., Any] | None = None,
        error: Callable[..., Exception] | None = None,
        params: dict[str, float] | None = None,
    ) -> None:
        self.name = name
        self.compute = forward
        self.array = array
        self.local = local
        self.outside = outside
        self.error = error
        self.params = params or {}
        code = local.__code__
        if code.co_flags & inspect.CO_VARARGS:  # local(ops, *inputs_then_out): any number
            self.arity: int | None = None
        else:
            self.arity = code.co_argcount - 2  # local(ops, *inputs, out)
        self.forward = forward if outside is None else _checked(forward, outside, error, self.arity)

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


def _checked(
    forward: Forward, outside: Callable[..., Any], error: Any, inputs: int | None
) -> Forward:
    """The float forward that raises ``error`` where ``outside`` holds, then computes.

    Written out for one and for two inputs: packing ``*args`` would cost every call.
    """

    def checked_one(x: float) -> float:
        if outside(x):
            raise error(x)
        return forward(x)

    def checked_two(a: float, b: float) -> float:
        if outside(a, b):
            raise error(a, b)
        return forward(a, b)

    def checked_any(*args: float) -> float:
        if outside(*args):
            raise error(*args)
        return forward(*args)

    return checked_one if inputs == 1 else checked_two if inputs == 2 else checked_any


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


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


class FloatOps:
    """The functions a derivative formula may call, on plain floats."""

    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    log = staticmethod(math.log)
    div = staticmethod(_float_div)
    pow = staticmethod(_float_pow)
    sigmoid = staticmethod(_sigmoid)

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


# --- forwards that need more than one expression -------------------------------


def _fmt(x: float) -> str:
    return repr(float(x))


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow: for x > 0 it is x + log(1 + e^-x), and e^-x <= 1.
    if x > 0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(_exp(x))


def _array_sigmoid(np: Any, x: Any) -> Any:
    e = np.exp(-np.abs(x))  # the float forward's two branches at once: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _array_softplus(np: Any, x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _array_pow(np: Any, a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        return np.power(a, b)


def _not_positive(x: Any) -> Any:
    return x <= 0


def _infinite(x: Any) -> Any:
    return abs(x) == INF


# --- the table ----------------------------------------------------------------
# name, float forward, array forward, local derivatives, then the domain if there is one.
# Formulas receive the inputs, then the output ``out``, and return one local derivative
# per input. Constant tuples such as (1.0, 1.0) cost no allocation.

ADD = Primitive("+", lambda a, b: a + b, lambda np, a, b: a + b, lambda ops, a, b, out: (1.0, 1.0))
SUB = Primitive("-", lambda a, b: a - b, lambda np, a, b: a - b, lambda ops, a, b, out: (1.0, -1.0))
MUL = Primitive("*", lambda a, b: a * b, lambda np, a, b: a * b, lambda ops, a, b, out: (b, a))
DIV = Primitive(
    "/", lambda a, b: a / b, lambda np, a, b: np.divide(a, b),
    lambda ops, a, b, out: (1 / b, -out / b),
    outside=lambda a, b: b == 0,
    error=lambda a, b: ZeroDivisionError(f"/: division by zero ({_fmt(a)} / {_fmt(b)})"),
)  # fmt: skip
NEG = Primitive("neg", lambda x: -x, lambda np, x: -x, lambda ops, x, out: (-1.0,))
POW = Primitive(
    "**", _float_pow, _array_pow,
    lambda ops, a, b, out: (b * ops.pow(a, b - 1), ops.mul_log(out, a)),
    # d/d exponent = out * ln(base) needs a positive base (or 0 with a positive exponent)
    outside=lambda a, b: (a < 0) | ((a == 0) & ((b <= 0) | (b != b))),
    error=lambda a, b: ValueError(
        f"**: base {_fmt(a)} is negative; with a Value exponent the base must be positive "
        "(d/d exponent = out * ln(base))"
        if a < 0
        else f"**: base 0.0 with exponent {_fmt(b)}; with a Value exponent a zero base "
        "needs a positive exponent"
    ),
)  # fmt: skip
EXP = Primitive("exp", _exp, lambda np, x: np.exp(x), lambda ops, x, out: (out,))
LOG = Primitive(
    "log", math.log, lambda np, x: np.log(x), lambda ops, x, out: (1 / x,),
    outside=_not_positive,
    error=lambda x: ValueError(f"log: argument must be positive, got {_fmt(x)}"),
)  # fmt: skip
TANH = Primitive("tanh", math.tanh, lambda np, x: np.tanh(x), lambda ops, x, out: (1 - out * out,))
SIGMOID = Primitive("sigmoid", _sigmoid, _array_sigmoid, lambda ops, x, out: (out * (1 - out),))
SOFTPLUS = Primitive(
    "softplus", _softplus, _array_softplus, lambda ops, x, out: (ops.sigmoid(x),)
)
RELU = Primitive(
    "relu", lambda x: 0.0 if x <= 0 else x,
    lambda np, x: np.maximum(x, 0.0),  # as the float forward: relu(-0.0) is 0.0, relu(nan) nan
    lambda ops, x, out: (ops.step(x),),
)  # fmt: skip
SIN = Primitive(
    "sin", math.sin, lambda np, x: np.sin(x), lambda ops, x, out: (ops.cos(x),),
    outside=_infinite, error=lambda x: ValueError(f"sin: argument must be finite, got {_fmt(x)}"),
)  # fmt: skip
COS = Primitive(
    "cos", math.cos, lambda np, x: np.cos(x), lambda ops, x, out: (-ops.sin(x),),
    outside=_infinite, error=lambda x: ValueError(f"cos: argument must be finite, got {_fmt(x)}"),
)  # fmt: skip
SQRT = Primitive(
    "sqrt", math.sqrt, lambda np, x: np.sqrt(x), lambda ops, x, out: (ops.div(0.5, out),),
    outside=lambda x: x < 0,
    error=lambda x: ValueError(f"sqrt: argument must be non-negative, got {_fmt(x)}"),
)  # fmt: skip
ABS = Primitive("abs", abs, lambda np, x: np.abs(x), lambda ops, x, out: (ops.sign(x),))

# The ops of any number of inputs. Their sums start from -0.0, the one number whose
# addition changes nothing (0.0 would turn a sum of -0.0 into 0.0), so ``sum`` of
# a, b, c is the float of (a + b) + c, as the chain of binary + a learner writes.


def _dot(*inputs: Any) -> Any:
    """w1·x1 + ... + wn·xn (+ b): inputs w1..wn, x1..xn, then b if there is one."""
    n = len(inputs) // 2
    start = inputs[-1] if len(inputs) % 2 else -0.0
    return sum(map(mul, inputs[:n], inputs[n : 2 * n]), start)  # ((b + w1·x1) + w2·x2) ...


def _dot_local(ops: Any, *inputs_then_out: Any) -> tuple[Any, ...]:
    """∂/∂wi = xi, ∂/∂xi = wi, ∂/∂b = 1: the inputs' two halves swapped."""
    n = (len(inputs_then_out) - 1) // 2
    ws, xs = inputs_then_out[:n], inputs_then_out[n : 2 * n]
    return (*xs, *ws, 1.0) if len(inputs_then_out) % 2 == 0 else (*xs, *ws)


def _sum(*inputs: Any) -> Any:
    return sum(inputs, -0.0)


DOT = Primitive("dot", _dot, lambda np, *inputs: _dot(*inputs), _dot_local)
SUM = Primitive(
    "sum", _sum, lambda np, *inputs: _sum(*inputs),
    lambda ops, *inputs_then_out: (1.0,) * (len(inputs_then_out) - 1),
)  # fmt: skip


@lru_cache(maxsize=256)
def pow_by_constant(n: float) -> Primitive:
    """``x ** n`` for a fixed number n (any real base where the result is real).

    Its derivative is n·x^(n-1), except for n = 0: x ** 0 is the constant 1, whose
    derivative is 0 everywhere, also at x = 0 where the formula would read 0·0^-1.
    """
    fractional = math.isfinite(n) and not float(n).is_integer()  # no real result below 0

    outside: Callable[[Any], Any] | None = None
    if fractional:
        outside = _not_positive if n < 0 else (lambda x: x < 0)
    elif n < 0:
        outside = lambda x: x == 0  # noqa: E731

    def error(x: float) -> Exception:
        if x < 0:
            return ValueError(
                f"**: negative base {_fmt(x)} with non-integer exponent {_fmt(n)} has no "
                "real result"
            )
        return ZeroDivisionError(f"**: 0.0 cannot be raised to the negative power {_fmt(n)}")

    def array(np: Any, x: Any) -> Any:
        # numpy takes x ** 0.5 as sqrt, which keeps -0.0; Python's pow gives +0.0 there.
        return np.power(x, n) + 0.0 if fractional else np.power(x, n)

    if n == 0:
        local: Callable[..., tuple[Any, ...]] = lambda ops, x, out: (0.0,)  # noqa: E731
    else:
        local = lambda ops, x, out: (n * ops.pow(x, n - 1),)  # noqa: E731
    return Primitive(
        "**",
        lambda x: _float_pow(x, n),
        array,
        local,
        outside,
        error if outside is not None else None,
        {"exponent": n},
    )


@lru_cache(maxsize=256)
def leaky_relu(slope: float) -> Primitive:
    """``x`` for x > 0, else ``slope * x``; the derivative at 0 is ``slope`` (as PyTorch)."""
    return Primitive(
        "leaky_relu",
        lambda x: x if x > 0 else slope * x,
        lambda np, x: np.where(x > 0, x, slope * x),
        lambda ops, x, out: (ops.step(x, slope),),
        params={"slope": slope},
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
    p.name: p for p in (NEG, EXP, LOG, TANH, SIGMOID, SOFTPLUS, RELU, SIN, COS, SQRT, ABS)
}
"""The ops of one operand without parameters, by name."""
BINARY: dict[str, Primitive] = {p.name: p for p in (ADD, SUB, MUL, DIV, POW)}
"""The ops of two Values, by name (``**`` here has a Value exponent)."""
VARIADIC: dict[str, Primitive] = {p.name: p for p in (DOT, SUM)}
"""The ops of any number of Values, by name: ``dot`` (a neuron's ``w·x + b``) and ``sum``."""
PARAMETRISED: dict[str, Callable[[float], Primitive]] = {
    "**": pow_by_constant,
    "leaky_relu": leaky_relu,
}
"""The ops made from a number, by name: ``x ** n`` and ``leaky_relu(slope)``."""
FUNCTIONS: tuple[str, ...] = (
    *(name for name in UNARY if name != "neg"),
    "leaky_relu",
)
"""The names of the elementary functions, as ``Value`` methods: ``v.exp()``, ``v.leaky_relu()``."""


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
    elif name in PARAMETRISED and len(params) == 1:
        return PARAMETRISED[name](*params.values())
    elif not params:
        found = UNARY.get(name) or BINARY.get(name) or VARIADIC.get(name)
        if found is not None:
            return found
    raise ValueError(f"lookup: no primitive {name!r} with {params or 'no parameters'} in the table")
