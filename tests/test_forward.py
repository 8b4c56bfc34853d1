"""Forward mode: Dual numbers, jvp and the forward table, against independent truth."""

from __future__ import annotations

import doctest
import math
import unicodedata

import pytest
from hypothesis import assume, given

import autograd_lite as ag
from autograd_lite import Dual, Value, forward
from autograd_lite import primitives as P
from conftest import central_difference, difference_tolerance
from graphs import KINKED, output_of, programs, replay

# --- Dual on every primitive ------------------------------------------------------

# (name, f on a Value or a Dual, point, f'(point) derived by hand)
UNARY = [
    ("neg", lambda a: -a, 1.3, -1.0),
    ("pos", lambda a: +a, 1.3, 1.0),
    ("exp", lambda a: a.exp(), 0.7, math.exp(0.7)),
    ("log", lambda a: a.log(), 0.7, 1 / 0.7),
    ("tanh", lambda a: a.tanh(), 0.7, 1 - math.tanh(0.7) ** 2),
    ("sigmoid", lambda a: a.sigmoid(), 0.7, math.exp(-0.7) / (1 + math.exp(-0.7)) ** 2),
    ("softplus", lambda a: a.softplus(), -0.7, 1 / (1 + math.exp(0.7))),
    ("softplus big", lambda a: a.softplus(), 800.0, 1.0),
    ("pow 0 at 0", lambda a: a**0, 0.0, 0.0),
    ("relu+", lambda a: a.relu(), 0.7, 1.0),
    ("relu-", lambda a: a.relu(), -0.7, 0.0),
    ("leaky_relu-", lambda a: a.leaky_relu(0.2), -0.7, 0.2),
    ("leaky_relu default", lambda a: a.leaky_relu(), -0.7, 0.01),
    ("sin", lambda a: a.sin(), 0.7, math.cos(0.7)),
    ("cos", lambda a: a.cos(), 0.7, -math.sin(0.7)),
    ("sqrt", lambda a: a.sqrt(), 0.7, 0.5 / math.sqrt(0.7)),
    ("abs", lambda a: a.abs(), -0.7, -1.0),
    ("abs()", lambda a: abs(a), 0.7, 1.0),
    ("cube", lambda a: a**3, -1.5, 3 * 1.5**2),
    ("pow 0.5", lambda a: a**0.5, 0.7, 0.5 * 0.7**-0.5),
    ("pow -2", lambda a: a**-2, -1.5, -2 * (-1.5) ** -3),
    ("+ 2", lambda a: a + 2, 0.7, 1.0),
    ("2 +", lambda a: 2 + a, 0.7, 1.0),
    ("- 2", lambda a: a - 2, 0.7, 1.0),
    ("2 -", lambda a: 2 - a, 0.7, -1.0),
    ("* 2", lambda a: a * 2, 0.7, 2.0),
    ("2 *", lambda a: 2 * a, 0.7, 2.0),
    ("/ 2", lambda a: a / 2, 0.7, 0.5),
    ("2 /", lambda a: 2 / a, 0.7, -2 / 0.7**2),
    ("2 **", lambda a: 2**a, 0.7, 2**0.7 * math.log(2)),
    ("x * x", lambda a: a * a, 0.7, 1.4),
]

# (name, f on two Values or two Duals, point, (∂f/∂a, ∂f/∂b) derived by hand)
BINARY = [
    ("+", lambda a, b: a + b, (0.7, -1.2), (1.0, 1.0)),
    ("-", lambda a, b: a - b, (0.7, -1.2), (1.0, -1.0)),
    ("*", lambda a, b: a * b, (0.7, -1.2), (-1.2, 0.7)),
    ("/", lambda a, b: a / b, (0.7, -1.2), (1 / -1.2, -0.7 / 1.44)),
    ("**", lambda a, b: a**b, (0.7, -1.2), (-1.2 * 0.7**-2.2, 0.7**-1.2 * math.log(0.7))),
]


def test_dual_has_every_function_of_the_table():
    for name in P.FUNCTIONS:
        assert callable(getattr(Dual, name)), name


def value_derivative(f, x: float) -> float:
    v = Value(x)
    return ag.grad(f(v), [v])[0]


