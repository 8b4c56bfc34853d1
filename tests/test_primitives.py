"""The table of primitives: one formula per op drives every kind of backward."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite import primitives as P


def test_every_op_name_of_the_contract_is_in_the_table():
    names = set(P.UNARY) | set(P.BINARY)
    names |= {P.pow_by_constant(2.0).name, P.leaky_relu(0.01).name}
    contract = "+ * ** exp log tanh sigmoid relu leaky_relu sin cos sqrt abs".split()
    assert set(contract) <= names


def test_one_formula_drives_the_float_the_graph_the_compiled_and_the_forward_derivative(
    monkeypatch,
):
    # Replace tanh's local derivative with a wrong one, written once as text: every kind
    # of derivative follows it, which shows there is no second copy of the formula
    # anywhere (the generated Value.tanh is made again from the patched row).
    from autograd_lite import engine

    wrong = P.row("tanh", "x", P.TANH.formulas.forward, "(out * 7,)", "np.tanh(x)")
    for slot in ("local", "run", "formulas", "forward"):
        monkeypatch.setattr(P.TANH, slot, getattr(wrong, slot))
    for method in ("tanh", *(m for m, _ in engine._GENERATED_UNARY)):
        monkeypatch.setattr(Value, method, Value.__dict__[method])  # restored afterwards
    engine._install_generated_methods()
    x = Value(0.5)
    y = x.tanh()
    y.backward()
    assert x.grad == pytest.approx(7 * math.tanh(0.5))
    (as_value,) = ag.grad(y, [x], create_graph=True)
    assert as_value.data == pytest.approx(7 * math.tanh(0.5))
    compiled = ag.compile(lambda v: v[0].tanh(), 1, fuse=False)
    _, dX = compiled.backward(np.array([[0.5], [0.25]]), np.ones(2))
    assert dX[:, 0] == pytest.approx(7 * np.tanh([0.5, 0.25]))
    assert ag.Dual(0.5, 1.0).tanh().tangent == pytest.approx(7 * math.tanh(0.5))


def test_one_forward_and_one_domain_serve_floats_and_arrays(monkeypatch):
    # A row's domain predicate is checked by the float forward and by the array forward.
    monkeypatch.setattr(P.LOG, "outside", lambda x: x <= 1)  # pretend log needs x > 1
    compiled = ag.compile(lambda v: v[0].log(), 1)
    with pytest.raises(ValueError, match=r"log: argument must be positive, got 0.5 \(row 1\)"):
        compiled(np.array([[2.0], [0.5]]))


def test_locals_are_recorded_in_the_forward_pass():
    x = Value(0.3)
    y = x.sin()
    assert y.local_grads == (math.cos(0.3),)
    assert y.primitive is P.SIN
    a, b = Value(2.0), Value(5.0)
    assert (a * b).local_grads == (5.0, 2.0)


def test_parametrised_primitives_are_shared_and_carry_their_parameters():
    assert P.pow_by_constant(3.0) is P.pow_by_constant(3.0)
    assert P.pow_by_constant(3.0).params == {"exponent": 3.0}
    assert P.leaky_relu(0.2).params == {"slope": 0.2}
    assert (Value(2.0) ** 3).primitive.params == {"exponent": 3.0}
    assert "exponent=3.0" in repr(P.pow_by_constant(3.0))
