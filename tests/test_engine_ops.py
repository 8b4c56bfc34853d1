"""Every op: its value and derivative against a hand-derived formula and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value
from conftest import central_difference

# (name, apply to a Value, the float function, its derivative derived by hand, points)
UNARY_CASES = [
    ("exp", lambda v: v.exp(), math.exp, math.exp, [-2.0, 0.0, 0.7, 3.0]),
    ("log", lambda v: v.log(), math.log, lambda x: 1 / x, [0.1, 1.0, 2.5, 40.0]),
    (
        "tanh",
        lambda v: v.tanh(),
        math.tanh,
        lambda x: 1 - math.tanh(x) ** 2,
        [-3.0, -0.5, 0.0, 2.0],
    ),
    (
        "sigmoid",
        lambda v: v.sigmoid(),
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
        [-4.0, -0.3, 0.0, 1.5, 6.0],
    ),
    (
        "relu",
        lambda v: v.relu(),
        lambda x: max(x, 0.0),
        lambda x: 1.0 if x > 0 else 0.0,
        [-2.0, -0.1, 0.3, 5.0],
    ),
    (
        "leaky_relu",
        lambda v: v.leaky_relu(),
        lambda x: x if x > 0 else 0.01 * x,
        lambda x: 1.0 if x > 0 else 0.01,
        [-2.0, -0.1, 0.3, 5.0],
    ),
    (
        "leaky_relu",
        lambda v: v.leaky_relu(0.2),
        lambda x: x if x > 0 else 0.2 * x,
        lambda x: 1.0 if x > 0 else 0.2,
        [-2.0, 0.3],
    ),
    ("sin", lambda v: v.sin(), math.sin, math.cos, [-2.0, 0.0, 1.0, 4.0]),
    ("cos", lambda v: v.cos(), math.cos, lambda x: -math.sin(x), [-2.0, 0.0, 1.0, 4.0]),
    ("sqrt", lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.01, 1.0, 9.0]),
    ("abs", lambda v: v.abs(), abs, lambda x: math.copysign(1.0, x), [-3.0, -0.2, 0.5]),
    ("abs", lambda v: abs(v), abs, lambda x: math.copysign(1.0, x), [-3.0, 0.5]),
    ("**", lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, [-2.0, 0.0, 1.5]),
    ("**", lambda v: v**-2, lambda x: x**-2, lambda x: -2 * x**-3, [-2.0, 0.5, 3.0]),
    ("**", lambda v: v**0.5, lambda x: x**0.5, lambda x: 0.5 * x**-0.5, [0.25, 4.0]),
    ("**", lambda v: v**0, lambda x: 1.0, lambda x: 0.0, [-1.0, 2.0]),
]


@pytest.mark.parametrize(
    "name, apply, f, df, points",
    UNARY_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(UNARY_CASES)],
)
def test_unary_value_and_derivative(name, apply, f, df, points):
    for x in points:
        v = Value(x)
        out = apply(v)
        assert out.op == name
        assert out.parents == (v,)
        assert out.data == pytest.approx(f(x), rel=1e-12, abs=1e-15)
        out.backward()
        assert v.grad == pytest.approx(df(x), rel=1e-12, abs=1e-15)
        numeric = central_difference(lambda t: apply(Value(t)).data, x)
        assert v.grad == pytest.approx(numeric, rel=1e-5, abs=1e-6)


# (name, apply to two Values, float function, (d/da, d/db) by hand, points)
BINARY_CASES = [
    ("+", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    ("-", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    ("*", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    ("/", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    (
        "**",
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
    ),
]
BINARY_POINTS = [(1.5, 2.0), (0.3, -1.7), (4.0, 0.5), (2.0, 3.0)]


@pytest.mark.parametrize("name, apply, f, df", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
@pytest.mark.parametrize("x, y", BINARY_POINTS)
def test_binary_value_and_derivatives(name, apply, f, df, x, y):
    a, b = Value(x), Value(y)
    out = apply(a, b)
    assert out.parents == (a, b)
    assert out.data == pytest.approx(f(x, y), rel=1e-12)
    out.backward()
    da, db = df(x, y)
    assert a.grad == pytest.approx(da, rel=1e-12)
    assert b.grad == pytest.approx(db, rel=1e-12)
    assert a.grad == pytest.approx(central_difference(lambda t: f(t, y), x), rel=1e-5)
    assert b.grad == pytest.approx(central_difference(lambda t: f(x, t), y), rel=1e-5)


@pytest.mark.parametrize(
    "apply, f, dfdx",
    [
        (lambda n, v: n + v, lambda n, x: n + x, lambda n, x: 1.0),
        (lambda n, v: v + n, lambda n, x: x + n, lambda n, x: 1.0),
        (lambda n, v: n - v, lambda n, x: n - x, lambda n, x: -1.0),
        (lambda n, v: v - n, lambda n, x: x - n, lambda n, x: 1.0),
        (lambda n, v: n * v, lambda n, x: n * x, lambda n, x: n),
        (lambda n, v: v * n, lambda n, x: x * n, lambda n, x: n),
        (lambda n, v: n / v, lambda n, x: n / x, lambda n, x: -n / x**2),
        (lambda n, v: v / n, lambda n, x: x / n, lambda n, x: 1 / n),
        (lambda n, v: n**v, lambda n, x: n**x, lambda n, x: n**x * math.log(n)),
        (lambda n, v: v**n, lambda n, x: x**n, lambda n, x: n * x ** (n - 1)),
        (lambda n, v: -v, lambda n, x: -x, lambda n, x: -1.0),
        (lambda n, v: +v, lambda n, x: x, lambda n, x: 1.0),
    ],
)
@pytest.mark.parametrize("number", [2, 3.5, np.float64(1.25), np.int32(3)])
def test_numbers_on_either_side(apply, f, dfdx, number):
    x = 1.7
    v = Value(x)
    out = apply(number, v)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(f(float(number), x), rel=1e-12)
    out.backward()
    assert v.grad == pytest.approx(dfdx(float(number), x), rel=1e-12)


def test_reused_node_gets_every_contribution():
    x = Value(3.0)
    y = x * x + x  # d/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    z = Value(2.0)
    w = z * z * z * z  # 4 z^3
    w.backward()
    assert z.grad == 32.0
    s = Value(-1.5)
    u = s + s  # the same node on both sides of one op
    u.backward()
    assert s.grad == 2.0


def test_self_power_with_value_exponent():
    x = Value(2.0)
    y = x**x  # d/dx x^x = x^x (ln x + 1)
    y.backward()
    assert y.data == 4.0
    assert x.grad == pytest.approx(4.0 * (math.log(2.0) + 1), rel=1e-12)


def test_kinks_follow_pytorch():
    for apply, expected in [
        (lambda v: v.relu(), 0.0),
        (lambda v: v.abs(), 0.0),
        (lambda v: v.leaky_relu(), 0.01),
        (lambda v: v.leaky_relu(0.3), 0.3),
        (lambda v: v.sqrt(), math.inf),
    ]:
        v = Value(0.0)
        apply(v).backward()
        assert v.grad == expected


def test_zero_base_with_value_exponent():
    base, exponent = Value(0.0), Value(2.5)
    out = base**exponent
    out.backward()
    assert out.data == 0.0
    assert exponent.grad == 0.0  # as PyTorch: d/dw 0**w = 0 for w > 0
    assert base.grad == 0.0


def test_saturating_ops_never_overflow():
    t = Value(1000.0)
    out = t.tanh()
    out.backward()
    assert out.data == 1.0 and t.grad == 0.0
    assert Value(-1000.0).tanh().data == -1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    e = Value(800.0)
    big = e.exp()
    assert big.data == math.inf
    big.backward()
    assert e.grad == math.inf
    assert Value(-800.0).exp().data == 0.0
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf
    assert (Value(10.0) ** Value(400.0)).data == math.inf
    assert (2 ** Value(5000.0)).data == math.inf


def test_nan_and_inf_are_stored_as_given():
    assert math.isnan(Value(float("nan")).data)
    assert Value(float("inf")).data == math.inf
    assert math.isnan(Value(float("nan")).relu().data)


def test_comparisons_compare_data():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and a <= 1 and a >= 1 and not a > 1
    assert 0.5 < a and 3 > b
    assert isinstance(a < b, bool)


def test_equality_and_hash_are_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


def test_conversions_and_repr():
    v = Value(2, label="a")
    assert isinstance(v.data, float) and v.data == 2.0
    assert float(v) == 2.0 and v.item() == 2.0
    assert repr(v) == "Value(a, data=2.0, grad=0.0)"
    assert repr(Value(-0.5)) == "Value(data=-0.5, grad=0.0)"
    assert Value(True).data == 1.0
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(7)).data == 7.0
    assert Value(np.bool_(True)).data == 1.0


def test_data_is_writable_and_checked():
    v = Value(1.0)
    v.data = 3
    assert v.data == 3.0 and isinstance(v.data, float)
    with pytest.raises(TypeError, match="str"):
        v.data = "3"


def test_label_is_writable():
    v = Value(1.0)
    v.label = "w"
    assert repr(v) == "Value(w, data=1.0, grad=0.0)"


def test_leaf_fields():
    v = Value(1.0)
    assert v.op == "" and v.parents == () and v.grad == 0.0 and isinstance(v.grad, float)


def test_numpy_scalar_on_the_left_gives_a_value():
    v = Value(2.0)
    for out in (np.float64(3.0) * v, np.float64(3.0) + v, np.float64(3.0) - v, np.float64(6.0) / v):
        assert isinstance(out, Value)
    assert (np.float64(3.0) ** Value(2.0)).data == 9.0


def test_detach_makes_a_new_leaf():
    x = Value(2.0)
    y = x * 3
    d = y.detach()
    assert d.data == 6.0 and d.parents == () and d is not y
    (d * 2).backward()
    assert x.grad == 0.0


def test_zero_grad_clears_the_whole_graph():
    x = Value(2.0)
    y = x * x
    z = y + 1
    z.backward()
    assert x.grad == 4.0 and y.grad == 1.0
    z.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_backward_seed_scales_gradients():
    x = Value(3.0)
    y = x * x
    y.backward(2.5)
    assert x.grad == 15.0


# Each op with a plain number on one side, as (apply, op name, number first?).
NUMBER_OPS = [
    (lambda v: v + 2.5, "+", False),
    (lambda v: 2.5 + v, "+", True),
    (lambda v: v - 2.5, "-", False),
    (lambda v: 2.5 - v, "-", True),
    (lambda v: v * 2.5, "*", False),
    (lambda v: 2.5 * v, "*", True),
    (lambda v: v / 2.5, "/", False),
    (lambda v: 2.5 / v, "/", True),
    (lambda v: 2.5**v, "**", True),
]


@pytest.mark.parametrize("apply, name, first", NUMBER_OPS)
def test_a_number_mixed_into_an_op_is_kept_in_the_node_not_in_a_leaf(apply, name, first):
    v = Value(1.5)
    out = apply(v)
    assert out.op == name and out.parents == (v,) and out.number == 2.5
    assert out.primitive.number_first is first
    assert v.number is None and (v * v).number is None


@pytest.mark.parametrize("apply, name, first", NUMBER_OPS)
def test_ops_with_a_number_have_second_derivatives(apply, name, first):
    # d/dx by the graph-building backward, differentiated again, against a central
    # difference of the float backward's d/dx
    def slope(t):
        leaf = Value(t)
        return ag.grad(apply(leaf), [leaf])[0]

    x = Value(1.5)
    (dx,) = ag.grad(apply(x), [x], create_graph=True)
    assert float(dx) == pytest.approx(slope(1.5), rel=1e-12)
    (d2x,) = ag.grad(dx, [x]) if isinstance(dx, Value) else (0.0,)
    assert d2x == pytest.approx(central_difference(slope, 1.5), rel=1e-5, abs=1e-7)