@pytest.mark.parametrize("name, f, x, expected", UNARY, ids=[u[0] for u in UNARY])
def test_dual_on_each_unary_op_matches_hand_formula_value_and_differences(name, f, x, expected):
    d = f(Dual(x, 1.0))
    assert d.value == f(Value(x)).data
    assert d.tangent == pytest.approx(expected, rel=1e-12)
    assert d.tangent == value_derivative(f, x)  # the same table row, the same number
    assert d.tangent == pytest.approx(central_difference(lambda t: f(Dual(t)).value, x), rel=1e-6)


@pytest.mark.parametrize("name, f, x, expected", UNARY, ids=[u[0] for u in UNARY])
def test_dual_tangent_scales_with_the_seed(name, f, x, expected):
    assert f(Dual(x, -2.5)).tangent == pytest.approx(-2.5 * expected, rel=1e-12)
    assert f(Dual(x, 0.0)).tangent == 0.0


@pytest.mark.parametrize("name, f, point, expected", BINARY, ids=[b[0] for b in BINARY])
def test_dual_on_each_binary_op_gives_both_partials(name, f, point, expected):
    a, b = point
    da = f(Dual(a, 1.0), Dual(b, 0.0))
    db = f(Dual(a, 0.0), Dual(b, 1.0))
    both = f(Dual(a, 2.0), Dual(b, 3.0))
    va, vb = Value(a), Value(b)
    grads = ag.grad(f(va, vb), [va, vb])
    assert da.value == f(va, vb).data
    assert (da.tangent, db.tangent) == pytest.approx(expected, rel=1e-12)
    assert [da.tangent, db.tangent] == grads
    assert both.tangent == pytest.approx(2 * expected[0] + 3 * expected[1], rel=1e-12)


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (lambda a: a.relu(), 0.0, 0.0),
        (lambda a: a.abs(), 0.0, 0.0),
        (lambda a: a.leaky_relu(0.1), 0.0, 0.1),
        (lambda a: a.sqrt(), 0.0, math.inf),
        (lambda a: a**0.5, 0.0, math.inf),
    ],
    ids=["relu", "abs", "leaky_relu", "sqrt", "pow 0.5"],
)
def test_dual_at_kinks_matches_value_gradient(f, x, expected):
    assert f(Dual(x, 1.0)).tangent == expected
    assert value_derivative(f, x) == expected


def test_zero_tangent_adds_nothing_even_where_the_local_derivative_is_infinite():
    assert Dual(0.0).sqrt().tangent == 0.0  # not 0 * inf = nan
    assert (Dual(0.0).sqrt() + Dual(1.0, 1.0)).tangent == 1.0


DOMAIN_ERRORS = [
    lambda T: T(-1.0).log(),
    lambda T: T(0.0).log(),
    lambda T: T(-1.0).sqrt(),
    lambda T: T(1.0) / 0,
    lambda T: 1 / T(0.0),
    lambda T: T(1.0) / T(0.0),
    lambda T: T(0.0) ** -1,
    lambda T: T(-2.0) ** 0.5,
    lambda T: T(-2.0) ** T(0.5),
    lambda T: T(0.0) ** T(-1.0),
    lambda T: (-2.0) ** T(0.5),
    lambda T: T(math.inf).sin(),
    lambda T: T(-math.inf).cos(),
]


@pytest.mark.parametrize("make", DOMAIN_ERRORS)
def test_domain_errors_are_values_own(make):
    with pytest.raises((ValueError, ZeroDivisionError)) as from_value:
        make(Value)
    with pytest.raises(from_value.type) as from_dual:
        make(Dual)
    assert str(from_dual.value) == str(from_value.value)


def test_dual_accepts_real_numbers_and_names_what_is_wrong():
    np = pytest.importorskip("numpy")
    assert Dual(np.float64(2.0), True).tangent == 1.0
    assert Dual(3).value == 3.0 and Dual(3).tangent == 0.0
    with pytest.raises(TypeError, match=r"Dual: value must be a real number .*got str"):
        Dual("2")
    with pytest.raises(TypeError, match=r"Dual: tangent must be a real number .*got NoneType"):
        Dual(2.0, None)
    with pytest.raises(TypeError, match=r"Dual: value must be a real number .*got Value"):
        Dual(Value(2.0))
    with pytest.raises(TypeError, match=r"Dual.leaky_relu: slope must be a real number"):
        Dual(1.0).leaky_relu("0.1")


@pytest.mark.parametrize("other", ["2", None, [1.0], Value(2.0)])
def test_dual_with_anything_but_numbers_and_duals_is_a_type_error(other):
    d = Dual(1.0, 1.0)
    for op in (
        lambda: d + other,
        lambda: other + d,
        lambda: d * other,
        lambda: other - d,
        lambda: d / other,
        lambda: d**other,
        lambda: other**d,
        lambda: d < other,
    ):
        with pytest.raises(TypeError):
            op()


