"""Engine state per thread, and safe under interrupts.

Grad mode is per thread (as PyTorch's); tracing changes nothing outside the traced
call; reverse passes over shared nodes in several threads at once are exact; and a
KeyboardInterrupt at any line of ``no_grad``'s entry or of a trace leaves the engine
as it was. The timing tests use events, not sleeps, so they are deterministic.
"""

from __future__ import annotations

import gc
import sys
import threading

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, engine, nn
from autograd_lite.compiler import Tracer, compile


def run_in_threads(*targets):
    """Run each target in its own thread; re-raise the first error any of them raised."""
    errors: list[BaseException] = []

    def guarded(target):
        try:
            target()
        except BaseException as e:  # noqa: BLE001 - reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread hung"
    if errors:
        raise errors[0]


def recording_works() -> bool:
    x = Value(2.0)
    y = x * 3
    return y.parents == (x,) and engine.is_recording()


# --- grad mode per thread ---------------------------------------------------------------


def test_no_grad_in_one_thread_leaves_another_threads_gradients_exact():
    inside, done = threading.Event(), threading.Event()

    def idle_under_no_grad():
        with ag.no_grad():
            inside.set()
            done.wait(30)

    def train():
        inside.wait(30)
        model = nn.MLP(2, [4, 1], seed=0)
        out = model([0.5, -1.0])
        out.backward()
        grads = [p.grad for p in model.parameters()]
        done.set()
        fresh = nn.MLP(2, [4, 1], seed=0)
        expected = ag.grad(fresh([0.5, -1.0]), fresh.parameters())
        assert grads == expected and any(grads)

    run_in_threads(idle_under_no_grad, train)
    assert recording_works()


def test_overlapping_no_grad_blocks_in_two_threads_leave_recording_on():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():  # enters first, leaves first
        with ag.no_grad():
            a_in.set()
            b_in.wait(30)
            assert not engine.is_recording()
        a_out.set()

    def second():  # enters while first is inside, leaves after first has left
        a_in.wait(30)
        with ag.no_grad():
            b_in.set()
            a_out.wait(30)
            assert not engine.is_recording()
        assert engine.is_recording()

    run_in_threads(first, second)
    assert recording_works()
    assert engine._grad_modes == {}


def test_a_trace_during_another_threads_no_grad_leaves_recording_on():
    inside, traced = threading.Event(), threading.Event()
    w = Value(0.5)

    def hold_no_grad():
        with ag.no_grad():
            inside.set()
            traced.wait(30)
            assert (w * 2).parents == ()  # still off here, as this thread asked

    def trace():
        inside.wait(30)
        f = compile(lambda x: (x[0] * w).tanh(), 1)
        assert f(np.array([[1.0], [2.0]])).shape == (2,)
        traced.set()

    run_in_threads(hold_no_grad, trace)
    assert recording_works()


def test_a_no_grad_object_can_be_entered_again_and_nested():
    ng = ag.no_grad()
    x = Value(1.0)
    with ng:
        with ng:
            assert (x * 2).parents == ()
        assert (x * 2).parents == ()
    assert (x * 2).parents == (x,)
    with ng:
        assert not engine.is_recording()
    assert recording_works()


# --- reverse passes at the same time ------------------------------------------------------


def test_four_threads_of_grad_on_one_shared_model_equal_the_single_thread_answers():
    model = nn.MLP(4, [16, 16, 1], seed=3)
    params = model.parameters()
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(8, 4)).tolist()
    expected = [ag.grad(model(x), params) for x in samples]
    wrong: list[int] = []

    def worker(offset):
        def run():
            for k in range(200):
                i = (k + offset) % len(samples)
                if ag.grad(model(samples[i]), params) != expected[i]:
                    wrong.append(i)

        return run

    run_in_threads(*(worker(t) for t in range(4)))
    assert wrong == []


def test_two_threads_backward_into_shared_leaves_accumulate_exactly():
    x, y = Value(1.5), Value(-0.5)
    shared = (x * y).tanh() + x * x  # both threads reuse this part of the graph
    start = threading.Barrier(2)
    rounds = 300

    def worker():
        start.wait(30)
        for _ in range(rounds):
            (shared * 2 + y).backward()

    run_in_threads(worker, worker)
    dx, dy = ag.grad(shared * 2 + y, [x, y])
    assert x.grad == pytest.approx(2 * rounds * dx, rel=1e-12)
    assert y.grad == pytest.approx(2 * rounds * dy, rel=1e-12)


# --- tracing touches nothing outside its call --------------------------------------------


def test_values_made_in_another_thread_while_one_traces_are_ordinary():
    tracing, checked = threading.Event(), threading.Event()
    seen = {}

    def slow_fn(x):
        tracing.set()
        checked.wait(30)
        return x[0] * 2

    def trace():
        compile(slow_fn, 1)(np.array([[1.0], [2.0]]))

    def make_values():
        tracing.wait(30)
        v = Value(3.0)
        out = v * 2
        seen.update(kind=type(out), parents=out.parents, number=out.number, v=v)
        with ag.no_grad():  # a no_grad op here does not fail the other thread's trace
            v * 5
        checked.set()

    run_in_threads(trace, make_values)
    assert seen["kind"] is Value and seen["parents"] == (seen["v"],) and seen["number"] == 2.0


