"""Compiled functions: the same numbers as the scalar engine, for a whole batch at once."""

from __future__ import annotations

import math
import random
import warnings
from operator import mul

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite.compiler import Tracer, TracingError, compile
from autograd_lite.training.objectives import objective
from autograd_lite.training.steps import CompiledStep, scalar_step
from graphs import programs, replay

ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": lambda v: v.leaky_relu(0.05),
    "linear": lambda v: v,
}


def make_mlp(sizes: list[int], activation: str, seed: int = 0):
    """(parameters, fn): an MLP written with Values directly, as nn would."""
    rng = random.Random(seed)
    layers = [
        (
            [[Value(rng.uniform(-1, 1)) for _ in range(a)] for _ in range(b)],
            [Value(0.1) for _ in range(b)],
        )
        for a, b in zip(sizes, sizes[1:], strict=False)
    ]
    act = ACTIVATIONS[activation]
    params = [p for W, bs in layers for row in W for p in row] + [b for _, bs in layers for b in bs]

    def fn(x):
        h = list(x)
        for i, (W, bs) in enumerate(layers):
            h = [sum(map(mul, row, h), b) for row, b in zip(W, bs, strict=True)]
            if i < len(layers) - 1:
                h = [act(v) for v in h]
        return h[0] if len(h) == 1 else h

    return params, fn


def scalar_reference(fn, X, params, reduction="mean", output=0):
    """The scalar engine on each row: (outputs, grads of the reduced output, input grads)."""
    for p in params:
        p.grad = 0.0
    outs, inputs, losses = [], [], []
    for row in X.tolist():
        xs = [Value(v) for v in row]
        out = fn(xs)
        outs.append([v.data for v in out] if isinstance(out, list) else out.data)
        losses.append(out[output] if isinstance(out, list) else out)
        inputs.append(xs)
    total = sum(losses[1:], losses[0])
    loss = total * (1.0 / len(X)) if reduction == "mean" else total
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    dX = [[x.grad for x in xs] for xs in inputs]
    return np.array(outs), np.array(grads), np.array(dX), loss.data


