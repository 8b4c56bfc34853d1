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
the namespace ``ops``, of which this module has three, side by side: called with
floats and :data:`FLOAT_OPS` the formulas give the numbers that drive the fast
first-order backward pass; called with the graph's own ``Value`` nodes and
:data:`VALUE_OPS` they build the derivative as a new graph (higher order); called with
numpy arrays and ``NUMPY_OPS`` they run a whole batch (the compiler).
Forward mode (:mod:`autograd_lite.forward`) sums the same numbers the other way.

Adding a built-in op is one row here: the engine generates its ``Value`` method from
the row's text, and ``Dual`` (forward mode) gets a one-line method that applies the
same row (``Dual.exp``); the engine never names an op. A learner adds one from
outside with ``ag.primitive`` (:mod:`autograd_lite.custom_ops`), which makes a row of
the same kind.
"""

from __future__ import annotations

import ast
import inspect
import math
from collections.abc import Callable
from functools import lru_cache
from operator import mul
from typing import Any, NamedTuple

INF = math.inf

Forward = Callable[..., float]


class Formulas(NamedTuple):
    """A row's formulas as text, so that code can be generated from them.

    Attributes:
        inputs: the names of the inputs, e.g. ``("a", "b")``.
        forward: the float forward, an expression in the inputs (``"a * b"``).
        local: one expression per input, in the inputs, ``out`` and ``ops``
            (``("b", "a")``).
        outside: the domain predicate, an expression in the inputs, or None.
        names: what the expressions may name besides those (``math``, ``ops``, helpers,
            and a parametrised row's parameters).
    """

    inputs: tuple[str, ...]
    forward: str
    local: tuple[str, ...]
    outside: str | None
    names: dict[str, Any]


class Primitive:
    """One differentiable operation, as a row of the table.

    Args:
        name: what ``Value.op`` shows.
        forward: the computation on floats, without the domain check.
        array: ``array(np, *inputs)``, the computation on numpy arrays (numpy is passed
            in, so that importing the table does not import numpy); None if the op
            has none (a learner's op made without one: ``ag.compile`` refuses it).
        local: ``local(ops, *inputs, out)``, the local derivatives.
        outside: ``outside(*inputs)``, true where the op has no result; None if it
            always has one.
        error: ``error(*inputs)``, the exception for a point outside the domain.
        params: the numbers a parametrised op was made with (``x ** n``'s exponent).
        formulas: the same formulas as text, for the rows written as text (see
            :func:`row`); None for a row made from functions.

    Attributes:
        forward: the float forward *with* its domain check: what the engine calls.
        compute: the float forward without it.
        run: ``run(*inputs) -> (out, *local derivatives)`` on floats, in one call:
            what the node makers call when they record a node.
        arity: how many inputs the op takes, or None for any number (``dot``,
            ``sum``), read from the signature of ``local``.
    """

    __slots__ = (
        "name", "forward", "compute", "array", "local", "outside", "error", "params", "arity",
        "formulas", "run",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        forward: Forward,
        array: Callable[..., Any] | None,
        local: Callable[..., tuple[Any, ...]],
        outside: Callable[..., Any] | None = None,
        error: Callable[..., Exception] | None = None,
        params: dict[str, float] | None = None,
        formulas: Formulas | None = None,
        arity: int | None | bool = False,
    ) -> None:
        self.name = name
        self.compute = forward
        # None for a learner's op made without one, which the compiler refuses first
        self.array: Callable[..., Any] = array  # type: ignore[assignment]
        self.local = local
        self.outside = outside
        self.error = error
        self.params = params or {}
        self.formulas = formulas
        if arity is not False:  # given (a learner's op, whose local may take *args)
            self.arity = arity  # type: ignore[assignment]
        else:
            code = local.__code__
            if code.co_flags & inspect.CO_VARARGS:  # local(ops, *inputs_then_out): any number
                self.arity = None
            else:
                self.arity = code.co_argcount - 2  # local(ops, *inputs, out)
        if formulas is not None:
            self.forward = _generated(_checked_forward_source(self), self)
            self.run = _generated(_run_source(self), self)
        else:
            self.forward = (
                forward if outside is None else _checked(forward, outside, error, self.arity)
            )
            self.run = _run(self.forward, local)

    # What tells two rows of one name and parameters apart: nothing for the table's
    # (equal rows compute alike); a learner's ops have their own (two may share a name).
    identity: Any = None

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


def _run(forward: Forward, local: Callable[..., tuple[Any, ...]]) -> Callable[..., tuple[Any, ...]]:
    """``run`` for a row made from functions: its forward, then its local derivatives."""

    def run(*inputs: float) -> tuple[Any, ...]:
        out = forward(*inputs)
        return (out, *local(FLOAT_OPS, *inputs, out))

    return run


# --- code generated from a row's formulas -------------------------------------------
# Speed trick: a row written as text gives its float forward, its domain check and its
# local derivatives as one generated function (``run``), and the engine generates its
# operators with the formulas inline (engine.py, section 3b, where its payoff is given).


def _generated(source: str, prim: Primitive) -> Callable[..., Any]:
    """The function defined by ``source``, evaluated among the row's names."""
    assert prim.formulas is not None
    namespace = {**prim.formulas.names, "ops": FLOAT_OPS, "error": prim.error, "__name__": __name__}
    exec(compile(source, f"<the row {prim.name!r}>", "exec"), namespace)  # noqa: S102
    return namespace["generated"]  # type: ignore[no-any-return]


def domain_check_source(f: Formulas, indent: str) -> str:
    """``if outside: raise error(inputs)`` as source, or nothing for a row without a domain."""
    if f.outside is None:
        return ""
    args = ", ".join(f.inputs)
    return f"{indent}if {f.outside}:\n{indent}    raise error({args})\n"


def _checked_forward_source(prim: Primitive) -> str:
    f = prim.formulas
    assert f is not None
    return (
        f"def generated({', '.join(f.inputs)}):\n"
        + domain_check_source(f, "    ")
        + f"    return {f.forward}\n"
    )


def _run_source(prim: Primitive) -> str:
    f = prim.formulas
    assert f is not None
    return (
        f"def generated({', '.join(f.inputs)}):\n"
        + domain_check_source(f, "    ")
        + f"    out = {f.forward}\n"
        + f"    return out, {', '.join(f.local)}\n"
    )


def row(
    name: str,
    inputs: str,
    forward: str,
    local: str,
    array: str,
    outside: str | None = None,
    error: Callable[..., Exception] | None = None,
    params: dict[str, float] | None = None,
) -> Primitive:
    """A row of the table, written as text: every formula once, as an expression.

    Args:
        name: what ``Value.op`` shows.
        inputs: the inputs' names, separated by spaces (``"a b"``).
        forward: the float forward (``"a * b"``).
        local: the local derivatives, a tuple of one expression per input, in the
            inputs, ``out`` and the namespace ``ops`` (``"(b, a)"``).
        array: the forward on arrays, in the inputs and ``np``.
        outside: where the op has no result, in the inputs, with operators that work
            on floats and arrays alike (``"b == 0"``).
        error: ``error(*inputs)``, the exception to raise there.
        params: a parametrised row's numbers, which the formulas may name.

    Example:
        >>> MUL.formulas.forward, MUL.formulas.local, MUL.run(2.0, 5.0)
        ('a * b', ('b', 'a'), (10.0, 5.0, 2.0))
    """
    names_in = tuple(inputs.split())
    args = ", ".join(names_in)
    names = {**FORMULA_NAMES, **(params or {})}
    terms = ast.parse(local, mode="eval").body
    assert isinstance(terms, ast.Tuple) and len(terms.elts) == len(names_in), local
    formulas = Formulas(
        names_in, forward, tuple(ast.unparse(t) for t in terms.elts), outside, names
    )
    return Primitive(
        name,
        eval(f"lambda {args}: {forward}", names),  # noqa: S307
        eval(f"lambda np, {args}: {array}", names),  # noqa: S307
        eval(f"lambda ops, {args}, out: {local}", names),  # noqa: S307
        None if outside is None else eval(f"lambda {args}: {outside}", names),  # noqa: S307
        error,
        params,
        formulas,
    )


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
    tanh = staticmethod(math.tanh)
    exp = staticmethod(_exp)
    sqrt = staticmethod(math.sqrt)
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


class ValueOps:
    """The functions a derivative formula may call, on Values (for higher order).

    Each calls the Value's own method or operator, so this namespace needs no import of
    the engine.
    At a singular point (sqrt'(0), 0 ** negative) the derivative is a constant inf,
    which has no derivative of its own, so there they return a float. They read the
    numbers through ``_data``, so that a traced function may take gradients too (the
    branch is then frozen at the traced sample; see :mod:`autograd_lite.compiler`).
    """

    @staticmethod
    def sin(x: Any) -> Any:
        return x.sin()

    @staticmethod
    def cos(x: Any) -> Any:
        return x.cos()

    @staticmethod
    def log(x: Any) -> Any:
        return x.log()

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return x.sigmoid()

    @staticmethod
    def exp(x: Any) -> Any:
        return x.exp()

    @staticmethod
    def tanh(x: Any) -> Any:
        return x.tanh()

    @staticmethod
    def sqrt(x: Any) -> Any:
        return x.sqrt()

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        if b._data == 0:  # a singular point (sqrt'(0)): the derivative is a constant inf
            return FLOAT_OPS.div(float(a), 0.0)
        return a / b

    @staticmethod
    def pow(a: Any, b: Any) -> Any:
        exponent = float(b)
        if a._data == 0 and exponent <= 0:  # singular at a zero base: constant
            return FLOAT_OPS.pow(0.0, exponent)
        return a**b

    @staticmethod
    def mul_log(out: Any, base: Any) -> Any:
        return 0.0 if out._data == 0 else out * base.log()

    @staticmethod
    def step(x: Any, below: float = 0.0) -> float:
        return FLOAT_OPS.step(x._data, below)

    @staticmethod
    def sign(x: Any) -> float:
        return FLOAT_OPS.sign(x._data)


VALUE_OPS = ValueOps


@lru_cache(maxsize=1)
def _numpy_ops() -> type:
    """The array namespace, made on first use so that the table itself needs no numpy."""
    import numpy as np

    class NumpyOps:
        """The functions a derivative formula may call, on arrays (like ``FloatOps``)."""

        sin = staticmethod(np.sin)
        cos = staticmethod(np.cos)
        log = staticmethod(np.log)
        exp = staticmethod(np.exp)
        tanh = staticmethod(np.tanh)
        sqrt = staticmethod(np.sqrt)

        @staticmethod
        def sigmoid(x: Any) -> Any:
            """1 / (1 + e^-x) without overflow, as ``FloatOps.sigmoid``."""
            return SIGMOID.array(np, x)

        @staticmethod
        def div(a: Any, b: Any) -> Any:
            """a / b; ±inf at b == 0 (nan for 0/0), as ``FloatOps.div``."""
            return np.divide(a, b)

        @staticmethod
        def pow(a: Any, b: Any) -> Any:
            """a ** b; +inf at 0 ** negative and ±inf on overflow, as ``FloatOps.pow``."""
            out = np.power(a, b)
            singular = (a == 0) & (b < 0)  # numpy gives -inf for (-0.0) ** -1; floats give inf
            return np.where(singular, np.inf, out) if np.any(singular) else out

        @staticmethod
        def mul_log(out: Any, base: Any) -> Any:
            """out * ln(base), taken as 0 where out is 0 (the base-0 case of x ** y)."""
            return np.where(out == 0, 0.0, out * np.log(base))

        @staticmethod
        def step(x: Any, below: float = 0.0) -> Any:
            """1 where x > 0, else ``below`` (nan counts as not > 0, as for floats)."""
            if below == 0:
                return np.greater(x, 0).astype(np.float64)
            return np.where(x > 0, 1.0, below)

        @staticmethod
        def sign(x: Any) -> Any:
            """1, -1 or 0, with 0 for nan (np.sign would give nan)."""
            return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))

    return NumpyOps


def __getattr__(name: str) -> Any:
    if name == "NUMPY_OPS":  # numpy is imported here, when the compiler first asks
        return _numpy_ops()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# The names a formula written as text may use besides its inputs, ``out`` and ``ops``.
FORMULA_NAMES: dict[str, Any] = {
    "math": math, "INF": INF, "float_pow": _float_pow, "exp": _exp, "sigmoid": _sigmoid,
    "softplus": _softplus, "array_sigmoid": _array_sigmoid, "array_softplus": _array_softplus,
    "array_pow": _array_pow,
}  # fmt: skip


# --- the table ----------------------------------------------------------------
# name, inputs, float forward, local derivatives, array forward, then the domain if there
# is one. Formulas receive the inputs, then the output ``out``, and return one local
# derivative per input. Constant tuples such as (1.0, 1.0) cost no allocation.

ADD = row("+", "a b", "a + b", "(1.0, 1.0)", "a + b")
SUB = row("-", "a b", "a - b", "(1.0, -1.0)", "a - b")
MUL = row("*", "a b", "a * b", "(b, a)", "a * b")
DIV = row(
    "/", "a b", "a / b", "(1 / b, -out / b)", "np.divide(a, b)",
    outside="b == 0",
    error=lambda a, b: ZeroDivisionError(f"/: division by zero ({_fmt(a)} / {_fmt(b)})"),
)  # fmt: skip
NEG = row("neg", "x", "-x", "(-1.0,)", "-x")
POW = row(
    "**", "a b", "float_pow(a, b)", "(b * ops.pow(a, b - 1), ops.mul_log(out, a))",
    "array_pow(np, a, b)",
    # d/d exponent = out * ln(base) needs a positive base (or 0 with a positive exponent)
    outside="(a < 0) | ((a == 0) & ((b <= 0) | (b != b)))",
    error=lambda a, b: ValueError(
        f"**: base {_fmt(a)} is negative; with a Value exponent the base must be positive "
        "(d/d exponent = out * ln(base))"
        if a < 0
        else f"**: base 0.0 with exponent {_fmt(b)}; with a Value exponent a zero base "
        "needs a positive exponent"
    ),
)  # fmt: skip
EXP = row("exp", "x", "exp(x)", "(out,)", "np.exp(x)")
LOG = row(
    "log", "x", "math.log(x)", "(1 / x,)", "np.log(x)",
    outside="x <= 0",
    error=lambda x: ValueError(f"log: argument must be positive, got {_fmt(x)}"),
)  # fmt: skip
TANH = row("tanh", "x", "math.tanh(x)", "(1 - out * out,)", "np.tanh(x)")
SIGMOID = row("sigmoid", "x", "sigmoid(x)", "(out * (1 - out),)", "array_sigmoid(np, x)")
SOFTPLUS = row("softplus", "x", "softplus(x)", "(ops.sigmoid(x),)", "array_softplus(np, x)")
RELU = row(
    "relu", "x", "0.0 if x <= 0 else x", "(ops.step(x),)",
    "np.maximum(x, 0.0)",  # as the float forward: relu(-0.0) is 0.0, relu(nan) nan
)  # fmt: skip
SIN = row(
    "sin", "x", "math.sin(x)", "(ops.cos(x),)", "np.sin(x)",
    outside="abs(x) == INF",
    error=lambda x: ValueError(f"sin: argument must be finite, got {_fmt(x)}"),
)  # fmt: skip
COS = row(
    "cos", "x", "math.cos(x)", "(-ops.sin(x),)", "np.cos(x)",
    outside="abs(x) == INF",
    error=lambda x: ValueError(f"cos: argument must be finite, got {_fmt(x)}"),
)  # fmt: skip
SQRT = row(
    "sqrt", "x", "math.sqrt(x)", "(ops.div(0.5, out),)", "np.sqrt(x)",
    outside="x < 0",
    error=lambda x: ValueError(f"sqrt: argument must be non-negative, got {_fmt(x)}"),
)  # fmt: skip
ABS = row("abs", "x", "abs(x)", "(ops.sign(x),)", "np.abs(x)")

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

    outside: str | None = None
    if fractional:
        outside = "x <= 0" if n < 0 else "x < 0"
    elif n < 0:
        outside = "x == 0"

    def error(x: float) -> Exception:
        if x < 0:
            return ValueError(
                f"**: negative base {_fmt(x)} with non-integer exponent {_fmt(n)} has no "
                "real result"
            )
        return ZeroDivisionError(f"**: 0.0 cannot be raised to the negative power {_fmt(n)}")

    return row(
        "**", "x", "float_pow(x, exponent)",
        "(0.0,)" if n == 0 else "(exponent * ops.pow(x, exponent - 1),)",
        # numpy takes x ** 0.5 as sqrt, which keeps -0.0; Python's pow gives +0.0 there.
        "np.power(x, exponent) + 0.0" if fractional else "np.power(x, exponent)",
        outside,
        error if outside is not None else None,
        {"exponent": n},
    )  # fmt: skip


@lru_cache(maxsize=256)
def leaky_relu(slope: float) -> Primitive:
    """``x`` for x > 0, else ``slope * x``; the derivative at 0 is ``slope`` (as PyTorch)."""
    return row(
        "leaky_relu", "x", "x if x > 0 else slope * x", "(ops.step(x, slope),)",
        "np.where(x > 0, x, slope * x)", params={"slope": slope},
    )  # fmt: skip


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

    __slots__ = ("binary", "number_first", "name", "params", "run")

    def __init__(self, binary: Primitive, number_first: bool) -> None:
        self.binary = binary
        self.number_first = number_first
        self.name = binary.name
        self.params: dict[str, float] = {}
        self.run: Callable[[float, float], tuple[float, Any]] = _generated(
            _with_number_run_source(binary, number_first), binary
        )

    identity: Any = None  # (as Primitive's)

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


def _with_number_run_source(binary: Primitive, number_first: bool) -> str:
    """``run(x, number) -> (out, local)`` for the Value operand x, from the binary row."""
    f = binary.formulas
    assert f is not None
    a, b = f.inputs
    operands = f"{a} = number; {b} = x" if number_first else f"{a} = x; {b} = number"
    return (
        "def generated(x, number):\n"
        f"    {operands}\n"
        + domain_check_source(f, "    ")
        + f"    out = {f.forward}\n"
        + f"    return out, {f.local[1 if number_first else 0]}\n"
    )


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