def test_dual_with_numpy_scalars_on_either_side():
    np = pytest.importorskip("numpy")
    for number in (np.float64(2.0), np.int64(2), np.float32(2.0)):
        left, right = number * Dual(3.0, 1.0), Dual(3.0, 1.0) * number
        assert type(left) is Dual and (left.value, left.tangent) == (6.0, 2.0)
        assert (right.value, right.tangent) == (6.0, 2.0)
        assert (number ** Dual(3.0, 1.0)).tangent == pytest.approx(8 * math.log(2))


def test_dual_comparisons_conversions_and_repr():
    a, b = Dual(1.0, 5.0), Dual(2.0, -5.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and 0.5 < a and not a > 1
    assert float(b) == 2.0 and b.item() == 2.0
    assert +a is a
    assert repr(a) == "Dual(value=1.0, tangent=5.0)"
    assert a != Dual(1.0, 5.0)  # identity, as for Value


def test_dual_pow_with_modulo_is_refused():
    with pytest.raises(TypeError):
        pow(Dual(2.0), 2, 3)


def build(leaves, steps, make):
    xs = [make(x, i) for i, x in enumerate(leaves)]
    nodes = replay(xs, steps)
    return xs, nodes, output_of(nodes, len(xs))


def far_from_kinks(nodes, steps, margin=1e-3):
    return all(abs(float(nodes[i])) > margin for op, i, _ in steps if op in KINKED)


@given(programs())
def test_dual_matches_reverse_mode_and_differences_on_random_graphs(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps, lambda x, i: Value(x))
    grads = ag.grad(out, xs)
    for k in range(len(leaves)):
        _, _, dual = build(leaves, steps, lambda x, i, k=k: Dual(x, 1.0 if i == k else 0.0))
        assert dual.value == out.data
        assert dual.tangent == pytest.approx(grads[k], rel=1e-10, abs=1e-12)
    assume(far_from_kinks(nodes, steps))
    for k in range(len(leaves)):

        def f(t, k=k):
            return build([*leaves[:k], t, *leaves[k + 1 :]], steps, lambda x, i: Dual(x))[2].value

        _, _, dual = build(leaves, steps, lambda x, i, k=k: Dual(x, 1.0 if i == k else 0.0))
        numeric = central_difference(f, leaves[k])
        assert dual.tangent == pytest.approx(numeric, rel=1e-4, abs=difference_tolerance(out.data))


# --- jvp ---------------------------------------------------------------------------


def test_jvp_by_hand():
    # f(x, y) = x * y + sin(x): J = (y + cos x, x)
    out, tangent = ag.jvp(lambda v: v[0] * v[1] + v[0].sin(), [2.0, 3.0], [0.5, -1.0])
    assert out == 6 + math.sin(2)
    assert tangent == pytest.approx(0.5 * (3 + math.cos(2)) - 2.0, rel=1e-12)


def test_jvp_of_a_list_output_gives_lists():
    out, tangent = ag.jvp(lambda v: [v[0] * v[1], v[0].exp(), v[1]], (2.0, 3.0), (1.0, 2.0))
    assert out == [6.0, math.exp(2.0), 3.0]
    assert tangent == pytest.approx([3 + 2 * 2, math.exp(2.0), 2.0], rel=1e-12)


def test_jvp_of_constant_and_of_an_unused_input():
    out, tangent = ag.jvp(lambda v: [Value(4.0), v[0] * 3], [1.0, 5.0], [1.0, 1.0])
    assert (out, tangent) == ([4.0, 3.0], [0.0, 3.0])


def test_jvp_agrees_with_dual_and_with_reverse_mode_where_numbers_are_folded_into_ops():
    # a fixed graph where numbers are folded into ops, so their locals are used too
    def f(v):
        x, y = v
        return (2 - x * y) / (1 + y * y) + 1.5 ** x.tanh() - (x * 0.5).sqrt()

    for seed in ([1.0, 0.0], [0.0, 1.0], [0.3, -0.7]):
        _, tangent = ag.jvp(f, [1.2, -0.4], seed)
        dual = f([Dual(1.2, seed[0]), Dual(-0.4, seed[1])])
        assert tangent == pytest.approx(dual.tangent, rel=1e-13)
    xs = [Value(1.2), Value(-0.4)]
    g = ag.grad(f(xs), xs)
    assert ag.jvp(f, [1.2, -0.4], [0.3, -0.7])[1] == pytest.approx(0.3 * g[0] - 0.7 * g[1])


@given(programs())
def test_jvp_matches_central_differences_on_random_graphs(program):
    leaves, steps = program
    xs, nodes, _ = build(leaves, steps, lambda x, i: Value(x))
    assume(far_from_kinks(nodes, steps))
    direction = [(-1.0) ** i * (i + 1) / 2 for i in range(len(leaves))]

    def fn(v):
        return output_of(replay(v, steps), len(v))

    def along(t):
        moved = [x + t * d for x, d in zip(leaves, direction, strict=True)]
        return fn([Value(m) for m in moved]).data

    _, tangent = ag.jvp(fn, leaves, direction)
    assert tangent == pytest.approx(central_difference(along, 0.0), rel=1e-4, abs=1e-5)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: ag.jvp(lambda v: v[0], [1.0, 2.0], [1.0]), ValueError, "jvp: tangents has 1"),
        (lambda: ag.jvp(lambda v: v[0], [], []), ValueError, "jvp: xs must hold at least one"),
        (lambda: ag.jvp(lambda v: v[0], 1.0, [1.0]), TypeError, "jvp: xs must be a list"),
        (lambda: ag.jvp(lambda v: v[0], "12", [1.0]), TypeError, "jvp: xs must be a list"),
        (lambda: ag.jvp(lambda v: v[0], [1.0, "a"], [1, 1]), TypeError, r"jvp: xs\[1\] must be"),
        (lambda: ag.jvp(lambda v: v[0], [1.0], [None]), TypeError, r"jvp: tangents\[0\] must"),
        (lambda: ag.jvp(lambda v: 3.0, [1.0], [1.0]), TypeError, "jvp: fn must return a Value"),
        (lambda: ag.jvp(lambda v: [v[0], 2], [1.0], [1.0]), TypeError, r"with int at \[1\]"),
        (lambda: ag.jvp(lambda v: [], [1.0], [1.0]), ValueError, "jvp: fn returned an empty"),
        (lambda: ag.jvp(3, [1.0], [1.0]), TypeError, "jvp: fn must be callable, got int"),
    ],
)
def test_jvp_bad_input_names_the_function_and_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --- against torch.func ---------------------------------------------------------------


