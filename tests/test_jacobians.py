"""vjp, jacobian (both modes) and hvp, against hand formulas, differences and torch.func."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value
from graphs import KINKED, output_of, programs, replay


def pair(v):
    x, y = v
    return [x * y, x + y, (x * 2).sin() / y]


# J of pair at (x, y), derived by hand
def pair_jacobian(x, y):
    return [
        [y, x],
        [1.0, 1.0],
        [2 * math.cos(2 * x) / y, -math.sin(2 * x) / y**2],
    ]


# --- vjp -------------------------------------------------------------------------------


def test_vjp_gives_the_output_and_rows_of_the_jacobian():
    out, pullback = ag.vjp(pair, [0.7, -1.3])
    assert out == [0.7 * -1.3, 0.7 - 1.3, math.sin(1.4) / -1.3]
    J = pair_jacobian(0.7, -1.3)
    for i, row in enumerate(J):
        cotangent = [1.0 if k == i else 0.0 for k in range(3)]
        assert pullback(cotangent) == pytest.approx(row, rel=1e-12)
    mixed = pullback([2.0, -1.0, 0.5])
    expected = [2 * J[0][j] - J[1][j] + 0.5 * J[2][j] for j in range(2)]
    assert mixed == pytest.approx(expected, rel=1e-12)


def test_vjp_pullback_twice_is_the_same_and_touches_no_grad():
    xs_seen = []

    def f(v):
        xs_seen.extend(v)
        return (v[0] * v[1]).tanh()

    out, pullback = ag.vjp(f, [0.3, 0.9])
    first = pullback(1.0)
    assert pullback(1.0) == first
    assert pullback(-2.0) == [-2 * g for g in first]
    assert pullback(0.0) == [0.0, 0.0]
    assert all(x.grad == 0.0 for x in xs_seen)
    t = math.tanh(0.27)
    assert out == t and first == pytest.approx([0.9 * (1 - t * t), 0.3 * (1 - t * t)])


def test_vjp_zero_cotangent_keeps_infinite_branches_out():
    # d sqrt(x)/dx is inf at 0; a zero weight on that output must not make nan
    _, pullback = ag.vjp(lambda v: [v[0].sqrt(), v[0] * 3], [0.0])
    assert pullback([0.0, 1.0]) == [3.0]
    assert pullback([1.0, 0.0]) == [math.inf]


@pytest.mark.parametrize(
    "fn, cotangent, error, words",
    [
        (lambda v: v[0], [1.0], TypeError, "cotangent must be a number, as fn returns a Value"),
        (lambda v: v[0], "1", TypeError, "vjp pullback: cotangent must be a real number"),
        (lambda v: [v[0], v[0]], 1.0, TypeError, "must be a list of 2 numbers"),
        (lambda v: [v[0], v[0]], [1.0], ValueError, "cotangent has 1 numbers but fn returns 2"),
        (lambda v: [v[0], v[0]], [1.0, "a"], TypeError, r"cotangent\[1\] must be a real number"),
    ],
)
def test_vjp_pullback_bad_cotangent(fn, cotangent, error, words):
    _, pullback = ag.vjp(fn, [1.0])
    with pytest.raises(error, match=words):
        pullback(cotangent)


def test_vjp_pullback_refuses_to_run_inside_no_grad():
    _, pullback = ag.vjp(lambda v: [v[0] * 2, v[0] * 3], [1.0])
    with ag.no_grad(), pytest.raises(RuntimeError, match="vjp: .* no_grad"):
        pullback([1.0, 1.0])
    assert pullback([1.0, 1.0]) == [5.0]


def test_vjp_bad_fn_or_point():
    with pytest.raises(TypeError, match="vjp: fn must return a Value or a list of Values"):
        ag.vjp(lambda v: {"a": v[0]}, [1.0])
    with pytest.raises(TypeError, match=r"vjp: xs\[0\] must be a real number .*got str"):
        ag.vjp(lambda v: v[0], ["1"])
    with pytest.raises(ValueError, match="vjp: xs must hold at least one number"):
        ag.vjp(lambda v: v[0], [])


# --- jacobian ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_by_hand_in_both_modes(mode):
    J = ag.jacobian(pair, [0.7, -1.3], mode=mode)
    assert len(J) == 3
    for row, expected in zip(J, pair_jacobian(0.7, -1.3), strict=True):
        assert row == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_scalar_fn_is_its_gradient(mode):
    def f(v):
        return v[0] ** 3 * v[1].exp()

    xs = [Value(1.5), Value(-0.5)]
    gradient = ag.jacobian(f, [1.5, -0.5], mode=mode)
    assert isinstance(gradient, list) and all(isinstance(g, float) for g in gradient)
    assert gradient == pytest.approx(ag.grad(f(xs), xs), rel=1e-13)
    assert gradient == pytest.approx([3 * 1.5**2 * math.exp(-0.5), 1.5**3 * math.exp(-0.5)])


def test_jacobian_runs_fn_once_in_reverse_and_once_per_input_forward():
    calls = []

    def f(v):
        calls.append(1)
        return [v[0] * v[1] * v[2], v[0] - v[2]]

    ag.jacobian(f, [1.0, 2.0, 3.0], mode="reverse")
    assert len(calls) == 1
    ag.jacobian(f, [1.0, 2.0, 3.0], mode="forward")
    assert len(calls) == 1 + 3


@pytest.mark.parametrize("mode", ["sideways", "Forward", None, 1])
def test_jacobian_bad_mode(mode):
    with pytest.raises(ValueError, match="jacobian: mode must be 'forward' or 'reverse', got"):
        ag.jacobian(pair, [1.0, 2.0], mode=mode)


def test_jacobian_takes_any_iterable_of_numbers_as_the_point():
    np = pytest.importorskip("numpy")
    expected = ag.jacobian(pair, [0.7, -1.3])
    assert ag.jacobian(pair, np.array([0.7, -1.3])) == expected
    assert ag.jacobian(pair, (x for x in (0.7, -1.3))) == expected


def test_jacobian_bad_fn_and_point():
    for mode in ("forward", "reverse"):
        with pytest.raises(TypeError, match="fn must return a Value"):
            ag.jacobian(lambda v: 1.0, [1.0], mode=mode)
        with pytest.raises(ValueError, match="jacobian: xs must hold at least one number"):
            ag.jacobian(pair, (), mode=mode)
        with pytest.raises(TypeError, match="jacobian: xs must be a list of numbers, got float"):
            ag.jacobian(pair, 1.0, mode=mode)


@st.composite
def many_output_programs(draw):
    leaves, steps = draw(programs(max_steps=15))
    n_nodes = len(leaves) + len(steps)
    outputs = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=4))
    return leaves, steps, outputs


def program_fn(steps, outputs):
    def fn(v):
        nodes = replay(v, steps)
        return [nodes[i] for i in outputs] + [output_of(nodes, len(v))]

    return fn


@given(many_output_programs())
@example(([0.99999], [("div", 0, 0)], [0]))  # terms near 1 cancel to 5e-6: rel 5.5e-12 apart
def test_jacobian_forward_equals_reverse(program):
    leaves, steps, outputs = program
    fn = program_fn(steps, outputs)
    forward = ag.jacobian(fn, leaves, mode="forward")
    reverse = ag.jacobian(fn, leaves, mode="reverse")
    assert len(forward) == len(outputs) + 1 and all(len(r) == len(leaves) for r in forward)
    for f_row, r_row in zip(forward, reverse, strict=True):
        # the two modes add the same products in other orders: where they cancel, one
        # may give 0.0 and the other a rounding error at the scale of the row, and a
        # small result of terms near 1 keeps only the digits the cancellation left
        scale = max(map(abs, r_row), default=0.0)
        assert f_row == pytest.approx(r_row, rel=1e-9, abs=1e-15 * scale + 1e-300)


@given(many_output_programs())
def test_jacobian_matches_central_differences(program):
    leaves, steps, outputs = program
    fn = program_fn(steps, outputs)
    nodes = replay([Value(x) for x in leaves], steps)
    assume(all(abs(nodes[i].data) > 1e-3 for op, i, _ in steps if op in KINKED))
    J = ag.jacobian(fn, leaves)
    h = 1e-6
    for j in range(len(leaves)):
        up = [o.data for o in fn([Value(x + h * (k == j)) for k, x in enumerate(leaves)])]
        down = [o.data for o in fn([Value(x - h * (k == j)) for k, x in enumerate(leaves)])]
        for i in range(len(J)):
            assert J[i][j] == pytest.approx((up[i] - down[i]) / (2 * h), rel=1e-4, abs=1e-5)


# --- hvp ---------------------------------------------------------------------------------


def test_hvp_by_hand():
    # f = x² y + sin(x y): H = [[2y - y² s, 2x + c - x y s], [2x + c - x y s, -x² s]]
    x, y = 0.8, -1.1
    s, c = math.sin(x * y), math.cos(x * y)
    H = [[2 * y - y * y * s, 2 * x + c - x * y * s], [2 * x + c - x * y * s, -x * x * s]]
    v = [0.3, -2.0]
    got = ag.hvp(lambda p: p[0] ** 2 * p[1] + (p[0] * p[1]).sin(), [x, y], v)
    assert got == pytest.approx([H[0][0] * v[0] + H[0][1] * v[1], H[1][0] * v[0] + H[1][1] * v[1]])


def test_hvp_of_an_unused_input_and_of_a_linear_fn_is_zero():
    assert ag.hvp(lambda p: p[0] * 3 + 1, [2.0, 5.0], [1.0, 1.0]) == [0.0, 0.0]
    assert ag.hvp(lambda p: p[0] ** 2, [2.0, 5.0], [1.0, 1.0]) == [2.0, 0.0]


def test_hvp_at_kinks_uses_the_table_second_derivative_zero():
    # relu'' and abs'' are 0 by the table (step and sign are constants)
    assert ag.hvp(lambda p: p[0].relu() * p[0], [0.5], [1.0]) == [2.0]
    assert ag.hvp(lambda p: p[0].abs() * p[0], [-0.5], [1.0]) == [-2.0]


@given(programs(max_leaves=3, max_steps=12))
def test_hvp_equals_hessian_times_v(program):
    leaves, steps = program

    def fn(v):
        return output_of(replay(v, steps), len(v))

    v = [1.0 - 0.75 * i for i in range(len(leaves))]
    H = ag.hessian(fn, leaves)
    expected = [sum(h * vj for h, vj in zip(row, v, strict=True)) for row in H]
    assert ag.hvp(fn, leaves, v) == pytest.approx(expected, rel=1e-9, abs=1e-11)


@given(programs(max_leaves=3, max_steps=10))
def test_hvp_matches_differences_of_gradients(program):
    leaves, steps = program

    def fn(v):
        return output_of(replay(v, steps), len(v))

    nodes = replay([Value(x) for x in leaves], steps)
    assume(all(abs(nodes[i].data) > 1e-2 for op, i, _ in steps if op in KINKED))
    v = [0.5 + i for i in range(len(leaves))]
    h = 1e-5

    def gradient_at(t):
        xs = [Value(x + t * d) for x, d in zip(leaves, v, strict=True)]
        return ag.grad(fn(xs), xs)

    up, down = gradient_at(h), gradient_at(-h)
    numeric = [(u - d) / (2 * h) for u, d in zip(up, down, strict=True)]
    assert ag.hvp(fn, leaves, v) == pytest.approx(numeric, rel=1e-3, abs=1e-4)


def test_hvp_nests_with_grad_create_graph():
    # g(x, y) = x³ y²; fn = |∇g|², itself built with grad(create_graph=True); hvp then
    # differentiates a gradient graph built on top of a gradient graph
    def g(p):
        return p[0] ** 3 * p[1] ** 2

    def fn(p):
        gx, gy = ag.grad(g(p), p, create_graph=True)
        return gx * gx + gy * gy

    x, y, v = 0.9, 1.3, [0.4, -1.5]

    # fn = 9x⁴y⁴ + 4x⁶y², differentiated twice by hand
    fxx = 108 * x**2 * y**4 + 120 * x**4 * y**2
    fxy = 144 * x**3 * y**3 + 48 * x**5 * y
    fyy = 108 * x**4 * y**2 + 8 * x**6
    expected = [fxx * v[0] + fxy * v[1], fxy * v[0] + fyy * v[1]]
    assert ag.hvp(fn, [x, y], v) == pytest.approx(expected, rel=1e-12)
    H = ag.hessian(fn, [x, y])
    assert [H[0][0], H[0][1], H[1][1]] == pytest.approx([fxx, fxy, fyy], rel=1e-12)


def test_hvp_bad_input():
    with pytest.raises(TypeError, match="hvp: fn must return one Value"):
        ag.hvp(lambda p: [p[0], p[0]], [1.0], [1.0])
    with pytest.raises(ValueError, match="hvp: v has 2 numbers but xs has 1"):
        ag.hvp(lambda p: p[0], [1.0], [1.0, 0.0])
    with pytest.raises(TypeError, match=r"hvp: v\[0\] must be a real number .*got str"):
        ag.hvp(lambda p: p[0], [1.0], ["1"])
    with pytest.raises(TypeError, match="hvp: fn must return a Value"):
        ag.hvp(lambda p: 2.0, [1.0], [1.0])


# --- against torch.func -------------------------------------------------------------------


def torch_program(steps, n_leaves, outputs=None):
    torch = pytest.importorskip("torch")

    def fn(x):
        nodes = replay([x[i] for i in range(n_leaves)], steps, which=2)
        out = output_of(nodes, n_leaves)
        if outputs is None:
            return out
        return torch.stack([nodes[i] for i in outputs] + [out])

    return fn


def as_tensor(xs):
    torch = pytest.importorskip("torch")
    return torch.tensor(xs, dtype=torch.float64)


@given(many_output_programs())
def test_jacobian_matches_torch_jacfwd_and_jacrev(program):
    torch = pytest.importorskip("torch")
    leaves, steps, outputs = program
    fn = program_fn(steps, outputs)
    tfn = torch_program(steps, len(leaves), outputs)
    x = as_tensor(leaves)
    for mode, transform in (("forward", torch.func.jacfwd), ("reverse", torch.func.jacrev)):
        expected = transform(tfn)(x).tolist()
        got = ag.jacobian(fn, leaves, mode=mode)
        for row, trow in zip(got, expected, strict=True):
            assert row == pytest.approx(trow, rel=1e-10, abs=1e-11)


@given(many_output_programs())
def test_vjp_matches_torch_func_vjp(program):
    torch = pytest.importorskip("torch")
    leaves, steps, outputs = program
    cotangent = [(-1.0) ** i * (i + 0.5) for i in range(len(outputs) + 1)]
    out, pullback = ag.vjp(program_fn(steps, outputs), leaves)
    tout, tpullback = torch.func.vjp(torch_program(steps, len(leaves), outputs), as_tensor(leaves))
    assert out == pytest.approx(tout.tolist(), rel=1e-12, abs=1e-12)
    (expected,) = tpullback(as_tensor(cotangent))
    assert pullback(cotangent) == pytest.approx(expected.tolist(), rel=1e-10, abs=1e-11)


@given(programs(max_leaves=3, max_steps=12))
def test_hvp_matches_torch_forward_over_reverse(program):
    torch = pytest.importorskip("torch")
    leaves, steps = program
    v = [1.0 - 0.75 * i for i in range(len(leaves))]
    tfn = torch_program(steps, len(leaves))
    _, expected = torch.func.jvp(torch.func.grad(tfn), (as_tensor(leaves),), (as_tensor(v),))
    got = ag.hvp(lambda p: output_of(replay(p, steps), len(p)), leaves, v)
    assert got == pytest.approx(expected.tolist(), rel=1e-9, abs=1e-11)


def test_hvp_of_a_nested_gradient_matches_torch():
    torch = pytest.importorskip("torch")

    def fn(p):
        gx, gy = ag.grad((p[0] * p[1]).tanh() * p[0].exp(), p, create_graph=True)
        return gx * gy

    def tfn(t):
        g = torch.func.grad(lambda s: torch.tanh(s[0] * s[1]) * torch.exp(s[0]))(t)
        return g[0] * g[1]

    point, v = [0.4, -0.8], [1.0, 2.0]
    _, expected = torch.func.jvp(torch.func.grad(tfn), (as_tensor(point),), (as_tensor(v),))
    assert ag.hvp(fn, point, v) == pytest.approx(expected.tolist(), rel=1e-10)
