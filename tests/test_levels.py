"""The level schedule, ``compile(fn, n_inputs, by_level=True)`` (:mod:`.compiler.levels`).

Every number is checked against a truth computed another way: the scalar engine
(``Value.backward`` on each sample's own graph of Values), central differences, the
default schedule (the interpreter), and PyTorch where it is installed.

The cases aim at what this schedule does that the interpreter does not: it runs all
instructions of one level and one primitive as one numpy call (so different parameters,
``x ** 2`` and ``x ** 3``, must keep them apart), pads dots and sums of different
lengths with a zero row within power-of-two buckets, and takes each slot's gradient as a
segment sum of the edges pointing at it (slots used twice, outputs seeded twice, outputs
that are inputs, inputs nobody uses).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, optim
from autograd_lite.compiler import compile
from autograd_lite.nn import GPT
from autograd_lite.training.gpt import CompiledStep, scalar_step
from conftest import central_difference
from graphs import OPS, output_of, programs, replay

REL = 1e-10  # rounding only: the schedule adds the terms of sums in another order

# --- helpers -------------------------------------------------------------------------


def by_level(fn, n_inputs):
    return compile(fn, n_inputs, by_level=True)


def zero_grads(params):
    for p in params:
        p.grad = 0.0


def as_outputs(out):
    return list(out) if isinstance(out, list | tuple) else [out]


def scalar_reference(fn, X, params, seeds):
    """The scalar engine, one graph per sample: (outputs, d Σ seeds·outputs / d params, / d X).

    ``seeds`` is shaped like the outputs: (n,) for a Value, (n, k) for a list of k; each
    output of each sample runs ``backward(seed)``, which adds into ``.grad``.
    """
    zero_grads(params)
    outputs, dX = [], []
    for row, seed in zip(X.tolist(), np.reshape(seeds, (len(X), -1)).tolist(), strict=True):
        xs = [Value(v) for v in row]
        outs = as_outputs(fn(xs))
        for out, s in zip(outs, seed, strict=True):
            out.backward(s)
        outputs.append([out.data for out in outs])
        dX.append([x.grad for x in xs])
    grads = np.array([p.grad for p in params])
    zero_grads(params)
    return np.array(outputs).reshape(np.shape(seeds)), grads, np.array(dX)


def compiled_backward(compiled, X, params, seeds):
    """``compiled.backward``: (outputs, the parameters' gradients it added, input gradients)."""
    zero_grads(params)
    outputs, dX = compiled.backward(X, seeds)
    grads = np.array([p.grad for p in params])
    zero_grads(params)
    return outputs, grads, dX


def assert_close(got, expected, rel=REL):
    """Equal to ``rel`` relative, with an absolute floor of ``rel`` times the largest
    finite entry (sums of terms of both signs may cancel to near 0)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    finite = np.abs(expected[np.isfinite(expected)])
    scale = finite.max() if finite.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rel, atol=rel * max(scale, 1e-300))


def check_against_scalar(fn, X, params, seeds=None, rel=REL):
    """The level schedule's outputs and gradients equal the scalar engine's; returns the
    compiled function (for further checks)."""
    compiled = by_level(fn, X.shape[1])
    if seeds is None:  # random seeds, shaped like the outputs
        out = fn([Value(v) for v in X[0].tolist()])
        shape = (len(X), len(out)) if isinstance(out, list | tuple) else (len(X),)
        seeds = np.random.default_rng(0).normal(size=shape)
    outputs, grads, dX = scalar_reference(fn, X, params, seeds)
    assert_close(compiled(X), outputs, rel)
    got_outputs, got_grads, got_dX = compiled_backward(compiled, X, params, seeds)
    assert_close(got_outputs, outputs, rel)
    assert_close(got_grads, grads, rel)
    assert_close(got_dX, dX, rel)
    return compiled


def parameter_differences(compiled, X, params, seeds, h=1e-6):
    """d Σ seeds·outputs / d p for each parameter, by central differences of the compiled
    function (which reads the parameters' ``.data`` at every run)."""
    grads = []
    for p in params:
        start = p.data

        def objective(v, p=p):
            p.data = v
            return float(np.sum(seeds * compiled(X)))

        grads.append(central_difference(objective, start, h))
        p.data = start
    return np.array(grads)


def one_hot(batch, vocab):
    """One row per token list: each token as ``vocab`` numbers, as CompiledStep feeds it."""
    length = len(batch[0])
    rows = np.zeros((len(batch), length * vocab))
    for i, tokens in enumerate(batch):
        rows[i, np.arange(length) * vocab + np.asarray(tokens)] = 1.0
    return rows


# --- 1. random graphs ----------------------------------------------------------------


@st.composite
def level_programs(draw):
    """(leaf values, number of them that are parameters, steps, wide sums, output pick).

    The steps are :mod:`graphs`' random DAG; the wide sums are dots of 0 to 20 terms
    (with a bias or without; no terms and a bias is the bias alone) and sums of 1 to 20
    terms, on any of its nodes, so that several lengths meet at one level and fall into
    one bucket or several.
    """
    leaves, steps = draw(programs(max_leaves=5, max_steps=20))
    n_params = draw(st.integers(0, min(2, len(leaves) - 1)))
    node = st.integers(0, len(leaves) + len(steps) - 1)
    wide = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["dot", "dot+bias", "sum"]), st.lists(node, min_size=1, max_size=41)
            ),
            max_size=5,
        )
    )
    pick = draw(st.integers(0, 10**6))
    return leaves, n_params, steps, wide, pick