def test_two_threads_compile_different_functions_at_once():
    both_inside = threading.Barrier(2)
    results = {}

    def fn_square(x):
        both_inside.wait(30)
        return x[0] * x[0]

    def fn_sin(x):
        both_inside.wait(30)
        return x[0].sin() + 1

    X = np.array([[0.5], [1.0], [2.0]])

    def run(name, fn):
        def target():
            results[name] = compile(fn, 1, example=X[:1])(X)

        return target

    run_in_threads(run("square", fn_square), run("sin", fn_sin))
    np.testing.assert_allclose(results["square"], X[:, 0] ** 2, rtol=1e-15)
    np.testing.assert_allclose(results["sin"], np.sin(X[:, 0]) + 1, rtol=1e-15)


# --- interrupts ------------------------------------------------------------------------------


def lines_run_by(action, code_names) -> list[tuple[str, int]]:
    """Every (function, line) of the given functions that ``action()`` runs, in order."""
    seen: list[tuple[str, int]] = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name in code_names:

            def local(frame, event, arg):
                if event == "line":
                    seen.append((frame.f_code.co_name, frame.f_lineno))
                return local

            return local
        return None

    sys.settrace(tracer)
    try:
        action()
    finally:
        sys.settrace(None)
    return seen


def interrupt_at(action, code_names, target) -> bool:
    """Run ``action()`` with a KeyboardInterrupt raised at the ``target``-th line event."""
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_name in code_names:

            def local(frame, event, arg):
                if event == "line":
                    count[0] += 1
                    if count[0] == target:
                        raise KeyboardInterrupt
                return local

            return local
        return None

    sys.settrace(tracer)
    try:
        action()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def engine_is_as_it_was():
    assert engine.is_recording() and engine._grad_modes == {}
    v = Value(1.0) * 2
    assert type(v) is Value and v.number == 2.0
    f = compile(lambda x: x[0] * 3 + 1, 1)
    assert f(np.array([[1.0], [2.0]])).tolist() == [4.0, 7.0]


def test_an_interrupt_at_any_line_of_entering_no_grad_leaves_recording_on():
    def action():
        with ag.no_grad():
            pass

    names = {"__enter__", "__init__"}
    n = len(lines_run_by(action, names))
    assert n >= 2
    for target in range(1, n + 1):
        assert interrupt_at(action, names, target)
        engine_is_as_it_was()


def test_an_interrupt_at_any_line_of_a_trace_leaves_the_engine_as_it_was():
    w = Value(0.5)

    def fn(x):
        h = (x[0] * w + 1).tanh()
        return h * h - x[0]

    def action():
        compile(fn, 1)(np.array([[1.0], [2.0]]))

    # every line of the trace's setup, the traced function, and the ops it calls
    names = {"trace_call", "input", "__init__", "fn", "__enter__", "_refuse_unrecorded"}
    names |= {"binary_node", "_unary", "number_node", "_operate", "_reflected", "operator"}
    n = len(lines_run_by(action, names))
    assert n > 30
    interrupted = 0
    for target in range(1, n + 1):
        interrupted += interrupt_at(action, names, target)
        engine_is_as_it_was()
    assert interrupted == n


def test_a_tracer_that_outlives_its_trace_shows_its_number():
    kept = []

    def fn(x):
        kept.append(x[0] * 2)
        return kept[-1] + 1

    compile(fn, 1)(np.array([[1.0], [3.0]]))
    assert isinstance(kept[0], Tracer) and kept[0].data == 2.0


def test_compile_under_no_grad_still_traces_and_leaves_no_grad_on():
    with ag.no_grad():
        f = compile(lambda x: x[0] * 2 + 1, 1)
        assert f(np.array([[1.0], [2.0]])).tolist() == [3.0, 5.0]
        assert not engine.is_recording()
    assert recording_works()


def test_a_threads_mode_ends_with_it_and_a_generator_may_leave_its_block_elsewhere():
    def generator():
        with ag.no_grad():
            yield 1

    g = generator()
    worker = threading.Thread(target=lambda: next(g))
    worker.start()
    worker.join()
    gc.collect()
    assert engine._grad_modes == {}  # the worker ended inside no_grad: its mode went with it
    next(g, None)  # leaving the block in this thread is no error, and changes nothing here
    assert recording_works()
    seen = []

    def fresh():
        x = Value(1.0)
        seen.append((x * x).parents == (x, x))

    threads = [threading.Thread(target=fresh) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [True] * 20  # no new thread inherits an old thread's mode


def test_a_value_subclass_meets_a_tracer_and_makes_a_tracer():
    from autograd_lite.compiler.tracer import Trace
    from autograd_lite.engine import make_node
    from autograd_lite.primitives import MUL

    class Param(Value):
        __slots__ = ()

    x, p = Tracer.input(0.5, 0, Trace()), Param(2.0)
    assert all(type(v) is Tracer for v in (p * x, x * p, p**x, p - x, make_node(MUL, [p, x])))
