"""A safe parser for little math expressions such as ``"tanh(x*w + b)"``.

The text is parsed with :mod:`ast` (which only reads it: nothing runs) and then every
node of the tree is checked against a short whitelist before anything is evaluated:

* numbers (int or float literals) and the names you supply;
* ``+ - * / **`` and unary ``-``/``+``;
* calls, by bare name, of the engine's functions (``exp log tanh sigmoid softplus relu
  sin cos sqrt abs leaky_relu``)
  (``leaky_relu(x, 0.1)`` takes an optional constant slope).

Anything else, an attribute, a subscript, a lambda, a comprehension, another function,
is an :class:`ExpressionError`. User text never reaches ``eval`` or ``compile``.
Numbers are floats from the start, so ``2**10**10`` never makes Python compute a big
integer; parts made only of numbers are folded through the engine's own ops, so they
follow the same rules as Values (``0 ** -1`` raises), and a constant part that
overflows to ``inf`` is refused.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from .. import primitives as P
from ..engine import Value, no_grad

MAX_LENGTH = 1000  # characters
MAX_NODES = 500  # syntax tree nodes
MAX_DEPTH = 200  # nesting (a sum of n terms nests n deep); bounds the recursion

# The engine's elementary functions, as the table names them.
FUNCTIONS: dict[str, Callable[..., Value]] = {name: getattr(Value, name) for name in P.FUNCTIONS}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_SYMBOLS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}  # fmt: skip
_KINDS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: ":=",
    ast.JoinedStr: "f-strings",
    ast.Starred: "* unpacking",
}
_ALLOWED = "numbers, names, + - * / **, and calls of " + " ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """The text is not an expression this parser accepts; the message says why."""


def parse_expression(text: str, names: Mapping[str, Value | float]) -> Value:
    """Build the graph of the expression ``text`` over the given names.

    Args:
        text: e.g. ``"tanh(x*w + b)"``; at most ``MAX_LENGTH`` characters.
        names: the value of each name the text may use: a Value (used as it is, so
            its ``.grad`` is filled by a backward pass) or a number (made into a
            Value labelled with its name).

    Returns:
        The Value of the expression (a new leaf if it holds no name at all).

    Raises:
        ExpressionError: for anything outside the whitelist, an unknown name, a
            syntax error, or text that is too long or too deeply nested.
        ValueError, ZeroDivisionError: for a domain error while evaluating it,
            e.g. ``log(0)``, as the engine reports it.
    """
    tree = _parse(text)
    _check(tree, text, names)
    values = {k: v if isinstance(v, Value) else Value(v, label=k) for k, v in names.items()}
    result = _evaluate(tree.body, values, text)
    return result if isinstance(result, Value) else Value(result)


def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(text):,} characters; the limit is {MAX_LENGTH})"
        )
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"syntax error{where}: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, deep nesting
        raise ExpressionError(f"cannot parse the expression: {e}") from None


def _snippet(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text.strip(), node) or ""
    return segment if len(segment) <= 40 else segment[:37] + "..."


def _check(tree: ast.Expression, text: str, names: Mapping[str, object]) -> None:
    """Reject the tree unless every node is on the whitelist (an iterative walk)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression is too big (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (more than {MAX_DEPTH})")
        where = f" in {_snippet(text, node)!r}"
        children: list[ast.AST]
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r}")
            children = []
        elif isinstance(node, ast.Name):
            if node.id not in names:
                known = ", ".join(sorted(names)) or "none"
                raise ExpressionError(
                    f"unknown name {node.id!r}; give its value as {node.id}=NUMBER (known: {known})"
                )
            children = []
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
                raise ExpressionError(f"operator {symbol} is not supported{where}; use + - * / **")
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
                raise ExpressionError(f"operator {symbol} is not supported{where}")
            children = [node.operand]
        elif isinstance(node, ast.Call):
            _check_call(node, where)
            children = list(node.args)
        else:
            kind = _KINDS.get(type(node), type(node).__name__)
            raise ExpressionError(f"{kind} not allowed{where}; allowed: {_ALLOWED}")
        stack.extend((child, depth + 1) for child in children)


def _check_call(node: ast.Call, where: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only functions called by bare name are allowed{where}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}{where}; allowed: {' '.join(FUNCTIONS)}")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError(f"{name} takes plain arguments, no keywords or *{where}")
    most = 2 if name == "leaky_relu" else 1
    if not 1 <= len(node.args) <= most:
        wanted = "1 or 2 arguments" if most == 2 else "1 argument"
        raise ExpressionError(f"{name} takes {wanted}, got {len(node.args)}{where}")


def _evaluate(node: ast.expr, values: Mapping[str, Value], text: str) -> Value | float:
    """The node's value: a float while it involves only numbers, else a Value.

    Recursion is safe here: ``_check`` has bounded the depth.
    """
    if isinstance(node, ast.Constant):
        number: int | float = node.value  # type: ignore[assignment]  # _check made sure
        try:
            result = float(number)
        except OverflowError:
            result = math.inf
        if math.isinf(result):
            raise ExpressionError(f"the number {_snippet(text, node)} is too large for a float")
        return result
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        a = _evaluate(node.left, values, text)
        b = _evaluate(node.right, values, text)
        op = _BINARY[type(node.op)]
        if isinstance(a, Value) or isinstance(b, Value):
            return op(a, b)
        return _fold(node, text, op, a, b)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # guaranteed by _check
        fn = FUNCTIONS[node.func.id]
        x = _evaluate(node.args[0], values, text)
        extra = [_evaluate(arg, values, text) for arg in node.args[1:]]
        if any(isinstance(e, Value) for e in extra):
            raise ExpressionError(f"the slope of {node.func.id} must be a number, not a name")
        if isinstance(x, Value):
            return fn(x, *extra)
        return _fold(node, text, lambda v: fn(v, *extra), x)
    raise ExpressionError(f"{type(node).__name__} not allowed")  # unreachable after _check


def _fold(node: ast.expr, text: str, op: Callable[..., Any], *numbers: float) -> float:
    """Apply ``op`` to numbers through the engine's ops, giving a finite float.

    A part made only of numbers that overflows (``2**10**10**10``) is refused: it is
    almost surely a mistake, and refusing it keeps ``inf`` out of the constants.
    """
    with no_grad():
        result = float(op(Value(numbers[0]), *numbers[1:]).data)
    if math.isinf(result):
        raise ExpressionError(f"the constant part {_snippet(text, node)!r} overflows a float")
    return result
