"""ag.primitive: a learner's op with its derivative, taken by every part of the library.

Checked against hand-derived derivatives, central differences, and torch where it is
installed; the ops are defined once, at the top level of this module, as a learner
would (so that pickle finds them again).
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite import primitives as P
from autograd_lite.backprop_studio.recording import record
from autograd_lite.engine import make_node
from autograd_lite.functional import where_it_disagrees

softsign = ag.primitive(
    "softsign",
    lambda x: x / (1 + abs(x)),
    lambda ops, x, out: (1 / (1 + abs(x)) ** 2,),
    array=lambda np, x: x / (1 + np.abs(x)),
)
hypot = ag.primitive(
    "hypot",
    math.hypot,
    lambda ops, a, b, out: (ops.div(a, out), ops.div(b, out)),
    array=lambda np, a, b: np.hypot(a, b),
)
C = math.sqrt(2 / math.pi)
gelu = ag.primitive(  # the tanh approximation, as GPT-2 has it
    "gelu",
    lambda x: 0.5 * x * (1 + math.tanh(C * (x + 0.044715 * x**3))),
    lambda ops, x, out: (
        0.5 * (1 + ops.tanh(C * (x + 0.044715 * x**3)))
        + 0.5 * x * (1 - ops.tanh(C * (x + 0.044715 * x**3)) ** 2) * C * (1 + 3 * 0.044715 * x**2),
    ),  # fmt: skip
    array=lambda np, x: 0.5 * x * (1 + np.tanh(C * (x + 0.044715 * x**3))),
)
lerp = ag.primitive(  # three inputs: a + t (b - a)
    "lerp",
    lambda a, b, t: a + t * (b - a),
    lambda ops, a, b, t, out: (1 - t, t, b - a),
    array=lambda np, a, b, t: a + t * (b - a),
)
safe_log = ag.primitive(
    "safe_log",
    math.log,
    lambda ops, x, out: (1 / x,),
    array=lambda np, x: np.log(x),
    domain=(lambda x: x <= 0, "argument must be positive"),
)
wrong_softsign = ag.primitive(  # forgot the square
    "softsign",
    lambda x: x / (1 + abs(x)),
    lambda ops, x, out: (1 / (1 + abs(x)),),
)
no_array = ag.primitive("twice", lambda x: 2 * x, lambda ops, x, out: (2.0,))


def central(f, xs, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def softsign_dx(x):
    return 1 / (1 + abs(x)) ** 2


# --- values and first derivatives -----------------------------------------------------


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.25, 2.0])
def test_one_input_op_value_and_derivative_by_hand_and_by_differences(x):
    v = Value(x)
    y = softsign(v)
    y.backward()
    assert (y.op, y.parents, y.primitive) == ("softsign", (v,), softsign.primitive)
    assert y.data == x / (1 + abs(x))
    assert v.grad == pytest.approx(softsign_dx(x), rel=1e-15)
    assert v.grad == pytest.approx(central(lambda t: softsign(t).data, [x], 0), rel=1e-6)


@pytest.mark.parametrize("a, b", [(3.0, 4.0), (-1.0, 2.5), (0.3, -0.2)])
def test_two_input_op_value_and_derivatives_by_hand_and_by_differences(a, b):
    va, vb = Value(a), Value(b)
    c = hypot(va, vb)
    c.backward()
    r = math.hypot(a, b)
    assert c.data == r and c.op == "hypot" and c.parents == (va, vb)
    assert (va.grad, vb.grad) == pytest.approx((a / r, b / r), rel=1e-15)
    for i, grad in enumerate((va.grad, vb.grad)):
        assert grad == pytest.approx(central(lambda p, q: hypot(p, q).data, [a, b], i), rel=1e-6)


def test_numbers_among_the_inputs_become_constant_leaves():
    a = Value(3.0)
    c = hypot(a, 4)
    c.backward()
    assert c.data == 5.0 and a.grad == pytest.approx(0.6)
    assert c.parents[1].data == 4.0 and not c.parents[1].parents


def test_an_op_used_twice_in_one_graph_sums_both_paths():
    x = Value(0.7)
    y = softsign(x) * softsign(x) + softsign(softsign(x))
    y.backward()
    s, ds = 0.7 / 1.7, softsign_dx(0.7)
    assert x.grad == pytest.approx(2 * s * ds + softsign_dx(s) * ds, rel=1e-14)


def test_three_inputs():
    a, b, t = Value(1.0), Value(5.0), Value(0.25)
    y = lerp(a, b, t)
    y.backward()
    assert y.data == 2.0 and len(y.parents) == 3 and y.op == "lerp"
    assert (a.grad, b.grad, t.grad) == (0.75, 0.25, 4.0)


def test_under_no_grad_the_op_records_nothing():
    x = Value(1.0)
    with ag.no_grad():
        y = softsign(x)
    assert y.data == 0.5 and y.parents == () and y.op == ""


def test_domain_like_the_built_in_rows():
    assert safe_log(Value(math.e)).data == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"safe_log: argument must be positive, got -1.0"):
        safe_log(Value(-1.0))
    for by_level in (False, True):
        f = ag.compile(lambda v: safe_log(v[0]), 1, by_level=by_level)
        with pytest.raises(ValueError, match=r"safe_log: argument must be positive.*row 1"):
            f(np.array([[1.0], [-2.0]]))


def test_a_domain_error_may_be_any_exception():
    inverse = ag.primitive(
        "inverse", lambda x: 1 / x, lambda ops, x, out: (-out * out,),
        domain=(lambda x: x == 0, lambda x: ZeroDivisionError("inverse of 0")),
    )  # fmt: skip
    with pytest.raises(ZeroDivisionError, match="inverse of 0"):
        inverse(0.0)


def test_against_torch_autograd():
    torch = pytest.importorskip("torch")

    def torch_gelu(t):
        return torch.nn.functional.gelu(t, approximate="tanh")

    xs = [-2.0, -0.3, 0.0, 0.4, 1.7]
    for x in xs:
        v = Value(x)
        pairs = ((softsign, torch.nn.functional.softsign), (gelu, torch_gelu))
        for op, theirs in pairs:
            v.grad = 0.0
            y = op(v)
            y.backward()
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            out = theirs(t)
            out.backward()
            assert y.data == pytest.approx(out.item(), rel=1e-14, abs=1e-300)
            assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300)
    a = torch.tensor(-1.5, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    torch.hypot(a, b).backward()
    va, vb = Value(-1.5), Value(2.0)
    hypot(va, vb).backward()
    assert (va.grad, vb.grad) == pytest.approx((a.grad.item(), b.grad.item()), rel=1e-14)


# --- higher order and forward mode --------------------------------------------------------


def test_second_derivative_through_create_graph_by_hand():
    # softsign'' = -2 sign(x) / (1 + |x|)^3
    for x in (-1.5, 0.5, 2.0):
        v = Value(x)
        (d1,) = ag.grad(softsign(v), [v], create_graph=True)
        assert d1.data == pytest.approx(softsign_dx(x))
        (d2,) = ag.grad(d1, [v])
        assert d2 == pytest.approx(-2 * math.copysign(1, x) / (1 + abs(x)) ** 3, rel=1e-12)


def test_hessian_of_a_two_input_op_against_torch_func():
    torch = pytest.importorskip("torch")
    from torch.func import hessian

    def f(v):
        return hypot(v[0], v[1]) * softsign(v[0])

    ours = ag.hessian(f, [1.2, -0.7])
    theirs = hessian(lambda t: torch.hypot(t[0], t[1]) * torch.nn.functional.softsign(t[0]))(
        torch.tensor([1.2, -0.7], dtype=torch.float64)
    )
    assert np.allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_jvp_dual_jacobian_and_hvp():
    def f(v):
        return [hypot(v[0], v[1]), softsign(v[0] * v[1])]

    out, tangent = ag.jvp(f, [3.0, 4.0], [1.0, 0.0])
    assert out[0] == 5.0
    assert tangent[0] == pytest.approx(0.6)
    assert tangent[1] == pytest.approx(4.0 * softsign_dx(12.0))
    d = hypot(ag.Dual(3.0, 1.0), ag.Dual(4.0, 2.0))
    assert (d.value, d.tangent) == pytest.approx((5.0, 0.6 + 2 * 0.8))
    assert softsign(ag.Dual(1.0, 1.0)).tangent == 0.25
    J = ag.jacobian(f, [3.0, 4.0])
    assert np.allclose(J, [[0.6, 0.8], [4 * softsign_dx(12.0), 3 * softsign_dx(12.0)]])
    hv = ag.hvp(lambda v: hypot(v[0], v[1]), [3.0, 4.0], [1.0, 0.0])
    assert hv == pytest.approx([16 / 125, -12 / 125])  # (b², -ab) / r³


# --- the compiler ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.1, 3)), min_size=1, max_size=6))
def test_a_compiled_batch_equals_the_scalar_graph(rows):
    def fn(v):
        return gelu(hypot(v[0], v[1]) - softsign(v[0])) * v[1]

    X = np.array(rows, dtype=np.float64)
    for f in (ag.compile(fn, 2), ag.compile(fn, 2, fuse=False), ag.compile(fn, 2, by_level=True)):
        values, grads = f.backward(X, np.ones(len(X)))
        for row, value, grad in zip(rows, values, grads, strict=True):
            inputs = [Value(x) for x in row]
            y = fn(inputs)
            y.backward()
            assert value == pytest.approx(y.data, rel=1e-12, abs=1e-15)
            assert list(grad) == pytest.approx([x.grad for x in inputs], rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("by_level", [False, True])
def test_a_compiled_three_input_op(by_level):
    f = ag.compile(lambda v: lerp(v[0], v[1], v[2]), 3, by_level=by_level)
    values, grads = f.backward(np.array([[1.0, 5.0, 0.25], [0.0, 2.0, 0.5]]), np.ones(2))
    assert list(values) == [2.0, 1.0]
    assert grads.tolist() == [[0.75, 0.25, 4.0], [0.5, 0.5, 2.0]]


@pytest.mark.parametrize("by_level", [False, True])
def test_two_ops_of_one_name_stay_two_ops_when_compiled(by_level):
    f = ag.compile(lambda v: softsign(v[0]) + no_array_free(v[0]), 1, by_level=by_level)
    assert f(np.array([[1.0], [2.0]])).tolist() == [0.5 + 3.0, 2 / 3 + 6.0]


no_array_free = ag.primitive(  # a third op; named softsign too, computing 3x
    "softsign", lambda x: 3 * x, lambda ops, x, out: (3.0,), array=lambda np, x: 3 * x
)


def test_compiling_an_op_without_array_names_it():
    with pytest.raises(TypeError, match=r"compile: the op 'twice' has no forward on arrays"):
        ag.compile(lambda v: no_array(v[0]), 1)(np.array([[1.0]]))


# --- explain, drawings, the Studio, pickling -------------------------------------------------


def test_explain_draw_dot_and_the_studio_name_the_op():
    x = Value(2.0, label="x")
    y = hypot(softsign(x), 1.5)
    y.backward()
    text = str(ag.explain(y))
    assert "softsign" in text and "hypot" in text
    s = 2 / 3
    assert f"{s / math.hypot(s, 1.5):.6g}" in text  # hypot's local derivative
    assert "softsign" in ag.draw_dot(y).source and "hypot" in ag.draw_dot(y).source
    rec = record(y)
    assert [step["text"] for step in rec.forward] == [
        "n2 = softsign(x) = softsign(2) = 0.6667",
        "n3 = hypot(n2, n1) = hypot(0.6667, 1.5) = 1.641",
    ]
    backward_texts = [step["text"] for step in rec.backward["engine"]]
    assert any("∂n2/∂x" in t for t in backward_texts)


def test_the_studio_replays_a_new_leaf_value_through_the_op():
    x = Value(2.0, label="x")
    y = softsign(x) * 3
    studio = ag.studio(y)
    leaf = next(n["id"] for n in studio.recording.nodes if n["label"] == "x")
    studio.set_leaf(leaf, -1.0)
    nodes = {n["label"]: n for n in studio.recording.nodes}
    assert nodes["x"]["grad"] == pytest.approx(3 * softsign_dx(-1.0))


def test_pickling_finds_a_top_level_op_again():
    x = Value(1.0)
    y = hypot(softsign(x * 2), x) + 1
    z = pickle.loads(pickle.dumps(y))
    assert z.data == y.data
    assert z.parents[0].primitive is hypot.primitive
    assert pickle.loads(pickle.dumps(softsign)) is softsign


def test_pickling_an_op_that_cannot_be_found_again_is_a_clear_error():
    def make():
        return ag.primitive("inner", lambda x: 2 * x, lambda ops, x, out: (2.0,))

    y = make()(Value(1.0))
    with pytest.raises(TypeError, match=r"cannot pickle the op 'inner' made by ag.primitive.*"
                                        r"`inner = ag.primitive\(...\)`"):  # fmt: skip
        pickle.dumps(y)


# --- gradcheck says where ------------------------------------------------------------------


def test_gradcheck_names_the_learners_op_with_the_wrong_derivative():
    with pytest.raises(AssertionError) as caught:
        ag.gradcheck(lambda v: wrong_softsign(v[0] * 2).tanh(), [0.3])
    message = str(caught.value)
    assert "gradcheck failed at input 0" in message
    assert "the op 'softsign' disagrees with its own forward: at its inputs (0.6,)" in message
    assert f"is {1 / 1.6:.6g} by its formula but {1 / 1.6**2:.6g} by central" in message


def test_gradcheck_names_a_built_in_row_with_the_wrong_derivative():
    wrong_tanh = P.row("tanh", "x", "math.tanh(x)", "(1 - out,)", "np.tanh(x)")  # not out²
    with pytest.raises(AssertionError, match=r"the op 'tanh' disagrees .* inputs \(0.5,\)"):
        ag.gradcheck(lambda v: make_node(wrong_tanh, [v[0]]) * 2, [0.5])


def test_where_it_disagrees_holds_every_built_in_row_to_its_forward():
    x, y = Value(0.7), Value(1.3)
    z = ((x * y + 2) / y - x) ** 2 + (x.exp() + (1 - y).tanh() + y.log() + x.sigmoid()) * 3
    z = z + ag.dot([x, y], [y, x], 0.5) + x**y + (2**x) + x.sqrt() + x.sin() * x.cos()
    assert where_it_disagrees(z).startswith("every op's local derivative agrees")


def test_gradcheck_passes_on_correct_ops():
    assert ag.gradcheck(lambda v: hypot(gelu(v[0]), softsign(v[1])) + lerp(v[0], v[1], v[0]),
                        [0.4, -1.1])  # fmt: skip


# --- bad definitions are clear errors naming the op ---------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        (
            ("f", 3.0, lambda ops, x, out: (1.0,)),
            {},
            TypeError,
            "ag.primitive('f'): forward must be callable, got float",
        ),  # noqa: E501
        (("f", abs, "1"), {}, TypeError, "ag.primitive('f'): local must be callable, got str"),
        (("f", abs, lambda ops, x, out: (1.0,)), {"array": 1}, TypeError, "array must be callable"),  # noqa: E501
        (
            ("f", abs, lambda ops, out: ()),
            {},
            TypeError,
            "local must take ops, then one argument per input, then out",
        ),  # noqa: E501
        (("f", abs, lambda ops, *xs: ()), {}, TypeError, "local must take ops"),
        (
            ("f", lambda a, b: a, lambda ops, x, out: (1.0,)),
            {},
            TypeError,
            "local takes 1 input (local(ops, *xs, out)) but forward cannot be called with 1",
        ),  # noqa: E501
        (("", abs, lambda ops, x, out: (1.0,)), {}, ValueError, "name must be a non-empty string"),  # noqa: E501
        (
            ("tanh", abs, lambda ops, x, out: (1.0,)),
            {},
            ValueError,
            "'tanh' is a built-in op's name",
        ),  # noqa: E501
        (
            ("f", abs, lambda ops, x, out: (1.0,)),
            {"domain": (1, "x")},
            TypeError,
            "domain's outside must be callable",
        ),  # noqa: E501
        (
            ("f", abs, lambda ops, x, out: (1.0,)),
            {"domain": lambda x: x},
            TypeError,
            "domain must be a pair",
        ),  # noqa: E501
        (
            ("f", abs, lambda ops, x, out: (1.0,)),
            {"domain": (abs, 3)},
            TypeError,
            "domain's error must be callable or a message",
        ),  # noqa: E501
    ],
)
def test_bad_definitions(args, kwargs, error, words):
    with pytest.raises(error) as caught:
        ag.primitive(*args, **kwargs)
    assert words in str(caught.value)


def test_a_local_that_returns_the_wrong_number_of_derivatives():
    two = ag.primitive("two", lambda a, b: a * b, lambda ops, a, b, out: (b,))
    with pytest.raises(ValueError, match=r"two: local returned 1 derivative for 2 inputs"):
        two(Value(1.0), Value(2.0))
    three = ag.primitive("three", lambda x: x, lambda ops, x, out: (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match=r"three: local returned 3 derivatives for 1 input"):
        three(Value(1.0))


def test_a_bare_derivative_of_one_input_is_taken_as_a_one_tuple():
    double = ag.primitive("double", lambda x: 2 * x, lambda ops, x, out: 2)
    x = Value(1.5)
    y = double(x)
    y.backward()
    assert (y.data, x.grad) == (3.0, 2.0)
    (d,) = ag.grad(y, [x], create_graph=True)
    assert d.data == 2.0


def test_calls_with_the_wrong_inputs_name_the_op():
    with pytest.raises(TypeError, match=r"hypot: takes 2 inputs, got 1 \(Value\)"):
        hypot(Value(1.0))
    with pytest.raises(TypeError, match=r"softsign: takes 1 input, got 2"):
        softsign(1.0, 2.0)
    with pytest.raises(TypeError, match=r"softsign: input 0 must be a Value, a Dual or a real"):
        softsign("1")
    with pytest.raises(TypeError, match=r"hypot: cannot mix Values and Duals"):
        hypot(Value(1.0), ag.Dual(1.0))


def test_a_forward_or_local_that_returns_no_number_names_the_op():
    text = ag.primitive("text", lambda x: "x", lambda ops, x, out: (1.0,))
    with pytest.raises(TypeError, match=r"text: forward must return a real number, got str"):
        text(1.0)
    none = ag.primitive("none", lambda x: x, lambda ops, x, out: (None,))
    with pytest.raises(TypeError, match=r"none: local's derivative 0 must be a real number"):
        none(Value(1.0))


def test_an_arithmetic_error_in_the_forward_names_the_op():
    root = ag.primitive("root", math.sqrt, lambda ops, x, out: (0.5 / out,))
    with pytest.raises(ValueError, match=r"root: math domain error \(forward at -1.0\)"):
        root(-1.0)
