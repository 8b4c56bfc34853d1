"""parse_expression: a whitelist parser that builds Value graphs, never eval."""

from __future__ import annotations

import math

import pytest

from autograd_lite import Value
from autograd_lite.cli.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    parse_expression,
)
from conftest import central_difference


def test_neuron_value_and_gradients():
    names = {"x": 2.0, "w": -3.0, "b": 6.88}
    out = parse_expression("tanh(x*w + b)", names)
    assert out.data == pytest.approx(math.tanh(2 * -3 + 6.88))
    out.backward()
    leaves = {v.label: v for v in _leaves(out)}
    assert set(leaves) == {"x", "w", "b"}
    for name, leaf in leaves.items():

        def f(t, name=name):
            env = {**names, name: t}
            return math.tanh(env["x"] * env["w"] + env["b"])

        assert leaf.grad == pytest.approx(central_difference(f, names[name]), rel=1e-6)


def _leaves(v: Value) -> list[Value]:
    seen, stack, leaves = set(), [v], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.parents:
            leaves.append(node)
        stack.extend(node.parents)
    return [leaf for leaf in leaves if leaf.label]


def test_given_values_are_used_as_they_are():
    x = Value(3.0, label="x")
    out = parse_expression("x*x + 1", {"x": x})
    out.backward()
    assert x.grad == 6.0


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        ("2*3*x", 2.0, 12.0),
        ("x**2", -3.0, 9.0),  # a constant exponent: negative bases work
        ("x**-2", 2.0, 0.25),
        ("2**x", 3.0, 8.0),
        ("-x + +x - -x", 5.0, 5.0),
        ("x / 4 - 1", 2.0, -0.5),
        ("(1/3)*x", 3.0, 1.0),
        ("leaky_relu(x, 0.1)", -2.0, -0.2),
        ("leaky_relu(x)", -2.0, -0.02),
        ("exp(0) + x", 1.0, 2.0),
        ("  x  ", 7.0, 7.0),
    ],
)
def test_arithmetic(text, x, expected):
    assert parse_expression(text, {"x": x}).data == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_calls_the_value_method(name):
    x = 0.7
    out = parse_expression(f"{name}(x)", {"x": x})
    assert out.op == name
    assert out.data == pytest.approx(getattr(Value(x), name)().data)


def test_an_expression_of_numbers_only_is_a_leaf():
    out = parse_expression("2 * 3 + 1", {})
    assert (out.data, out.parents) == (7.0, ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('touch X')", "bare name"),
        ("__import__('os')", "unknown function '__import__'"),
        ("open('X', 'w')", "unknown function 'open'"),
        ("x.__class__", "attribute access"),
        ("(x).real", "attribute access"),
        ("lambda: 1", "lambda"),
        ("[i for i in (1, 2)]", "comprehensions"),
        ("sum(i for i in (1, 2))", "unknown function 'sum'"),
        ("x[0]", "subscripts"),
        ("x < 2", "comparisons"),
        ("x and 1", "and/or"),
        ("x if x else 1", "if/else"),
        ("(y := 3)", ":="),
        ("f'{x}'", "f-strings"),
        ("'os'", "only numbers"),
        ("b'x'", "only numbers"),
        ("True", "only numbers"),
        ("None", "only numbers"),
        ("1j", "only numbers"),
        ("...", "only numbers"),
        ("(x, x)", "Tuple not allowed"),
        ("[x]", "List not allowed"),
        ("{x: 1}", "Dict not allowed"),
        ("x // 2", "operator // is not supported"),
        ("x % 2", "operator % is not supported"),
        ("x @ x", "operator @ is not supported"),
        ("~x", "operator ~ is not supported"),
        ("not x", "operator not is not supported"),
        ("exp(x=1)", "no keywords"),
        ("exp(*[x])", "no keywords or \\*"),
        ("exp()", "exp takes 1 argument, got 0"),
        ("exp(x, x)", "exp takes 1 argument, got 2"),
        ("leaky_relu(x, x)", "slope of leaky_relu must be a number"),
        ("x(2)", "unknown function 'x'"),
        ("exp", "unknown name 'exp'"),
        ("y + 1", "unknown name 'y'; give its value as y=NUMBER"),
        ("tanh(x", "syntax error"),
        ("x +", "syntax error"),
        ("x = 1", "syntax error"),
        ("x\x00", "cannot parse|syntax error"),
        ("", "empty"),
        ("2**10**10", "overflows a float"),
        ("2**10**10**10", "overflows a float"),
        ("exp(1000) * x", "overflows a float"),
        ("1e400 * x", "too large for a float"),
        ("1" * 400 + " * x", "too large for a float"),
    ],
)
def test_anything_outside_the_whitelist_is_refused(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, {"x": 1.0})


def test_refusal_happens_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ("__import__('os').system('touch X')", "open('X', 'w').write('1')"):
        with pytest.raises(ExpressionError):
            parse_expression(text, {"x": 1.0})
    assert list(tmp_path.iterdir()) == []


def test_size_limits():
    with pytest.raises(ExpressionError, match="too long"):
        parse_expression("x+" * MAX_LENGTH + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * (MAX_DEPTH + 5) + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="too big"):
        parse_expression("+".join(["x*x"] * 130), {"x": 1.0})  # 4 nodes a term
    # Just under the limits is fine, and a long sum is no problem.
    assert parse_expression("-" * (MAX_DEPTH - 2) + "x", {"x": 1.0}).data == 1.0
    assert parse_expression("+".join(["x*x"] * 120), {"x": 1.0}).data == 120.0


def test_domain_errors_come_from_the_engine():
    with pytest.raises(ValueError, match="log"):
        parse_expression("log(x)", {"x": 0.0})
    with pytest.raises(ZeroDivisionError):
        parse_expression("1 / x", {"x": 0.0})
    with pytest.raises(ZeroDivisionError):
        parse_expression("0 ** -1 + x", {"x": 1.0})  # folded by the engine's own pow
    assert not isinstance(ValueError("log"), ExpressionError)
