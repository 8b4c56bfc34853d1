"""Bad input gets a clear error naming the op and the value."""

from __future__ import annotations

import pytest

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