def torch_fn(steps, n_leaves, outputs=None):
    torch = pytest.importorskip("torch")

    def fn(x):
        nodes = replay([x[i] for i in range(n_leaves)], steps, which=2)
        if outputs is None:
            return output_of(nodes, n_leaves)
        return torch.stack([nodes[i] + 0 * x[0] for i in outputs])

    return fn


@given(programs())
def test_jvp_matches_torch_func_jvp(program):
    torch = pytest.importorskip("torch")
    leaves, steps = program
    direction = [0.5 - i for i in range(len(leaves))]
    out, tangent = ag.jvp(lambda v: output_of(replay(v, steps), len(v)), leaves, direction)
    x = torch.tensor(leaves, dtype=torch.float64)
    t = torch.tensor(direction, dtype=torch.float64)
    tout, ttangent = torch.func.jvp(torch_fn(steps, len(leaves)), (x,), (t,))
    assert out == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    assert tangent == pytest.approx(ttangent.item(), rel=1e-10, abs=1e-11)


@pytest.mark.parametrize("name, f, x, expected", UNARY, ids=[u[0] for u in UNARY])
def test_dual_matches_torch_func_jvp_on_each_unary_op(name, f, x, expected):
    torch = pytest.importorskip("torch")
    if name.startswith("leaky_relu"):
        slope = 0.2 if name == "leaky_relu-" else 0.01

        def tf(t):
            return torch.nn.functional.leaky_relu(t, slope)
    elif name.startswith("softplus"):
        tf = torch.nn.functional.softplus
    else:
        tf = f
    _, ttangent = torch.func.jvp(
        tf, (torch.tensor(x, dtype=torch.float64),), (torch.tensor(1.0, dtype=torch.float64),)
    )
    assert f(Dual(x, 1.0)).tangent == pytest.approx(ttangent.item(), rel=1e-12)


# --- the forward table ----------------------------------------------------------------