def assert_close(got, expected, rel=1e-12):
    """Equal to rel, with the absolute floor set by the largest entry (sums cancel)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    scale = np.nanmax(np.abs(expected)) if expected.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rel, atol=rel * max(scale, 1e-300))


def compiled_grads(compiled, X, params, **kwargs):
    for p in params:
        p.grad = 0.0
    loss, outputs = compiled.value_and_grad(X, **kwargs)
    grads = np.array([p.grad for p in params])
    for p in params:
        p.grad = 0.0
    return loss, outputs, grads


# --- the same numbers as the scalar engine ------------------------------------------


# Every activation fused and unfused at 1 and 7 rows; at 1,000 rows, fused all, unfused two.
MLP_CASES = [
    (activation, n, fuse)
    for activation in sorted(ACTIVATIONS)
    for n in (1, 7, 1000)
    for fuse in (True, False)
    if fuse or n < 1000 or activation in ("relu", "tanh")
]


@pytest.mark.parametrize("activation, n, fuse", MLP_CASES)
def test_mlp_outputs_and_gradients_equal_the_scalar_engines(activation, n, fuse):
    params, fn = make_mlp([3, 8, 6, 1], activation, seed=n)
    X = np.random.default_rng(n).normal(size=(n, 3))
    outs, grads, _, loss = scalar_reference(fn, X, params)
    compiled = compile(fn, 3, fuse=fuse)
    assert_close(compiled(X), outs)
    got_loss, got_outs, got_grads = compiled_grads(compiled, X, params)
    assert_close(got_outs, outs)
    assert_close(got_grads, grads)
    assert got_loss == pytest.approx(loss, rel=1e-12)


def test_fusion_turns_the_layers_of_an_mlp_into_a_few_instructions():
    params, fn = make_mlp([2, 16, 16, 1], "relu")
    compiled = compile(fn, 2, example=np.zeros((1, 2)))
    assert len(compiled.tape.batched_code) > 600
    assert len(compiled._program.code) <= 5  # three products, two activations


def test_a_loss_with_targets_as_extra_inputs_and_an_l2_penalty():
    params, model = make_mlp([2, 5, 1], "tanh")

    def loss(v):  # per sample: hinge with the label ±1 as input 2, plus 1e-3 Σ w²
        penalty = sum((w * w for w in params[1:]), params[0] * params[0]) * 1e-3
        return (1 - v[2] * model(v[:2])).relu() + penalty

    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=(50, 2)), rng.choice([-1.0, 1.0], 50)])
    for reduction in ("mean", "sum"):
        outs, grads, _, total = scalar_reference(loss, X, params, reduction)
        got_loss, got_outs, got_grads = compiled_grads(
            compile(loss, 3), X, params, reduction=reduction
        )
        assert_close(got_outs, outs)
        assert_close(got_grads, grads)
        assert got_loss == pytest.approx(total, rel=1e-12)


def every_primitive(v):
    """One output that uses every primitive of the table (valid for inputs in (0.2, 2))."""
    a, b = v
    w = WEIGHT
    return [
        (a * w + b).tanh() + (a - b).sigmoid() * (b / a) - (-a).exp() + (a * b).log(),
        a.sqrt() * (a**b) + (2**a) * (b**2.5) + (a**-1) + (a - 1).relu() + (b - 1).abs(),
        (a * w).sin() * (b - 1).leaky_relu(0.2) + (b * w).cos() + (w * w - a) ** 3,
    ]


WEIGHT = Value(0.7)


@pytest.mark.parametrize("fuse", [True, False])
def test_every_primitive_forward_and_backward(fuse):
    X = np.random.default_rng(5).uniform(0.2, 2.0, size=(40, 2))
    compiled = compile(every_primitive, 2, fuse=fuse)
    outs, grads, dX, _ = scalar_reference(every_primitive, X, [WEIGHT], output=1)
    assert_close(compiled(X), outs)
    _, _, got = compiled_grads(compiled, X, [WEIGHT], output=1)
    assert_close(got, grads)
    # backward with a seed for each output gives the inputs' gradients too
    seed = np.zeros((40, 3))
    seed[:, 2] = 1.0
    WEIGHT.grad = 0.0
    got_outs, got_dX = compiled.backward(X, seed)
    got_grad = WEIGHT.grad
    _, grads2, dX2, _ = scalar_reference(every_primitive, X, [WEIGHT], "sum", output=2)
    assert_close(got_outs, outs)
    assert_close(got_dX, dX2)
    assert got_grad == pytest.approx(grads2[0], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(programs(max_leaves=4, max_steps=20), st.integers(0, 2**32 - 1))
def test_random_graphs_equal_the_scalar_engine(program, seed):
    leaves, steps = program
    n_inputs = len(leaves)
    params = [Value(0.3), Value(-1.2)]

    def fn(xs):
        nodes = replay([*xs, *params], steps)
        return nodes[-1] + sum(nodes[n_inputs:-1], xs[0]) * 0.5

    rng = np.random.default_rng(seed)
    X = np.vstack([leaves, rng.uniform(-2, 2, size=(6, n_inputs))])
    outs, grads, _, _ = scalar_reference(fn, X, params, "sum")
    seed_grad = np.ones(len(X))
    for fuse in (True, False):
        for p in params:
            p.grad = 0.0
        got_outs, got_dX = compile(fn, n_inputs, fuse=fuse).backward(X, seed_grad)
        assert_close(got_outs, outs, rel=1e-11)
        assert_close([p.grad for p in params], grads, rel=1e-10)
        # the inputs' gradients, row by row, from the functional API
        for row, got_row in zip(X.tolist()[:2], got_dX[:2], strict=True):
            xs = [Value(v) for v in row]
            assert_close(got_row, ag.grad(fn(xs), xs), rel=1e-10)


# --- parameters and constants ---------------------------------------------------------


def test_linked_parameters_are_read_at_every_run():
    w, b = Value(2.0), Value(1.0)
    compiled = compile(lambda x: x[0] * w + b, 1)
    X = np.array([[1.0], [3.0]])
    assert compiled(X).tolist() == [3.0, 7.0]
    w.data, b.data = -1.0, 0.5  # e.g. an optimizer step
    assert compiled(X).tolist() == [-0.5, -2.5]
    assert compiled.parameters == [w, b]


def test_gradients_accumulate_into_grad_like_backward():
    w = Value(2.0)
    w.grad = 10.0
    compiled = compile(lambda x: x[0] * w * w, 1)
    X = np.array([[1.0], [2.0], [3.0]])
    loss, _ = compiled.value_and_grad(X, reduction="sum")
    assert loss == 24.0 and w.grad == 10.0 + 2 * 2.0 * 6.0
    compiled.value_and_grad(X, reduction="sum")
    assert w.grad == 10.0 + 2 * 24.0
    w.grad = 0.0
    compiled.value_and_grad(X)  # mean
    assert w.grad == pytest.approx(8.0)


def test_constants_made_inside_fn_are_baked_in():
    w = Value(3.0)

    def fn(x):
        return x[0] * Value(2.0) + w * 0.5 + Value(1.0).exp() * x[0]

    compiled = compile(fn, 1)
    assert compiled(np.array([[1.0]])).tolist() == pytest.approx([2.0 + 1.5 + math.e])
    assert compiled.parameters == [w]
    assert 2.0 in compiled.tape.constants and math.e in compiled.tape.constants  # e folded


def test_the_data_of_parameters_and_values_made_from_them_alone_may_be_read():
    w = Value(-2.0)

    def fn(x):
        scale = 1.0 if (w * w).data > 1 else 2.0  # reads no input: the same for all samples
        return x[0] * scale

    assert compile(fn, 1)(np.array([[4.0]])).tolist() == [4.0]


def test_nan_passes_through_as_in_the_scalar_engine():
    w = Value(2.0)
    compiled = compile(lambda x: (x[0] * w).sqrt().log(), 1)  # no domain error on nan
    got = compiled(np.array([[1.0], [math.nan]]))
    assert got[0] == math.log(math.sqrt(2.0)) and math.isnan(got[1])
    assert math.isnan((Value(math.nan) * w).sqrt().log().data)


def test_outputs_have_shape_n_or_n_k():
    X = np.ones((5, 2))
    assert compile(lambda x: x[0] + x[1], 2)(X).shape == (5,)
    assert compile(lambda x: [x[0] + x[1]], 2)(X).shape == (5, 1)
    assert compile(lambda x: (x[0], x[1].exp(), x[0] * 2), 2)(X).shape == (5, 3)
    assert compile(lambda x: x[1], 2)(np.array([[1.0, 2.0]])).tolist() == [2.0]


def test_value_and_grad_of_a_many_output_function_needs_output():
    w = Value(1.0)
    compiled = compile(lambda x: [x[0] * w, x[0] * w * 3], 1)
    with pytest.raises(ValueError, match="output="):
        compiled.value_and_grad(np.ones((2, 1)))
    loss, outputs = compiled.value_and_grad(np.ones((2, 1)), output=1)
    assert loss == 3.0 and outputs.shape == (2, 2) and w.grad == 3.0
    with pytest.raises(ValueError, match="value_and_grad: output must be at most 1, got 2"):
        compiled.value_and_grad(np.ones((2, 1)), output=2)
    with pytest.raises(ValueError, match="reduction"):
        compiled.value_and_grad(np.ones((2, 1)), reduction="max", output=0)
    with pytest.raises(ValueError, match="shaped like the outputs"):
        compiled.backward(np.ones((2, 1)), np.ones(2))


# --- errors like the scalar engine's ---------------------------------------------------


@pytest.mark.parametrize(
    "fn, X, error, words",
    [
        (lambda x: x[0].log(), [[1.0], [2.0], [0.5], [-1.0]], ValueError, ["log", "-1.0", "row 3"]),
        (lambda x: (x[0] - 1).sqrt(), [[2.0], [0.0]], ValueError, ["sqrt", "-1.0", "row 1"]),
        (lambda x: 1 / x[0], [[2.0], [3.0], [0.0]], ZeroDivisionError, ["/", "0.0", "row 2"]),
        (lambda x: x[0] ** -1, [[2.0], [0.0], [1.0]], ZeroDivisionError, ["**", "row 1"]),
        (lambda x: x[0] ** (1 / 3), [[8.0], [-8.0], [1.0]], ValueError, ["**", "-8.0", "row 1"]),
        (lambda x: x[0] ** x[1], [[2.0, 1.0], [-2.0, 1.0], [1, 1]], ValueError, ["**", "row 1"]),
        (lambda x: (x[0] * 1e300).sin(), [[1.0], [1e10], [2]], ValueError, ["sin", "inf", "row 1"]),
    ],
)
def test_domain_errors_name_the_op_the_value_and_the_row(fn, X, error, words):
    with pytest.raises(error) as caught:
        compile(fn, len(X[0]))(np.array(X, dtype=float))
    for word in words:
        assert word in str(caught.value)


def test_a_domain_error_on_a_traced_row_says_so():
    with pytest.raises(ValueError, match=r"log: .* -1.0 \(row 0, while tracing fn\)"):
        compile(lambda x: x[0].log(), 1)(np.array([[-1.0], [2.0]]))


def test_a_domain_error_in_a_shared_op_is_the_scalar_error():
    w = Value(-1.0)
    with pytest.raises(ValueError, match=r"^log: argument must be positive, got -1.0"):
        compile(lambda x: x[0] * w.log(), 1)(np.ones((3, 1)))


def test_overflow_and_saturation_as_the_scalar_engine_without_warnings():
    def fn(x):
        return [x[0].exp(), x[0].sigmoid(), x[0].tanh(), (-x[0]).sigmoid(), x[0] * x[0] * 1e300]

    X = np.array([[800.0], [-1000.0], [1000.0], [0.0]])
    outs, _, _, _ = scalar_reference(fn, X, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = compile(fn, 1)
        got = compiled(X)
        _, dX = compiled.backward(X, np.ones((4, 5)))
    np.testing.assert_array_equal(got, outs)
    assert got[0, 0] == math.inf and got[1, 1] == 0.0 and got[2, 2] == 1.0
    assert dX[2, 0] == math.inf  # exp'(1000) = inf, tanh'(1000) = 0, sigmoid' = 0


# --- what cannot be traced -------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x: x[0] if x[0].data > 0 else -x[0], ".data"),
        (lambda x: x[0] * float(x[1] * 2), "float()"),
        (lambda x: x[0] if x[0] < x[1] else x[1], "(<)"),
        (lambda x: max(x, key=lambda v: v.item()), ".item()"),
        (lambda x: x[0] * (x[1] >= 1), "(>=)"),
        (lambda x: x[0] + (x[0] * 2).detach(), "detach"),
        (lambda x: x[0] * (x[1] * 2).local_grads[0], "local derivatives"),
    ],
)
def test_reading_the_number_of_a_traced_value_is_a_tracing_error(fn, words):
    with pytest.raises(TracingError, match="depends on the inputs") as caught:
        compile(fn, 2)(np.array([[1.0, 2.0], [-1.0, 0.5]]))
    assert words in str(caught.value)
    assert "relu" in str(caught.value)  # the way out


def test_reads_are_caught_however_an_op_is_called():
    # nn applies activations as Value.relu(v), unbound: the node is still a Tracer.
    def fn(x):
        h = Value.relu(x[0] * 2)
        return h if h.data > 0 else -h

    with pytest.raises(TracingError, match=r"\.data"):
        compile(fn, 1)(np.array([[1.0]]))


def test_the_two_traced_rows_must_give_the_same_graph():
    def branchy(x):  # reads the number by a route the stand-ins cannot see
        return x[0].relu() if x[0]._data > 0 else x[0].tanh()

    with pytest.raises(TracingError, match=r"different graphs for two samples \(rows 0 and 1\)"):
        compile(branchy, 1)(np.array([[1.0], [-1.0]]))
    noisy = compile(lambda x: x[0] * random.random(), 1)
    with pytest.raises(TracingError, match="random number"):
        noisy(np.array([[1.0], [2.0]]))


def alternating(first, second):
    """A function that is ``first`` on its 1st, 3rd, ... call and ``second`` on the others."""
    calls = []

    def fn(x):
        calls.append(None)
        return (first if len(calls) % 2 else second)(x)

    return fn


@pytest.mark.parametrize(
    "first, second, difference",
    [
        (lambda x: x[0].tanh(), lambda x: x[0].exp(), "an op 'tanh' is 'exp' in the other graph"),
        (lambda x: x[0] * x[1].tanh(), lambda x: x[0] * x[1], "an op 'tanh' is 'a leaf'"),
        (lambda x: x[0] * Value(2.0), lambda x: x[0] * (x[1] * 2), "a leaf is an op '*'"),
        (lambda x: ag.sum([x[0], x[1]]), lambda x: ag.sum([x[0], x[1], x[0]]), "an op 'sum'"),
        (  # one node used twice in the first trace, two equal nodes in the second
            lambda x: (lambda h: h * h)(x[0] * 3),
            lambda x: (x[0] * 3) * (x[0] * 3),
            "a node used twice in one graph is two nodes in the other",
        ),
    ],
)
def test_two_traces_that_differ_name_where(first, second, difference):
    from autograd_lite.compiler.tape import build_tape

    with pytest.raises(TracingError) as caught:
        build_tape(alternating(first, second), [1.0, 2.0], [3.0, 4.0], rows=(2, 7))
    message = str(caught.value)
    assert message.startswith("fn built different graphs for two samples (rows 2 and 7): ")
    assert difference in message


def test_two_traces_that_use_the_inputs_differently_are_a_tracing_error():
    from autograd_lite.compiler.tape import build_tape

    swaps = alternating(lambda x: x[0] - x[1], lambda x: x[1] - x[0])
    with pytest.raises(TracingError, match="^fn used its inputs differently on two samples$"):
        build_tape(swaps, [1.0, 2.0], [3.0, 4.0])


def test_ops_under_no_grad_are_counted_once_each():
    w = Value(0.5)

    def fn(x):
        with ag.no_grad():  # three unrecorded nodes, each used more than once
            u = x[0] * 2
            v = u + x[1]
            z = ag.dot([u, v, w], [v, x[0], u])
        return x[0] * z + v * u + x[1]

    with pytest.raises(TracingError, match=r"^fn ran 3 op\(s\) under ag\.no_grad\(\)"):
        compile(fn, 2)(np.ones((2, 2)))


def test_other_untraceable_things_are_clear_errors():
    with pytest.raises(TracingError, match="no_grad"):

        def under_no_grad(x):
            with ag.no_grad():
                return x[0] * 2

        compile(under_no_grad, 1)(np.ones((2, 1)))
    with pytest.raises(TracingError, match="backward"):
        compile(lambda x: x[0].backward(), 1)(np.ones((2, 1)))
    outside = Value(2.0) * 3
    with pytest.raises(TracingError, match="computed before the call"):
        compile(lambda x: x[0] * outside, 1)(np.ones((2, 1)))
    w = Value(1.0)
    with pytest.raises(TracingError, match="output 1 does not depend on the inputs"):
        compile(lambda x: [x[0], w * 2], 1)(np.ones((2, 1)))


def test_fn_must_return_values():
    X = np.ones((2, 1))
    with pytest.raises(TypeError, match="got str"):
        compile(lambda x: "loss", 1)(X)
    with pytest.raises(TypeError, match="output 1 must be a Value, got float"):
        compile(lambda x: [x[0], 2.0], 1)(X)
    with pytest.raises(ValueError, match="empty list"):
        compile(lambda x: [], 1)(X)


def test_bad_batches_and_arguments_are_clear_errors():
    compiled = compile(lambda x: x[0] + x[1], 2)
    with pytest.raises(ValueError, match=r"shape \(n, 2\).*got shape \(2,\).*reshape"):
        compiled(np.ones(2))
    with pytest.raises(ValueError, match=r"shape \(n, 2\).*got shape \(4, 3\)"):
        compiled(np.ones((4, 3)))
    with pytest.raises(ValueError, match="no rows"):
        compiled(np.ones((0, 2)))
    with pytest.raises(TypeError, match="array of real numbers"):
        compiled([["a", "b"]])
    with pytest.raises(RuntimeError, match="not been traced"):
        compiled.tape  # noqa: B018
    with pytest.raises(ValueError, match="n_inputs"):
        compile(lambda x: x[0], 0)
    with pytest.raises(TypeError, match="callable"):
        compile("fn", 1)  # type: ignore[arg-type]


def test_the_tape_reads_as_a_program():
    w = Value(0.5)
    compiled = compile(lambda x: (x[0] * w + x[1]).tanh() + w * w, 2, example=[[1.0, 2.0]])
    listing = compiled.tape.listing()
    assert "u1 = p0 * p0" in listing and "tanh(v" in listing and listing.endswith("return v7")
    assert "1 linked" in repr(compiled)
    assert repr(Tracer(1.0, label="x0")) == "Tracer(x0)"


def test_the_module_docstring_example_runs():
    import doctest

    from autograd_lite import compiler

    results = doctest.testmod(
        compiler, extraglobs={"np": np, "Value": Value}, optionflags=doctest.ELLIPSIS
    )
    assert results.attempted >= 5 and results.failed == 0


def test_a_tracer_that_outlives_its_trace_behaves_as_a_value():
    kept = []

    def fn(x):
        y = x[0] * 2
        kept.append(y)
        return y

    compile(fn, 1)(np.array([[1.5], [2.0]]))
    leaked = kept[0]
    assert isinstance(leaked, Tracer) and leaked.data == 3.0 and float(leaked) == 3.0
    leaked.backward()
    assert leaked.parents[0].grad == 2.0


def test_compile_is_the_packages_compile():
    assert ag.compile is compile


# --- with the real nn and train --------------------------------------------------------


def test_compiling_an_nn_mlp():
    nn = pytest.importorskip("autograd_lite.nn")
    model = nn.MLP(2, [8, 8, 3], activation="tanh", seed=1)
    X = np.random.default_rng(0).normal(size=(20, 2))
    compiled = compile(model, 2)
    expected = [[v.data for v in model(row)] for row in X.tolist()]
    assert_close(compiled(X), expected)
    assert set(compiled.parameters) == set(model.parameters())


@pytest.mark.parametrize(
    "loss, nouts",
    [("hinge", [8, 1]), ("mse", [8, 1]), ("sse", [8, 1]), ("mse", [6, 3]), ("sse", [6, 3])],
)
def test_compiled_step_takes_the_same_steps_as_train_step(loss, nouts):
    nn = pytest.importorskip("autograd_lite.nn")
    pytest.importorskip("autograd_lite.training.train")
    optim = pytest.importorskip("autograd_lite.training.optim")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = rng.integers(0, nouts[-1] if nouts[-1] > 1 else 2, 30)
    models = [nn.MLP(2, nouts, seed=4) for _ in range(2)]
    optimizers = [optim.SGD(m.parameters(), lr=0.1, momentum=0.5) for m in models]
    goal = objective(loss)
    step = CompiledStep()
    for _ in range(3):
        expected = scalar_step(models[0], goal, optimizers[0], X.tolist(), y.tolist(), 1e-3)
        got = step(models[1], goal, optimizers[1], X.tolist(), y.tolist(), 1e-3)
        assert got[0] == pytest.approx(expected[0], rel=1e-12) and got[1] == expected[1]
        for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
            assert b.data == pytest.approx(a.data, rel=1e-12, abs=1e-14)


def test_fit_compiled_reproduces_the_scalar_loss_curve():
    nn = pytest.importorskip("autograd_lite.nn")
    train = pytest.importorskip("autograd_lite.training.train")
    data = pytest.importorskip("autograd_lite.training.data")
    X, y = data.make_moons(60, seed=2)
    kwargs = {"loss": "hinge", "epochs": 4, "batch_size": 16, "l2": 1e-4, "progress": False}
    scalar_model, compiled_model = nn.MLP(2, [8, 8, 1], seed=3), nn.MLP(2, [8, 8, 1], seed=3)
    expected = train.fit(scalar_model, X, y, compiled=False, **kwargs)
    got = train.fit(compiled_model, X, y, compiled=True, **kwargs)
    assert got.loss == pytest.approx(expected.loss, rel=1e-12)
    assert got.accuracy == expected.accuracy


def test_fit_by_default_compiles_and_falls_back_when_it_cannot(monkeypatch):
    train = pytest.importorskip("autograd_lite.training.train")
    nn = pytest.importorskip("autograd_lite.nn")
    data = pytest.importorskip("autograd_lite.training.data")
    X, y = data.make_moons(40, seed=1)
    calls = {"compiled": 0, "scalar": 0}
    compiled_call = CompiledStep.__call__

    def counting_compiled(self, *args):
        calls["compiled"] += 1
        return compiled_call(self, *args)

    def counting_scalar(*args):
        calls["scalar"] += 1
        return scalar_step(*args)

    monkeypatch.setattr(CompiledStep, "__call__", counting_compiled)
    monkeypatch.setattr(train, "scalar_step", counting_scalar)
    train.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=3, progress=False)
    assert calls == {"compiled": 3, "scalar": 0}
    # bce and cross_entropy compile now (softplus is a primitive)
    calls.update(compiled=0, scalar=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="bce", epochs=3, progress=False)
        train.fit(nn.MLP(2, [4, 2], seed=0), X, y, loss="cross_entropy", epochs=3, progress=False)
    assert calls == {"compiled": 6, "scalar": 0}

    class Branchy:  # a model that reads its numbers cannot be traced: fit falls back
        def __init__(self):
            self.mlp = nn.MLP(2, [4, 1], seed=0)

        def parameters(self):
            return self.mlp.parameters()

        def __call__(self, x):
            out = self.mlp(x)
            return out if out.data > 0 else out * 0.5

    calls.update(compiled=0, scalar=0)
    with pytest.warns(RuntimeWarning, match="scalar graph"):
        history = train.fit(Branchy(), X, y, loss="hinge", epochs=3, progress=False)
    assert calls == {"compiled": 1, "scalar": 3} and len(history.loss) == 3
    with pytest.raises(TracingError):
        train.fit(Branchy(), X, y, loss="hinge", epochs=1, compiled=True, progress=False)


def test_compiled_step_refuses_what_it_cannot_trace_or_reduce():
    nn = pytest.importorskip("autograd_lite.nn")
    pytest.importorskip("autograd_lite.training.train")
    optim = pytest.importorskip("autograd_lite.training.optim")
    model = nn.MLP(2, [4, 1], seed=0)
    sgd = optim.SGD(model.parameters(), lr=0.1)
    X, y = [[0.5, 1.0], [1.0, -0.5]], [0, 1]

    def branchy(outputs, labels):  # picks a branch by the number: cannot be traced
        return outputs[0] if outputs[0].data > 0 else -outputs[0]

    with pytest.raises(TracingError, match=r"\.data"):
        CompiledStep("mean")(model, objective(branchy), sgd, X, y)

    def custom(outputs, labels):
        return sum(outputs[1:], outputs[0])

    with pytest.raises(ValueError, match="reduction="):
        CompiledStep()(model, objective(custom), sgd, X, y)
    CompiledStep("sum")(model, objective(custom), sgd, X, y)


def test_compiled_step_names_the_row_of_the_batch():
    optim = pytest.importorskip("autograd_lite.training.optim")
    pytest.importorskip("autograd_lite.training.train")
    w = Value(1.0)

    class LogModel:
        def __call__(self, x):
            return (x[0] * w).log()

        def parameters(self):
            return [w]

    X = [[1.0], [2.0], [3.0], [4.0], [-5.0], [6.0]]
    y = [0, 1, 0, 1, 1, 0]  # row 4 is the second row of label 1's tape
    with pytest.raises(ValueError, match=r"log: .*-5.0 \(row 4 of the batch\)"):
        CompiledStep()(LogModel(), objective("mse"), optim.SGD([w], lr=0.1), X, y)


@pytest.mark.parametrize("loss, outputs", [("bce", 1), ("cross_entropy", 3)])
def test_bce_and_cross_entropy_train_compiled_with_the_scalar_gradients(loss, outputs):
    nn = pytest.importorskip("autograd_lite.nn")
    optim = pytest.importorskip("autograd_lite.training.optim")
    X = np.array([[0.5, 1.0], [1.0, -0.5], [-2.0, 0.3], [0.1, 0.1]])
    y = [0, 1, 1, 0] if outputs == 1 else [0, 1, 2, 1]
    models = [nn.MLP(2, [5, outputs], seed=2) for _ in range(2)]
    opts = [optim.SGD(m.parameters(), lr=0.1) for m in models]
    expected = scalar_step(models[0], objective(loss), opts[0], X.tolist(), y)
    got = CompiledStep()(models[1], objective(loss), opts[1], X, y)
    assert got[1] == expected[1] and got[0] == pytest.approx(expected[0], rel=1e-12)
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    "X, error, words",
    [
        ([[1 + 2j], [2.0]], TypeError, "X must be an array of real numbers.*complex numbers"),
        ([["1.5"], ["2"]], TypeError, "X must be an array of real numbers.*strings"),
        (np.array([[1.0], ["a"]], dtype=object), TypeError, "it holds a str"),
        ([[10**400], [1]], ValueError, "X holds an integer beyond the range of a float"),
    ],
)
def test_compiled_functions_refuse_what_is_not_a_real_number(X, error, words):
    f = compile(lambda x: x[0] * 2, 1)
    with pytest.raises(error, match=words):
        f(X)


def test_compiled_step_with_an_optimizer_of_some_parameters_matches_the_scalar_step():
    nn = pytest.importorskip("autograd_lite.nn")
    optim = pytest.importorskip("autograd_lite.training.optim")
    X = np.array([[0.5, 1.0], [1.0, -0.5], [-2.0, 0.3]])
    y = [0, 1, 1]
    models = [nn.MLP(2, [3, 1], seed=5) for _ in range(2)]
    # only the last layer is trained; the first layer's gradients still accumulate
    opts = [optim.SGD(m.layers[-1].parameters(), lr=0.1) for m in models]
    for _ in range(2):
        expected = scalar_step(models[0], objective("hinge"), opts[0], X.tolist(), y, 1e-3)
        got = CompiledStep()(models[1], objective("hinge"), opts[1], X, y, 1e-3)
        assert got[0] == pytest.approx(expected[0], rel=1e-12) and got[1] == expected[1]
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-15)
        assert q.grad == pytest.approx(p.grad, rel=1e-12, abs=1e-15)


def test_an_op_of_a_value_and_a_tracer_is_a_tracer_on_either_side():
    from autograd_lite.compiler.tracer import Trace

    x, w = Tracer.input(0.5, 0, Trace()), Value(2.0)
    made = [
        w + x, x + w, w - x, x - w, w * x, x * w, w / x, x / w, w**x, x**w,
        x * 3, 3 - x, 2**x, x**2, x.tanh(), Value.relu(x), -x, sum([w, x]),
    ]  # fmt: skip
    assert all(type(v) is Tracer for v in made)
    assert type(w * w) is Value and type(w * 3) is Value  # no Tracer, no Tracer made


def test_a_compiled_step_keeps_its_tapes_for_wide_inputs():
    nn = pytest.importorskip("autograd_lite.nn")
    optim = pytest.importorskip("autograd_lite.training.optim")
    width = 300  # beyond the small ints Python caches: the width is compared by value
    model = nn.MLP(width, [2, 1], seed=0)
    step, sgd = CompiledStep(), optim.SGD(model.parameters(), lr=0.01)
    X = np.random.default_rng(0).normal(size=(4, width))
    step(model, objective("hinge"), sgd, X, [0, 1, 0, 1])
    tapes = dict(step._tapes)
    step(model, objective("hinge"), sgd, X, [0, 1, 0, 1])
    assert step._tapes == tapes and all(step._tapes[k] is tapes[k] for k in tapes)


def test_traces_whose_sums_differ_in_length_are_a_tracing_error():
    def fn(x):
        n = 2 if random.random() < 0.5 else 3
        return ag.sum([x[0]] * n)

    random.seed(3)
    with pytest.raises(TracingError, match="different graphs"):
        for _ in range(10):  # some pair of traces takes different lengths
            compile(fn, 1)(np.array([[1.0], [2.0]]))


def test_a_failed_compiled_step_leaves_nothing_for_the_next():
    optim = pytest.importorskip("autograd_lite.training.optim")
    bad = np.array([[1.0, 2.0], [0.5, -1.0]])  # log(-1) in the second row (class 1)
    good = np.array([[1.0, 2.0], [0.5, 3.0]])
    grads = []
    for fail_first in (True, False):
        c, w = Value(0.5, label="c"), Value(0.3, label="w")  # c is not optimized

        class Model:
            def parameters(self, c=c, w=w):
                return [c, w]

            def __call__(self, x, c=c, w=w):
                return [c * x[0] + w, x[1].log() * w]

        model = Model()
        sgd, step = optim.SGD([w], lr=0.1), CompiledStep("mean")
        if fail_first:
            with pytest.raises(ValueError, match="log"):
                step(model, objective("cross_entropy"), sgd, bad, [0, 1])
            c.grad = 0.0
        step(model, objective("cross_entropy"), sgd, good, [0, 1])
        grads.append(c.grad)
    assert grads[0] == grads[1] != 0.0


def test_a_fused_sum_that_reads_one_input_twice_adds_both_gradients():
    ws = [Value(0.1 * (k + 1)) for k in range(6)]

    def fn(x):  # a layer of two sums over inputs (x0, x0, x1): x0 appears twice
        a = ws[0] * x[0] + ws[1] * x[0] + ws[2] * x[1] + 0.5
        b = ws[3] * x[0] + ws[4] * x[0] + ws[5] * x[1] - 0.5
        return (a.tanh() * b.tanh()).relu() + a * b

    X = np.array([[0.3, -0.7], [1.2, 0.4], [-0.5, 0.9]])
    _, dX = compile(fn, 2).backward(X, np.ones(3))
    for row, grads in zip(X.tolist(), dX, strict=True):
        xs = [Value(v) for v in row]
        assert grads.tolist() == pytest.approx(ag.grad(fn(xs), xs), rel=1e-12)


def test_tracing_pauses_the_cycle_collector_and_switches_it_back_on():
    import gc

    seen = []

    def fn(x):
        seen.append(gc.isenabled())
        return x[0] * 2.0

    assert gc.isenabled()
    compile(fn, 1)(np.ones((3, 1)))
    assert seen == [False, False] and gc.isenabled()  # paused during the two traces only

    def fails(x):
        raise KeyError("a function that fails while traced")

    with pytest.raises(KeyError):
        compile(fails, 1)(np.ones((1, 1)))
    assert gc.isenabled()
