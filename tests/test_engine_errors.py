"""Bad input gets a clear error naming the op and the value."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, [1.0], (1,), {"x": 1}, object()])
def test_non_numbers_raise_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_a_value_is_not_a_valid_leaf_input():
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, [1.0]])
def test_arithmetic_with_non_numbers_raises_type_error(bad):
    v = Value(1.0)
    for op in (
        lambda: v + bad,
        lambda: bad + v,
        lambda: v * bad,
        lambda: bad - v,
        lambda: v / bad,
        lambda: v**bad,
        lambda: v < bad,
    ):
        with pytest.raises(TypeError):
            op()


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(0).log(), ValueError, ["log", "0.0"]),
        (lambda: Value(-2.5).log(), ValueError, ["log", "-2.5"]),
        (lambda: Value(-1).sqrt(), ValueError, ["sqrt", "-1.0"]),
        (lambda: Value(0) ** -1, ZeroDivisionError, ["**", "-1"]),
        (lambda: Value(3.0) / Value(0), ZeroDivisionError, ["/", "3.0", "0.0"]),
        (lambda: Value(3.0) / 0, ZeroDivisionError, ["/", "3.0"]),
        (lambda: 1 / Value(0.0), ZeroDivisionError, ["/", "0.0"]),
        (lambda: Value(-8) ** (1 / 3), ValueError, ["**", "-8.0"]),
        (lambda: Value(-8) ** Value(2.0), ValueError, ["**", "-8.0", "negative"]),
        (lambda: (-2) ** Value(0.5), ValueError, ["**", "-2.0"]),
        (lambda: Value(0.0) ** Value(-1.0), ValueError, ["**", "0.0"]),
        (lambda: Value(float("inf")).sin(), ValueError, ["sin", "inf"]),
        (lambda: Value(float("-inf")).cos(), ValueError, ["cos", "-inf"]),
    ],
)
def test_domain_errors_name_the_op_and_value(make, error, words):
    with pytest.raises(error) as info:
        make()
    message = str(info.value)
    for word in words:
        assert word in message


def test_results_are_real_never_complex():
    assert isinstance((Value(-8.0) ** 3).data, float)
    assert (Value(-8.0) ** 2.0).data == 64.0
    assert (Value(-2.0) ** -1).data == -0.5


def test_backward_rejects_a_non_number_seed():
    with pytest.raises(TypeError, match="str"):
        Value(1.0).backward("1")


# --- numbers beyond the range of a float (10**400): named errors, never OverflowError ---

HUGE = 10**400


@pytest.mark.parametrize(
    "action, words",
    [
        (lambda: Value(HUGE), "Value: an int of about 401 digits"),
        (lambda: Value(1.0) + HUGE, r"\+: an int of about 401 digits"),
        (lambda: HUGE - Value(1.0), "-: an int of about 401 digits"),
        (lambda: Value(1.0) * -HUGE, r"\*: a negative int of about 401 digits"),
        (lambda: HUGE / Value(1.0), "/: an int of about 401 digits"),
        (lambda: Value(2.0) ** HUGE, r"\*\*: an int of about 401 digits"),
        (lambda: Value(1.0).backward(grad=HUGE), "backward: grad: an int of about 401 digits"),
        (lambda: Value(1.0).leaky_relu(HUGE), "leaky_relu: slope"),
    ],
)
def test_an_int_beyond_float_range_is_a_value_error_naming_where(action, words):
    with pytest.raises(ValueError, match=words):
        action()


def test_setting_data_beyond_float_range_names_data_and_keeps_the_old_number():
    v = Value(3.0)
    with pytest.raises(ValueError, match=r"Value\.data: an int of about 401 digits"):
        v.data = HUGE
    assert v.data == 3.0


def test_comparisons_with_huge_ints_answer_as_python_does():
    v = Value(2.0)
    assert (v < HUGE, v <= HUGE, v > -HUGE, v >= HUGE) == (True, True, True, False)
    assert (HUGE > v) is True


# --- x ** 0 is the constant 1: its derivative is 0 everywhere, also at x = 0 ---------


def test_the_derivative_of_x_to_the_zero_is_zero_at_zero_in_every_engine_path():
    x = Value(0.0)
    assert ag.grad(x**0, [x]) == [0.0]
    (dx,) = ag.grad(x**0 + x**2, [x], create_graph=True)
    assert dx.data == 0.0 and ag.grad(dx, [x]) == [2.0]
    polynomial = ag.compile(lambda v: v[0] ** 0 * 3 + v[0] ** 2, 1)
    _, dX = polynomial.backward(np.array([[0.0], [1.0]]), np.ones(2))
    assert dX[:, 0].tolist() == [0.0, 2.0]


def test_the_cli_differentiates_a_polynomial_with_a_constant_term_at_zero(tmp_path, capsys):
    from autograd_lite import cli

    assert cli.main(["graph", "x**0 + 3*x", "x=0", "-o", str(tmp_path / "g.svg")]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out and "3" in out
