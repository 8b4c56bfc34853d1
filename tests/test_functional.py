"""ag.grad, higher-order derivatives, hessian and gradcheck."""

from __future__ import annotations

import math

import pytest

import autograd_lite as ag
from autograd_lite import Value


def test_grad_returns_floats_and_leaves_dot_grad_alone():
    x, y = Value(2.0), Value(-1.0)
    out = x * x * y + y.exp()
    gx, gy = ag.grad(out, [x, y])
    assert gx == -4.0 and gy == pytest.approx(4.0 + math.exp(-1.0), rel=1e-12)
    assert isinstance(gx, float)
    assert x.grad == 0.0 and y.grad == 0.0


def test_grad_of_an_unrelated_input_is_zero():
    x, unrelated = Value(2.0), Value(5.0)
    out = x * 3
    assert ag.grad(out, [x, unrelated]) == [3.0, 0.0]
    g = ag.grad(out, [unrelated], create_graph=True)[0]
    assert isinstance(g, Value) and g.data == 0.0


def test_grad_with_respect_to_the_output_itself_is_one():
    x = Value(2.0)
    out = x.tanh()
    assert ag.grad(out, [out]) == [1.0]


def test_grad_rejects_non_values():
    with pytest.raises(TypeError, match="output"):
        ag.grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        ag.grad(Value(1.0), [Value(1.0), 2.0])


def test_second_derivative_is_right_after_first_backward_elsewhere():
    x = Value(3.0)
    y = x**3
    (dy,) = ag.grad(y, [x], create_graph=True)
    assert dy.data == 27.0
    (d2y,) = ag.grad(dy, [x], create_graph=True)
    assert d2y.data == 18.0
    (d3y,) = ag.grad(d2y, [x])
    assert d3y == 6.0


def test_third_derivatives_of_x5_y():
    x, y = Value(1.3), Value(-0.7)
    f = x**5 * y
    (fx,) = ag.grad(f, [x], create_graph=True)  # 5x^4 y
    (fxx,) = ag.grad(fx, [x], create_graph=True)  # 20x^3 y
    fxxx, fxxy = ag.grad(fxx, [x, y])  # 60x^2 y, 20x^3
    assert fx.data == pytest.approx(5 * 1.3**4 * -0.7, rel=1e-12)
    assert fxx.data == pytest.approx(20 * 1.3**3 * -0.7, rel=1e-12)
    assert fxxx == pytest.approx(60 * 1.3**2 * -0.7, rel=1e-12)
    assert fxxy == pytest.approx(20 * 1.3**3, rel=1e-12)


def test_mixed_partials_of_tanh_xy():
    a, b = 0.4, -0.9
    x, y = Value(a), Value(b)
    f = (x * y).tanh()
    fx, fy = ag.grad(f, [x, y], create_graph=True)
    fxx, fxy = ag.grad(fx, [x, y])
    fyx, fyy = ag.grad(fy, [x, y])
    t = math.tanh(a * b)
    s = 1 - t * t  # sech^2
    assert fx.data == pytest.approx(b * s, rel=1e-12)
    assert fxx == pytest.approx(-2 * b * b * t * s, rel=1e-12)
    assert fyy == pytest.approx(-2 * a * a * t * s, rel=1e-12)
    assert fxy == pytest.approx(s - 2 * a * b * t * s, rel=1e-12)
    assert fxy == pytest.approx(fyx, rel=1e-12)


@pytest.mark.parametrize(
    "apply, d2",
    [
        (lambda v: v.exp(), math.exp),
        (lambda v: v.log(), lambda x: -1 / x**2),
        (lambda v: v.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
        (
            lambda v: v.sigmoid(),
            lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
        ),
        (lambda v: v.sin(), lambda x: -math.sin(x)),
        (lambda v: v.cos(), lambda x: -math.cos(x)),
        (lambda v: v.sqrt(), lambda x: -0.25 * x**-1.5),
        (lambda v: v**4, lambda x: 12 * x**2),
        (lambda v: 1 / v, lambda x: 2 / x**3),
        (lambda v: 2**v, lambda x: 2**x * math.log(2) ** 2),
        (lambda v: v**v, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x)),
        (lambda v: v.relu() * v, lambda x: 2.0 if x > 0 else 0.0),
        (lambda v: v.abs() * v, lambda x: math.copysign(2.0, x)),
        (lambda v: v.leaky_relu(0.1) ** 2, lambda x: 2.0 if x > 0 else 0.02),
    ],
)
@pytest.mark.parametrize("x", [0.6, 1.7])
def test_second_derivative_of_every_op(apply, d2, x):
    v = Value(x)
    (first,) = ag.grad(apply(v), [v], create_graph=True)
    (second,) = ag.grad(first, [v])
    assert second == pytest.approx(d2(x), rel=1e-10)


