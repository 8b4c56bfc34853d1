"""Value's operators and functions are generated from the table's text (engine.py, 3b):
each gives exactly what the plain version it replaces gives, numbers, slots and errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, no_grad
from autograd_lite import primitives as P
from autograd_lite.engine import _GENERATED_BINARY, _GENERATED_UNARY

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5]),
    st.integers(-5, 5),
)


def outcome(make):
    """What a maker gives: the node's slots (as reprs, so nan and -0.0 compare), or its error."""
    try:
        node = make()
    except Exception as e:  # noqa: BLE001 - the error is part of what is compared
        return (type(e), str(e))
    return (
        repr(node.data), node.op, node.primitive, repr(node.number),
        [repr(x) for x in node.local_grads], [id(p) for p in node.parents], type(node),
    )  # fmt: skip


@pytest.mark.parametrize("method, prim, reflected", _GENERATED_BINARY, ids=lambda x: str(x))
@settings(max_examples=60, deadline=None)
@given(a=numbers, b=numbers)
def test_binary_operators_equal_their_plain_versions(method, prim, reflected, a, b):
    generated = getattr(Value, method)
    plain = generated.plain
    x, y = Value(float(a)), Value(float(b))
    assert outcome(lambda: generated(x, y)) == outcome(lambda: plain(x, y))
    assert outcome(lambda: generated(x, b)) == outcome(lambda: plain(x, b))
    with no_grad():
        assert outcome(lambda: generated(x, b)) == outcome(lambda: plain(x, b))


@pytest.mark.parametrize("method, prim", _GENERATED_UNARY, ids=lambda x: str(x))
@settings(max_examples=60, deadline=None)
@given(a=numbers)
def test_unary_functions_equal_their_plain_versions(method, prim, a):
    generated = getattr(Value, method)
    x = Value(float(a))
    assert outcome(lambda: generated(x)) == outcome(lambda: generated.plain(x))


def test_every_generated_method_keeps_its_docstring_and_name():
    for method, *_ in (*_GENERATED_BINARY, *_GENERATED_UNARY):
        generated = getattr(Value, method)
        assert generated.__name__ == method
        assert generated.__doc__ == generated.plain.__doc__


def test_an_int_beyond_a_float_names_the_op():
    with pytest.raises(ValueError, match=r"\*: an int of about 401 digits"):
        Value(1.0) * 10**400
    with pytest.raises(ValueError, match=r"-: an int of about 401 digits"):
        10**400 - Value(1.0)


def test_a_row_runs_its_forward_domain_and_derivatives_in_one_call():
    assert P.DIV.run(1.0, 4.0) == (0.25, 0.25, -0.0625)
    assert P.NUMBER_FIRST[P.SUB].run(3.0, 10.0) == (7.0, -1.0)
    assert P.pow_by_constant(-0.5).run(4.0) == (0.5, -0.0625)
    with pytest.raises(ValueError, match=r"log: argument must be positive, got -1.0"):
        P.LOG.run(-1.0)
    assert P.TANH.formulas.local == ("1 - out * out",)
    assert math.isclose(P.TANH.run(0.5)[1], 1 - math.tanh(0.5) ** 2)


def test_a_generated_method_pickles_by_its_name_on_value():
    import pickle

    assert pickle.loads(pickle.dumps(Value.tanh)) is Value.tanh
    assert pickle.loads(pickle.dumps(Value.__add__)) is Value.__add__
