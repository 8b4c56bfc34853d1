"""checks: every argument check names the function, the argument and the value."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import Value, arguments
from autograd_lite.support import checks


@pytest.mark.parametrize("module_name", ["support.checks", "nn.checkpoint", "viz.drawing"])
def test_docstring_examples_run(module_name):
    import importlib

    module = importlib.import_module(f"autograd_lite.{module_name}")
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0


# --- real_number: what Value accepts ------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(3, 3.0), (-2.5, -2.5), (True, 1.0), (np.float32(0.5), 0.5), (np.int64(7), 7.0)],
)
def test_real_number_accepts_what_value_accepts(value, expected):
    x = checks.real_number(value, "f", "x")
    assert type(x) is float and x == expected


def test_real_number_keeps_nan_and_inf():
    assert math.isnan(checks.real_number(float("nan"), "f", "x"))
    assert checks.real_number(-math.inf, "f", "x") == -math.inf


@pytest.mark.parametrize("value", ["1.5", None, 1j, [1.0], Value(1.0)])
def test_real_number_refuses_other_types_naming_everything(value):
    with pytest.raises(TypeError) as info:
        checks.real_number(value, "hessian", "xs[2]")
    message = str(info.value)
    assert message.startswith("hessian: xs[2] must be a real number (")
    assert type(value).__name__ in message


@pytest.mark.parametrize("big", [10**400, -(10**400), 2**1024])
def test_an_int_beyond_float_range_is_a_value_error_not_an_overflow_error(big):
    for check in (checks.real_number, checks.finite_number, checks.non_negative_number):
        with pytest.raises(ValueError, match=r"^SGD: lr .*an? (negative )?int of about \d+ digits"):
            check(big, "SGD", "lr")


def test_a_huge_int_is_described_without_printing_it():
    # str() of an int this size raises ValueError in Python 3.11+; describe must not try
    assert checks.describe(10**100_000) == "an int of about 100001 digits"
    assert checks.describe(-(2**1024)) == "a negative int of about 309 digits"
    assert checks.describe(12) == "12"
    assert len(checks.describe("x" * 10_000)) < 80


# --- finite numbers -----------------------------------------------------------------


def test_finite_number_ranges_and_messages():
    assert checks.finite_number(0, "SGD", "momentum", at_least=0, below=1) == 0.0
    with pytest.raises(ValueError, match=r"^SGD: momentum must be a finite number in \[0, 1\), "):
        checks.finite_number(1, "SGD", "momentum", at_least=0, below=1)
    with pytest.raises(ValueError, match=r"^f: x must be a finite number > 0, got 0.0$"):
        checks.positive_number(0.0, "f", "x")
    with pytest.raises(ValueError, match=r"^f: x must be a finite number < 2, got 2.0$"):
        checks.finite_number(2, "f", "x", below=2)
    with pytest.raises(ValueError, match=r"^f: x must be a finite number, got nan$"):
        checks.finite_number(float("nan"), "f", "x")
    with pytest.raises(ValueError, match=r"^f: x must be a finite number >= 0, got inf$"):
        checks.non_negative_number(math.inf, "f", "x")


@pytest.mark.parametrize("value", [True, False, "0.1", None, [0.1]])
def test_settings_refuse_bools_and_non_numbers(value):
    with pytest.raises(TypeError, match=r"^Adam: eps must be a number, got "):
        checks.non_negative_number(value, "Adam", "eps")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e300))
def test_non_negative_finite_floats_come_back_unchanged(x):
    assert checks.non_negative_number(x, "f", "x") == x


# --- ints ---------------------------------------------------------------------------


def test_positive_int_messages():
    assert checks.positive_int(np.int64(5), "fit", "epochs") == 5
    with pytest.raises(ValueError, match=r"^fit: epochs must be at least 1, got 0$"):
        checks.positive_int(0, "fit", "epochs")
    with pytest.raises(TypeError, match=r"^fit: epochs must be an int, got float 2.0$"):
        checks.positive_int(2.0, "fit", "epochs")
    with pytest.raises(TypeError, match=r"^fit: epochs must be an int, got bool True$"):
        checks.positive_int(True, "fit", "epochs")
    with pytest.raises(ValueError, match=r"^f: k must be at most 3, got 4$"):
        checks.positive_int(4, "f", "k", at_most=3)
    with pytest.raises(ValueError, match=r"must be at most 3, got an int of about 401 digits"):
        checks.positive_int(10**400, "f", "k", at_most=3)
    with pytest.raises(ValueError, match=r"^f: seed must be at least 0, got -1$"):
        checks.non_negative_int(-1, "f", "seed")


# --- choices, callables, lists of Values --------------------------------------------


def test_one_of_compares_type_and_value():
    assert checks.one_of("LR", "draw_dot", "rankdir", ("LR", "TB")) == "LR"
    with pytest.raises(ValueError, match=r"^draw_dot: rankdir must be one of 'LR', 'TB', got 'XY'"):
        checks.one_of("XY", "draw_dot", "rankdir", ("LR", "TB"))
    with pytest.raises(ValueError, match="got array"):  # compared without numpy's ==
        checks.one_of(np.array(["LR", "TB"]), "draw_dot", "rankdir", ("LR", "TB"))


def test_callable_():
    f = len
    assert checks.callable_(f, "hessian", "fn") is f
    with pytest.raises(TypeError, match=r"^hessian: fn must be callable .*got str$"):
        checks.callable_("x**2", "hessian", "fn")


def test_value_list():
    a, b = Value(1.0), Value(2.0)
    assert arguments.value_list((a, b), "l2", "params") == [a, b]
    with pytest.raises(TypeError, match=r"single Value \(write \[x\], not x\)"):
        arguments.value_list(a, "l2", "params")
    with pytest.raises(TypeError, match=r"^l2: params\[1\] must be a Value, got float$"):
        arguments.value_list([a, 2.0], "l2", "params")
    with pytest.raises(TypeError, match=r"^l2: params must be a list of Values, got int$"):
        arguments.value_list(3, "l2", "params")
    with pytest.raises(TypeError, match="got str"):
        arguments.value_list("ab", "l2", "params")