def test_hessian_matches_a_hand_computed_matrix():
    def f(v):
        x, y = v
        return x * x * y + (x * y).sin() + y**3

    a, b = 0.5, 2.0
    h = ag.hessian(f, [a, b])
    s, c = math.sin(a * b), math.cos(a * b)
    expected = [
        [2 * b - b * b * s, 2 * a + c - a * b * s],
        [2 * a + c - a * b * s, -a * a * s + 6 * b],
    ]
    for row, exp_row in zip(h, expected, strict=True):
        assert row == pytest.approx(exp_row, rel=1e-12)
    assert all(isinstance(e, float) for row in h for e in row)


def test_hessian_of_a_linear_function_is_zero():
    assert ag.hessian(lambda v: 3 * v[0] - v[1], [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]


def test_gradcheck_passes_on_correct_gradients():
    assert ag.gradcheck(lambda v: (v[0] * v[1]).tanh() + v[0].exp() / v[1], [0.3, 1.7])


def test_gradcheck_names_the_worst_input_when_gradients_are_wrong():
    # A function whose engine gradient is wrong on purpose: detach cuts the x path.
    def wrong(v):
        return v[0] * v[1].detach() + v[0].detach() * v[1] * 5

    with pytest.raises(AssertionError) as info:
        ag.gradcheck(wrong, [1.0, 2.0])
    message = str(info.value)
    # input 0: the engine says 2, the truth is 12; input 1 is off by less (5 against 6)
    assert "input 0" in message
    assert "engine gradient 2.0" in message and "finite difference 11.9999" in message


def test_gradcheck_rejects_a_function_that_returns_a_number():
    with pytest.raises(TypeError, match="float"):
        ag.gradcheck(lambda v: 1.0, [1.0])


def square(v):
    return v[0] * v[0]


def test_grad_with_a_bare_value_for_inputs_says_to_use_a_list():
    x = Value(2.0)
    with pytest.raises(TypeError, match=r"^grad: inputs must be a list of Values, got a single"):
        ag.grad(x * x, x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^grad: inputs must be a list of Values, got float"):
        ag.grad(x * x, 2.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eps": 0}, "gradcheck: eps must be a finite number > 0, got 0.0"),
        ({"eps": -1e-6}, "gradcheck: eps must be a finite number > 0, got -1e-06"),
        ({"eps": float("nan")}, "gradcheck: eps must be a finite number > 0, got nan"),
        ({"atol": -1}, "gradcheck: atol must be a finite number >= 0, got -1.0"),
        ({"rtol": float("inf")}, "gradcheck: rtol must be a finite number >= 0, got inf"),
    ],
)
def test_gradcheck_settings_are_checked_before_any_comparison(kwargs, message):
    with pytest.raises(ValueError) as info:
        ag.gradcheck(square, [1.5], **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("check", [ag.gradcheck, ag.hessian])
def test_points_must_be_numbers(check):
    name = check.__name__
    with pytest.raises(TypeError, match=rf"^{name}: xs\[0\] must be a real number .*got str '1.5'"):
        check(square, ["1.5"])
    with pytest.raises(TypeError, match=rf"^{name}: xs\[1\] must be a real number .*got NoneType"):
        check(square, [1.0, None])
    with pytest.raises(ValueError, match=rf"^{name}: xs\[0\] is too large for a float"):
        check(square, [10**400])
    with pytest.raises(TypeError, match=rf"^{name}: xs must be a list of numbers, got float"):
        check(square, 1.5)


@pytest.mark.parametrize("check", [ag.gradcheck, ag.hessian])
def test_fn_must_be_callable(check):
    name = check.__name__
    with pytest.raises(TypeError, match=rf"^{name}: fn must be callable .*got int$"):
        check(3, [1.0])


def test_hessian_and_gradcheck_still_take_numpy_and_bool_points():
    import numpy as np

    assert ag.hessian(square, [np.float64(3.0)]) == [[2.0]]
    assert ag.gradcheck(square, [True])