def wide_sum(kind, nodes):
    """A dot (``kind`` "dot" or "dot+bias") or a sum over ``nodes``."""
    if kind == "sum":
        return ag.sum(nodes[: max(1, len(nodes) // 2)])
    n = len(nodes) // 2
    return ag.dot(nodes[:n], nodes[n : 2 * n], nodes[-1] if kind == "dot+bias" else 0.0)


@settings(max_examples=40, deadline=None)
@given(level_programs(), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_random_graphs_outputs_and_gradients_equal_the_scalar_engines(program, n, seed):
    leaves, n_params, steps, wide, pick = program
    n_inputs = len(leaves) - n_params
    params = [Value(v) for v in leaves[n_inputs:]]  # linked: read at every run

    def fn(xs):
        nodes = replay([*xs, *params], steps)
        nodes += [wide_sum(kind, [nodes[i] for i in idx]) * 0.5 for kind, idx in wide]
        main = output_of(nodes, len(leaves)) + ag.sum(xs) * 0.5
        return [main, nodes[pick % len(nodes)] * xs[-1]]  # two outputs, both on the inputs

    rng = np.random.default_rng(seed)
    X = np.vstack([leaves[:n_inputs], rng.uniform(-2, 2, size=(n, n_inputs))])
    seeds = rng.normal(size=(len(X), 2))
    compiled = check_against_scalar(fn, X, params, seeds)
    # value_and_grad: the mean of output 0 over the batch
    mean_seeds = np.zeros((len(X), 2))
    mean_seeds[:, 0] = 1.0 / len(X)
    outputs, grads, _ = scalar_reference(fn, X, params, mean_seeds)
    zero_grads(params)
    loss, got_outputs = compiled.value_and_grad(X, output=0)
    assert_close([p.grad for p in params], grads)
    assert_close(got_outputs, outputs)
    assert loss == pytest.approx(np.mean(outputs[:, 0]), rel=REL, abs=REL)


# --- 2. outputs, inputs and parameters -----------------------------------------------


def test_several_outputs_each_take_their_own_seed():
    w = Value(0.7)

    def fn(x):
        h = (x[0] * w + x[1]).tanh()
        return [h * x[2], (h + x[0]).exp(), x[1] * x[2] * w]

    X = np.random.default_rng(1).uniform(-1, 1, size=(5, 3))
    seeds = np.random.default_rng(2).normal(size=(5, 3))
    compiled = check_against_scalar(fn, X, [w], seeds)
    # the inputs' gradients once more, by central differences on the compiled function
    _, dX = compiled.backward(X, seeds)
    for i, k in [(0, 0), (3, 1), (4, 2)]:

        def objective(v, i=i, k=k):
            Y = X.copy()
            Y[i, k] = v
            return float(np.sum(seeds[i] * compiled(Y)[i]))

        assert dX[i, k] == pytest.approx(central_difference(objective, X[i, k]), rel=1e-7)


def test_a_value_returned_twice_gets_both_seeds():
    w = Value(-0.4)

    def fn(x):
        y = (x[0] * w).sin() + x[1]
        return [y, x[1] * 2.0, y]

    X = np.random.default_rng(3).normal(size=(4, 2))
    seeds = np.random.default_rng(4).normal(size=(4, 3))
    check_against_scalar(fn, X, [w], seeds)
    # by hand: dy/dx1 = 1, so x1's gradient is seed0 + 2·seed1 + seed2
    _, dX = by_level(fn, 2).backward(X, seeds)
    assert_close(dX[:, 1], seeds[:, 0] + 2.0 * seeds[:, 1] + seeds[:, 2])


def test_an_output_that_is_an_input_passes_its_seed_to_that_input():
    w = Value(1.5)

    def fn(x):
        return [x[0], x[0] * x[1] * w, x[1]]

    X = np.random.default_rng(5).normal(size=(3, 2))
    seeds = np.random.default_rng(6).normal(size=(3, 3))
    compiled = check_against_scalar(fn, X, [w], seeds)
    outputs, dX = compiled.backward(X, seeds)
    assert_close(outputs[:, 0], X[:, 0])
    assert_close(dX[:, 0], seeds[:, 0] + seeds[:, 1] * X[:, 1] * 1.5)


def test_an_input_the_function_does_not_use_has_gradient_zero():
    w = Value(0.3)

    def fn(x):
        return (x[0] * w).tanh() + x[2] ** 2

    X = np.random.default_rng(7).normal(size=(4, 3))
    compiled = check_against_scalar(fn, X, [w], np.ones(4))
    _, dX = compiled.backward(X, np.ones(4))
    assert np.all(dX[:, 1] == 0.0)
    assert np.all(dX[:, 0] != 0.0) and np.all(dX[:, 2] != 0.0)


def test_ops_on_parameters_alone_feed_per_sample_ops():
    w, b = Value(0.8), Value(-0.3)
    params = [w, b]

    def fn(x):
        ww = w * w  # shared: the same for every sample
        gate = (w * b).tanh() + b.exp()
        return [x[0] * ww + gate * x[1], (ww + x[1]).sigmoid() * gate]

    X = np.random.default_rng(8).normal(size=(6, 2))
    seeds = np.random.default_rng(9).normal(size=(6, 2))
    compiled = check_against_scalar(fn, X, params, seeds)
    assert len(compiled.tape.uniform_code) >= 4  # w*w, w*b, tanh, exp, +
    _, grads, _ = compiled_backward(compiled, X, params, seeds)
    assert_close(grads, parameter_differences(compiled, X, params, seeds), rel=1e-7)
    # the parameters are read at every run, shared ops included
    w.data, b.data = -1.1, 0.6
    outputs, grads_after, _ = scalar_reference(fn, X, params, seeds)
    assert_close(compiled(X), outputs)
    assert_close(compiled_backward(compiled, X, params, seeds)[1], grads_after)


@pytest.mark.parametrize("n", [1, 5])  # one sample: a column; five: summed over the batch
def test_operands_of_weights_or_constants_alone_are_broadcast(n):
    ws = [Value(v) for v in (0.7, -1.2, 0.4)]

    def fn(x):
        of_weights = ag.sum(ws)  # every term a weight, each with the local derivative 1.0
        fixed = ag.dot(ws, [2.0, -1.0, 0.5])  # weights times constants
        per_sample = ag.dot(ws, [x[0], x[1], x[0] * x[1]], ws[0])  # weights times samples
        return [of_weights * x[0] + fixed * 3.0, (per_sample - 0.5).tanh() * ws[1]]

    X = np.random.default_rng(12).normal(size=(n, 2))
    seeds = np.random.default_rng(13).normal(size=(n, 2))
    compiled = check_against_scalar(fn, X, ws, seeds)
    _, grads, _ = compiled_backward(compiled, X, ws, seeds)
    assert_close(grads, parameter_differences(compiled, X, ws, seeds), rel=1e-7)


def test_the_result_is_the_default_schedules():
    params = [Value(0.5), Value(-0.25), Value(1.5)]

    def fn(x):
        h = [ag.dot(params, [x[0], x[1], x[2]], x[1]).tanh(), (x[0] * params[2]).relu()]
        return [ag.sum([h[0], h[1], h[0] * h[1]]), h[1] ** 2 + x[2]]

    X = np.random.default_rng(10).normal(size=(9, 3))
    seeds = np.random.default_rng(11).normal(size=(9, 2))
    expected = compiled_backward(compile(fn, 3, fuse=False), X, params, seeds)
    got = compiled_backward(by_level(fn, 3), X, params, seeds)
    for a, b in zip(got, expected, strict=True):
        assert_close(a, b, rel=1e-13)


# --- 3. dot and sum of different lengths ---------------------------------------------


def test_dots_of_different_lengths_in_one_level_are_padded_with_and_without_bias():
    ws = [Value(0.1 * k - 0.35) for k in range(7)]
    b1, b2 = Value(0.5), Value(-1.25)

    def fn(x):
        return [
            ag.dot(ws[:5], x[:5], b1),  # lengths 4..7 share a bucket: padded to 7
            ag.dot(ws[:6], x[1:7], b2),
            ag.dot(ws, x, x[6]),  # a per-sample bias
            ag.dot(ws[2:6], x[:4]),  # without a bias: a step of its own
            ag.dot(ws[:5], x[2:7]),
        ]

    X = np.random.default_rng(12).normal(size=(5, 7))
    compiled = check_against_scalar(fn, X, [*ws, b1, b2])
    assert compiled.replay_steps == 2  # one padded dot with biases, one without


def test_sums_of_different_lengths_in_one_level():
    w = Value(2.5)

    def fn(x):
        terms = [x[0], w, x[1], x[2], w, x[3], x[0], x[4]]
        return [ag.sum(terms[:k]) for k in (1, 2, 3, 5, 6, 8)]

    X = np.random.default_rng(13).normal(size=(4, 5))
    compiled = check_against_scalar(fn, X, [w])
    assert compiled.replay_steps == 4  # lengths 1 | 2, 3 | 5, 6 | 8


def test_padded_sums_and_dots_of_minus_zeros_stay_minus_zero():
    # -0.0 + -0.0 is -0.0, and the engine's sums start from -0.0: a sum of -0.0s is -0.0
    # (whose sign a later product, or atan2, would carry). Padding must not make it 0.0.
    w = Value(-0.0)

    def fn(x):
        short = ag.sum([x[0], x[1]])  # padded to the longer sum's 3 terms
        longer = ag.sum([x[0], x[1], x[2]])
        dot_short = ag.dot([w], [x[2]])  # padded to the longer dot's 2 terms
        dot_longer = ag.dot([w, w], [x[0], x[2]])
        return [short, longer, dot_short, dot_longer]

    X = np.array([[-0.0, -0.0, 1.0], [-0.0, -0.0, -0.0]])
    compiled = by_level(fn, 3)
    outputs = compiled(X)
    expected = [[v.data for v in fn([Value(x) for x in row])] for row in X.tolist()]
    # -0.0 in both rows' short sums, row 1's longer sum and row 0's short dot (-0.0 · 1.0)
    assert np.signbit(expected).tolist() == [[True, False, True, False], [True, True, False, False]]
    np.testing.assert_array_equal(np.signbit(outputs), np.signbit(expected))
    assert compiled.replay_steps <= 4  # the two sums one step, the two dots one step


def test_dots_with_lengths_across_many_buckets():
    lengths = [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 33]
    rng = random.Random(14)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(33)]

    def fn(x):
        return [ag.dot(ws[:n], [x[k % 5] for k in range(n)], x[n % 5]) for n in lengths]

    X = np.random.default_rng(15).normal(size=(3, 5))
    compiled = check_against_scalar(fn, X, ws)
    assert compiled.replay_steps == 6  # buckets 1 | 2-3 | 4-7 | 8-15 | 16-31 | 32-63


def test_a_dot_whose_weight_and_input_appear_twice():
    w, v, c = Value(0.6), Value(-1.3), Value(0.2)
    params = [w, v, c]

    def fn(x):
        y = ag.dot([w, w, v], [x[0], x[1], x[0]], c)  # w twice, x0 twice
        z = ag.dot([w, x[0]], [x[0], w])  # w and x0 each as weight and as input
        return (y * z).tanh() + ag.sum([y, y, c])

    X = np.random.default_rng(16).normal(size=(5, 2))
    seeds = np.random.default_rng(17).normal(size=5)
    compiled = check_against_scalar(fn, X, params, seeds)
    _, grads, _ = compiled_backward(compiled, X, params, seeds)
    assert_close(grads, parameter_differences(compiled, X, params, seeds), rel=1e-7)


def test_a_dot_of_a_bias_alone_runs_backward():
    # ag.dot([], [], b) is a node with the one parent b; its step has no terms at all
    # (a regression: backward reshaped the empty term block with -1 and raised).
    w = Value(0.5)

    def fn(x):
        return [ag.dot([], [], x[0] * w), ag.dot([w], [x[1]], x[0])]

    X = np.random.default_rng(18).normal(size=(4, 2))
    compiled = check_against_scalar(fn, X, [w])
    _, dX = compiled.backward(X, np.ones((4, 2)))
    assert_close(dX[:, 0], np.full(4, 0.5 + 1.0))


# --- 3b. a layer at every position: one matrix product ------------------------------


def product_steps(compiled):
    return [s for s in compiled._program.steps if type(s).__name__ == "_ProductStep"]


@pytest.mark.parametrize("weights_first", [True, False])
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("n", [1, 3])
def test_a_layer_applied_at_every_position_is_one_product(weights_first, with_bias, n):
    rng = random.Random(5)
    W = [[Value(rng.gauss(0, 1)) for _ in range(4)] for _ in range(3)]
    b = [Value(rng.gauss(0, 1)) for _ in range(3)]
    params = [w for row in W for w in row] + (b if with_bias else [])

    def fn(x):  # three positions of four inputs each, the same layer at each
        outs = []
        for t in range(3):
            xt = [v.tanh() for v in x[4 * t : 4 * t + 4]]
            for i, row in enumerate(W):
                pair = (row, xt) if weights_first else (xt, row)
                outs.append(ag.dot(*pair, b[i]) if with_bias else ag.dot(*pair))
        return outs

    X = np.random.default_rng(n).normal(size=(n, 12))
    compiled = check_against_scalar(fn, X, params)
    (product,) = product_steps(compiled)
    assert (product.I, product.T, product.n) == (3, 3, 4)


def test_a_products_parameter_gradients_equal_central_differences():
    rng = random.Random(8)
    W = [[Value(rng.gauss(0, 1)) for _ in range(3)] for _ in range(4)]
    params = [w for row in W for w in row]

    def fn(x):
        positions = [x[0:3], [v * v for v in x[3:6]]]
        return [ag.dot(row, xt).tanh() for xt in positions for row in W]

    X = np.random.default_rng(2).normal(size=(2, 6))
    seeds = np.random.default_rng(3).normal(size=(2, 8))
    compiled = by_level(fn, 6)
    compiled.trace(X)
    assert len(product_steps(compiled)) == 1
    _, grads, _ = compiled_backward(compiled, X, params, seeds)
    assert_close(grads, parameter_differences(compiled, X, params, seeds), rel=1e-6)


def test_a_levels_dots_split_into_the_products_they_make_and_the_rest():
    rng = random.Random(9)
    W = [[Value(rng.gauss(0, 1)) for _ in range(2)] for _ in range(2)]
    params = [w for row in W for w in row]

    def fn(x):  # W[0] meets a three times (no product); W[1] meets a and c once each
        a, c = x[0:2], x[2:4]
        thrice = [ag.dot(W[0], a) for _ in range(3)]
        once_each = [ag.dot(W[1], a), ag.dot(W[1], c)]
        return thrice + once_each + [ag.dot(a, c)]  # (and a dot of two per-sample sides)

    X = np.random.default_rng(4).normal(size=(3, 4))
    compiled = check_against_scalar(fn, X, params)
    assert [(step.I, step.T) for step in product_steps(compiled)] == [(1, 2)]
    assert compiled.replay_steps == 2  # the product, and the other four dots gathered


def test_a_products_zeros_keep_the_engines_sign():
    w = Value(-0.0)

    def fn(x):  # products of -0.0 alone sum to -0.0 in the engine, from -0.0
        rows = [[w, w], [w, Value(1.0)]]
        return [ag.dot(row, xt) for xt in (x[0:2], x[2:4]) for row in rows]

    X = np.array([[1.0, 2.0, 3.0, -0.0], [-1.0, 0.5, 2.0, 0.0]])
    compiled = by_level(fn, 4)
    outputs = compiled(X)
    expected = [[v.data for v in fn([Value(x) for x in row])] for row in X.tolist()]
    assert product_steps(compiled)
    np.testing.assert_array_equal(outputs, expected)
    np.testing.assert_array_equal(np.signbit(outputs), np.signbit(expected))


def test_a_gpts_positions_line_up_after_the_attention():
    # each position's softmax takes its maximum in log2(t + 1) rounds; taken as late as
    # possible, the levels after the attention are the same for every position, so each
    # layer after it is one product over all positions
    model = GPT(vocab_size=5, block_size=8, n_embd=8, n_head=2, seed=0)
    length, vocab = 9, 5
    compiled = by_level(lambda x: model.losses([x[t * vocab : (t + 1) * vocab]
                                                for t in range(length)]), length * vocab)
    X = np.zeros((1, length * vocab))
    X[0, np.arange(length) * vocab + [4, 0, 1, 2, 3, 0, 1, 2, 4]] = 1.0
    compiled.trace(X)
    positions = {step.T for step in product_steps(compiled)}
    assert 8 in positions  # the layers after the attention: all 8 positions at once
    assert compiled.replay_steps < 100


# --- 3c. cutting a tape: some outputs alone --------------------------------------------


@pytest.mark.parametrize("schedule", ["levels", "interpreter"])
def test_a_cut_tape_gives_its_outputs_and_their_gradients_alone(schedule):
    rng = random.Random(2)
    w = [Value(rng.gauss(0, 1)) for _ in range(3)]

    def fn(x):  # output k reads x[: k + 1] and the weights: a causal chain
        outs, h = [], Value(0.0)
        for k in range(3):
            h = (h * w[k] + x[k]).tanh()
            outs.append(h * h)
        return outs

    X = np.random.default_rng(6).normal(size=(4, 3))
    whole = compile(fn, 3, by_level=schedule == "levels")
    whole.trace(X)
    cut = whole.restricted([1, 0])
    assert len(cut.tape.batched_code) < len(whole.tape.batched_code)
    np.testing.assert_allclose(cut(X), whole(X)[:, [1, 0]], rtol=0, atol=0)
    seeds = np.random.default_rng(7).normal(size=(4, 2))

    def first_two(x):
        outs = fn(x)
        return [outs[1], outs[0]]

    outputs, grads, dX = scalar_reference(first_two, X, w, seeds)
    got_outputs, got_grads, got_dX = compiled_backward(cut, X, w, seeds)
    assert_close(got_outputs, outputs)
    assert_close(got_grads, grads)  # w[2] is read by output 2 alone: gradient 0
    assert got_grads[2] == 0.0
    assert_close(got_dX, dX)
    assert np.all(got_dX[:, 2] == 0.0)  # x[2] likewise


@pytest.mark.parametrize(
    ("outputs", "error", "message"),
    [
        ([], ValueError, "CompiledFunction.restricted: outputs is empty; keep at least one output"),
        ([3], ValueError, "CompiledFunction.restricted: outputs must be at most 2, got 3"),
        ([-1], ValueError, "CompiledFunction.restricted: outputs must be at least 0, got -1"),
        ([0.5], TypeError, "CompiledFunction.restricted: outputs must be an int, got float"),
    ],
)
def test_a_cut_of_outputs_fn_does_not_have_is_refused(outputs, error, message):
    compiled = by_level(lambda x: [x[0] * 2, x[0] + x[1], x[1].exp()], 2)
    untraced = "CompiledFunction.restricted: fn has not been traced yet"
    with pytest.raises(RuntimeError, match=untraced):
        compiled.restricted([0])
    compiled.trace(np.ones((1, 2)))
    with pytest.raises(error, match=message):
        compiled.restricted(outputs)


# --- 4. parametrised primitives ------------------------------------------------------


def test_powers_with_different_exponents_at_one_level_stay_apart():
    def fn(x):
        return [x[0] ** 2, x[0] ** 3, x[1] ** 2, x[1] ** -1.5, x[0] ** x[1], x[1] ** 0.5]

    X = np.random.default_rng(19).uniform(0.3, 2.0, size=(5, 2))
    compiled = check_against_scalar(fn, X, [])
    got = compiled(X)
    assert_close(got[:, 1], X[:, 0] ** 3)  # not x ** 2 (nor any other exponent)
    assert_close(got[:, 3], X[:, 1] ** -1.5)
    assert compiled.replay_steps == 5  # the two squares are one step; the rest their own


def test_leaky_relus_with_different_slopes_at_one_level_stay_apart():
    def fn(x):
        return [x[0].leaky_relu(0.1), x[1].leaky_relu(0.3), x[0].leaky_relu(0.01), x[1].relu()]

    X = np.array([[-2.0, -1.0], [1.5, -3.0], [-0.5, 2.0], [3.0, 4.0]])
    compiled = check_against_scalar(fn, X, [])
    expected = np.stack([np.where(X[:, 0] > 0, X[:, 0], s * X[:, 0]) for s in (0.1, 0.01)], axis=1)
    assert_close(compiled(X)[:, [0, 2]], expected)
    _, dX = compiled.backward(X, np.array([[0.0, 1.0, 0.0, 0.0]] * 4))
    assert_close(dX[:, 1], np.where(X[:, 1] > 0, 1.0, 0.3))


def test_ops_with_a_number_keep_their_number_and_side():
    def fn(x):
        return [x[0] * 2, x[0] * 3, x[1] - 2, 2 - x[1], x[0] / 4, 4 / x[1], 2 ** x[0], 3 ** x[1]]

    X = np.random.default_rng(20).uniform(0.5, 2.0, size=(4, 2))
    check_against_scalar(fn, X, [])


# --- 5. errors -----------------------------------------------------------------------


ERRORS = {
    "log": (lambda v: v.log(), -2.0, ValueError),
    "log of 0": (lambda v: v.log(), 0.0, ValueError),
    "division": (lambda v: 1 / v, 0.0, ZeroDivisionError),
    "negative power": (lambda v: v**-1, 0.0, ZeroDivisionError),
    "sqrt": (lambda v: v.sqrt(), -1.0, ValueError),
    "fractional power": (lambda v: v**0.5, -4.0, ValueError),
}


@pytest.mark.parametrize("op", sorted(ERRORS))
@pytest.mark.parametrize("row, column", [(2, 3), (3, 0), (1, 2)])
def test_a_domain_error_names_the_failing_samples_row(op, row, column):
    # four instructions of the op in one step, one per column; the failing one's index
    # in the step (its column) is not the row, so naming the instruction would be wrong
    f, bad, error = ERRORS[op]

    def fn(x):
        return ag.sum([f(v) for v in x])

    X = np.random.default_rng(row).uniform(0.5, 2.0, size=(5, 4))
    X[row, column] = bad
    with pytest.raises(error) as scalar:
        fn([Value(v) for v in X[row].tolist()])
    with pytest.raises(error) as default:
        compile(fn, 4)(X)
    with pytest.raises(error) as levels:
        by_level(fn, 4)(X)
    assert str(levels.value) == f"{scalar.value} (row {row})" == str(default.value)
    assert type(levels.value) is type(default.value)


def test_a_domain_error_names_the_first_failing_row_of_the_batch():
    X = np.ones((6, 2))
    X[[2, 4], 1] = 0.0

    def fn(x):
        return x[0] / x[0] + x[0] / x[1]

    with pytest.raises(ZeroDivisionError, match=r"\(1\.0 / 0\.0\) \(row 2\)$"):
        by_level(fn, 2).backward(X, np.ones(6))


def test_a_domain_error_of_an_op_on_parameters_alone_names_no_row():
    # Traced while w was positive; then an update makes it negative. No sample is at
    # fault: the error is the float forward's own, as the default schedule raises it
    # (a regression: the level schedule blamed "row 0").
    w = Value(2.0)

    def fn(x):
        return x[0] * w.log() + x[1] * (w * w).sqrt()

    X = np.random.default_rng(21).normal(size=(4, 2))
    compiled = [compile(fn, 2), by_level(fn, 2)]
    for f in compiled:
        f(X)
    w.data = -1.0
    errors = []
    for f in compiled:
        with pytest.raises(ValueError) as caught:
            f(X)
        errors.append(caught.value)
    with pytest.raises(ValueError) as scalar:
        w.log()
    default, levels = errors
    assert type(levels) is type(default) is ValueError
    assert str(levels) == str(default) == str(scalar.value)


# --- 6. a small GPT ------------------------------------------------------------------


def test_a_small_gpts_loss_and_gradients_equal_the_scalar_engines_in_few_steps():
    model = GPT(vocab_size=5, block_size=4, n_embd=8, n_head=2, n_layer=1, seed=0)
    params = model.parameters()
    batch = [[4, 0, 1, 2, 4], [4, 3, 3, 0, 4], [4, 2, 1, 1, 0]]  # one length: one tape
    length, vocab = len(batch[0]), model.vocab_size

    def loss(x):  # as CompiledStep._tape: each token a one-hot row of inputs
        return model.loss([x[t * vocab : (t + 1) * vocab] for t in range(length)])

    compiled = by_level(loss, length * vocab)
    zero_grads(params)
    got_loss, got_losses = compiled.value_and_grad(one_hot(batch, vocab))
    got = np.array([p.grad for p in params])

    zero_grads(params)
    losses = [model.loss(tokens) for tokens in batch]
    for each in losses:
        each.backward(1.0 / len(batch))
    expected = np.array([p.grad for p in params])
    assert_close(got_losses, [each.data for each in losses])
    assert got_loss == pytest.approx(np.mean([each.data for each in losses]), rel=REL)
    assert np.count_nonzero(expected) > len(params) // 2
    assert_close(got, expected)
    # the schedule's point: far fewer numpy steps than instructions
    assert compiled.replay_steps * 8 <= len(compiled.tape.batched_code)

    # gpt_command's own step (by_level tapes) and its scalar step agree too
    standing_still = optim.SGD(params, lr=0.0)  # the steps' updates leave the weights
    step = CompiledStep()
    step_loss = step(model, standing_still, batch)
    step.write_back()
    step_grads = np.array([p.grad for p in params])
    scalar_loss = scalar_step(model, standing_still, batch)
    assert step.tapes[length].by_level
    assert step_loss == pytest.approx(scalar_loss, rel=REL)
    assert_close(step_grads, [p.grad for p in params])
    zero_grads(params)


# --- 7. PyTorch ----------------------------------------------------------------------


def test_a_random_graphs_parameter_gradients_equal_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = random.Random(22)
    n_inputs, weights = 3, [0.7, -0.4]
    n_leaves = n_inputs + len(weights)
    ops = sorted(OPS) * 2  # every op twice, in a random order on random earlier nodes
    rng.shuffle(ops)
    steps = [
        (op, rng.randrange(n_leaves + k), rng.randrange(n_leaves + k)) for k, op in enumerate(ops)
    ]
    X = np.random.default_rng(23).uniform(-2, 2, size=(8, n_inputs))

    params = [Value(w) for w in weights]
    compiled = by_level(lambda xs: output_of(replay([*xs, *params], steps), n_leaves), n_inputs)
    loss, outputs = compiled.value_and_grad(X, reduction="sum")

    tensors = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    columns = list(torch.tensor(X, dtype=torch.float64).T)
    out = output_of(replay([*columns, *tensors], steps, which=2), n_leaves)
    out.sum().backward()
    assert np.all(np.isfinite(outputs))
    assert_close(outputs, out.detach().numpy())
    assert loss == pytest.approx(out.sum().item(), rel=REL)
    expected = [t.grad.item() for t in tensors]
    assert all(expected)  # both weights matter
    assert_close([p.grad for p in params], expected)