def test_explain_forward_rows_follow_the_rule_and_end_at_jvp():
    def f(v):
        return (v[0] * v[1] + v[0].sin()).tanh() * 2 - Value(0.5, label="c")

    table = ag.explain_forward(f, [2.0, 3.0], [1.0, -0.5])
    assert table.out_tangent == ag.jvp(f, [2.0, 3.0], [1.0, -0.5])[1]
    assert [s.name for s in table][:2] == ["x1", "x2"]
    assert table[-1].name == "out"
    tangents = {}
    for step in table:
        if step.terms:
            assert step.tangent == sum(local * tangents[p] for p, local, _ in step.terms)
            assert all(t == tangents[p] for p, _, t in step.terms)
        tangents[step.name] = step.tangent
    assert tangents["x1"] == 1.0 and tangents["x2"] == -0.5 and tangents["c"] == 0.0
    assert len(table) == 2 + 1 + len([s for s in table if s.op])


def test_explain_forward_prints_a_table_and_html():
    table = ag.explain_forward(lambda v: v[0] * v[0], [3.0], [1.0])
    text = str(table)
    dot = "\u0307"  # combining dot above: the tangent of n is ṅ
    x, out = unicodedata.normalize("NFC", "x" + dot), unicodedata.normalize("NFC", "o" + dot) + "ut"
    assert text.splitlines()[0] == f"forward with tangents {x} = 1"
    assert f"{out} = ∂out/∂x·{x}" in text
    assert text.splitlines()[-1] == f"tangents of the outputs: {out} = 6"
    assert repr(table) == text
    page = table._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + len(table)
    assert "∂out/∂x·ẋ" in page


def test_explain_forward_of_many_outputs_and_an_unused_input():
    table = ag.explain_forward(lambda v: [v[0] * 2, v[0].exp()], [1.0, 4.0], [1.0, 1.0])
    assert [s.name for s in table] == ["x1", "x2", "out1", "out2"]
    assert table[1].tangent == 1.0  # x2 is unused but still moves
    assert table.out_tangent == pytest.approx([2.0, math.e])


def test_explain_forward_bad_input():
    with pytest.raises(ValueError, match="explain_forward: tangents has 2"):
        ag.explain_forward(lambda v: v[0], [1.0], [1.0, 2.0])
    with pytest.raises(TypeError, match="explain_forward: fn must return a Value"):
        ag.explain_forward(lambda v: None, [1.0], [1.0])


def test_the_module_examples_run():
    for module in (forward, __import__("autograd_lite.jacobians").jacobians):
        results = doctest.testmod(module)
        assert results.attempted >= 3 and results.failed == 0


def test_graph_order_puts_each_node_once_after_its_parents():
    x, y = Value(1.0), Value(2.0)
    shared = x * y
    outputs = [shared.exp(), shared + x, y]
    order = forward.graph_order(outputs)
    assert len(order) == len(set(order)) == 5  # x, y, x * y, exp, +
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)
    assert set(outputs) <= set(order)


def test_forward_sweep_of_a_deep_chain_needs_no_recursion():
    def chain(v):
        y = v[0]
        for _ in range(20_000):
            y = y * 1.00001
        return y

    out, tangent = ag.jvp(chain, [1.0], [1.0])
    assert tangent == pytest.approx(1.00001**20_000, rel=1e-9) and out == tangent


@pytest.mark.parametrize("name, f, point, expected", BINARY, ids=[b[0] for b in BINARY])
def test_dual_matches_torch_func_jvp_on_each_binary_op(name, f, point, expected):
    torch = pytest.importorskip("torch")
    a, b = (torch.tensor(x, dtype=torch.float64) for x in point)
    ta, tb = torch.tensor(2.0, dtype=torch.float64), torch.tensor(-3.0, dtype=torch.float64)
    _, ttangent = torch.func.jvp(f, (a, b), (ta, tb))
    dual = f(Dual(point[0], 2.0), Dual(point[1], -3.0))
    assert dual.tangent == pytest.approx(ttangent.item(), rel=1e-12)


def test_dual_at_kinks_matches_torch_func_jvp():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    zero, one = torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    cases = [
        (lambda a: a.relu(), torch.relu),
        (lambda a: a.abs(), torch.abs),
        (lambda a: a.leaky_relu(0.1), lambda t: F.leaky_relu(t, 0.1)),
        (lambda a: a.sqrt(), torch.sqrt),
    ]
    for ours, theirs in cases:
        _, expected = torch.func.jvp(theirs, (zero,), (one,))
        assert ours(Dual(0.0, 1.0)).tangent == expected.item()
