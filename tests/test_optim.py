"""optim: SGD (classic momentum, weight decay) and Adam, by hand and against PyTorch."""

from __future__ import annotations

import math

import pytest

from autograd_lite import Value, optim


def params_with_grads(data, grads):
    ps = [Value(d) for d in data]
    for p, g in zip(ps, grads, strict=True):
        p.grad = g
    return ps


# --- SGD ------------------------------------------------------------------------------


def test_sgd_step_is_minus_lr_times_gradient():
    ps = params_with_grads([1.0, -2.0], [0.5, -4.0])
    optim.SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == [pytest.approx(0.95), pytest.approx(-1.6)]


def test_sgd_momentum_carries_over_the_previous_step():
    (p,) = params_with_grads([1.0], [2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    opt.step()  # Δ1 = -0.1·2 = -0.2
    assert p.data == pytest.approx(0.8)
    p.grad = 1.0
    opt.step()  # Δ2 = -0.1·1 + 0.5·(-0.2) = -0.2
    assert p.data == pytest.approx(0.6)
    p.grad = 0.0
    opt.step()  # Δ3 = 0.5·(-0.2) = -0.1: momentum alone keeps it moving
    assert p.data == pytest.approx(0.5)


def test_sgd_weight_decay_adds_to_the_gradient():
    (p,) = params_with_grads([2.0], [1.0])
    optim.SGD([p], lr=0.1, weight_decay=0.5).step()  # g = 1 + 0.5·2 = 2
    assert p.data == pytest.approx(1.8)


def test_sgd_momentum_under_a_schedule_is_the_classic_rule():
    # Δw(t) = -lr(t)·g + m·Δw(t-1): the old step is not rescaled by the new lr
    # (PyTorch would give 1 - 0.1·2 - 0.05·(0.9·2 + 2) = 0.61 for the second step).
    (p,) = params_with_grads([1.0], [2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.lr = 0.05
    opt.step()
    assert p.data == pytest.approx(1.0 - 0.2 + (-0.05 * 2.0 + 0.9 * -0.2))


def test_zero_grad_zeroes_every_parameter():
    ps = params_with_grads([1.0, 2.0], [3.0, 4.0])
    optim.SGD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_lr_is_settable_and_checked():
    opt = optim.SGD([Value(1.0)], lr=0.1)
    opt.lr = 0.01
    assert opt.lr == 0.01
    with pytest.raises(ValueError, match="lr must be"):
        opt.lr = -1.0
    assert opt.lr == 0.01


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"lr": -0.1}, ValueError, "lr must be a finite number >= 0, got -0.1"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"lr": float("inf")}, ValueError, "lr"),
        ({"lr": "0.1"}, TypeError, "lr must be a number, got str"),
        ({"lr": 0.1, "momentum": -0.5}, ValueError, "momentum"),
        ({"lr": 0.1, "momentum": 1.0}, ValueError, r"momentum must be a finite number in \[0, 1\)"),
        ({"lr": 0.1, "weight_decay": -1}, ValueError, "weight_decay"),
    ],
)
def test_sgd_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        optim.SGD([Value(1.0)], **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1e-3}, "lr"),
        ({"betas": (0.9,)}, "betas must be a pair"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\]"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\]"),
        ({"eps": -1e-8}, "eps"),
        ({"weight_decay": -1.0}, "weight_decay"),
    ],
)
def test_adam_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam([Value(1.0)], **kwargs)


def test_params_are_checked():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got float"):
        optim.SGD([Value(1.0), 2.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single Value"):
        optim.Adam(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of Values, got int"):
        optim.Adam(3)  # type: ignore[arg-type]
    v = Value(1.0)
    with pytest.raises(ValueError, match=r"params\[1\] appears twice"):
        optim.SGD([v, v], lr=0.1)
    assert len(optim.SGD((Value(float(i)) for i in range(3)), lr=0.1).params) == 3


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), optim.Adam])
def test_a_non_finite_gradient_raises_and_changes_nothing(make, bad):
    ps = params_with_grads([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])
    opt = make(ps)
    opt.step()
    data = [p.data for p in ps]
    state = {k: list(v) if isinstance(v, list) else v for k, v in vars(opt).items()}
    ps[2].grad = bad
    with pytest.raises(ValueError, match=f"gradient of parameter 2 is {bad!r}"):
        opt.step()
    assert [p.data for p in ps] == data
    assert {k: list(v) if isinstance(v, list) else v for k, v in vars(opt).items()} == state


def test_a_step_that_would_overflow_raises_and_changes_nothing():
    ps = params_with_grads([1.0, 1e308], [1.0, -1e308])
    opt = optim.SGD(ps, lr=10.0)
    with pytest.raises(ValueError, match="parameter 1 would become inf"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 1e308]
    assert opt.velocity == [0.0, 0.0]


# --- Adam -----------------------------------------------------------------------------


def adam_by_hand(w, grads, lr, b1, b2, eps):
    """Adam written from the paper's algorithm 1, independently of optim.py."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
    return w


def test_adam_first_step_moves_each_weight_by_about_lr():
    ps = params_with_grads([1.0, 1.0, 1.0], [1e-4, -3.0, 250.0])
    optim.Adam(ps, lr=0.01).step()
    assert [p.data for p in ps] == [pytest.approx(w, abs=1e-6) for w in (0.99, 1.01, 0.99)]


def test_adam_matches_the_papers_algorithm():
    grads = [0.5, -1.5, 0.25, 2.0, 0.0, -0.1]
    (p,) = params_with_grads([0.3], [0.0])
    opt = optim.Adam([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    for g in grads:
        p.grad = g
        opt.step()
    assert p.data == pytest.approx(adam_by_hand(0.3, grads, 0.05, 0.8, 0.99, 1e-6), rel=1e-12)
    assert opt.t == len(grads)


def test_adam_with_zero_eps_and_zero_gradient_does_not_move():
    (p,) = params_with_grads([0.3], [0.0])
    optim.Adam([p], lr=0.1, eps=0.0).step()
    assert p.data == 0.3


def test_adam_weight_decay_adds_to_the_gradient():
    (a,) = params_with_grads([2.0], [1.0])
    (b,) = params_with_grads([2.0], [1.0 + 0.5 * 2.0])
    optim.Adam([a], lr=0.1, betas=(0.5, 0.9), weight_decay=0.5).step()
    optim.Adam([b], lr=0.1, betas=(0.5, 0.9)).step()
    assert a.data == b.data


# --- against PyTorch --------------------------------------------------------------------

START = [0.5, -1.25, 2.0, 0.1]


def loss_of(ws, ops):
    """A smooth non-quadratic function of four weights, written for both engines."""
    a, b, c, d = ws
    return (a * b - 1) ** 2 + ops.tanh(c) * d + 0.5 * (d - a) ** 2 + ops.exp(0.3 * b)


class ValueOps:
    tanh = staticmethod(Value.tanh)
    exp = staticmethod(Value.exp)


def run_ours(make, steps, lr_at=None):
    ws = [Value(w) for w in START]
    opt = make(ws)
    for k in range(steps):
        if lr_at:
            opt.lr = lr_at(k)
        opt.zero_grad()
        loss_of(ws, ValueOps).backward()
        opt.step()
    return [w.data for w in ws]


def run_torch(torch, make, steps):
    ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in START]
    opt = make(ws)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(ws, torch).backward()
        opt.step()
    return [w.item() for w in ws]


@pytest.mark.parametrize(
    "lr, momentum, weight_decay", [(0.05, 0.0, 0.0), (0.05, 0.9, 0.0), (0.02, 0.8, 0.01)]
)
def test_sgd_matches_torch_while_lr_is_constant(lr, momentum, weight_decay):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
    ours = run_ours(lambda ws: optim.SGD(ws, **kwargs), steps=8)
    theirs = run_torch(torch, lambda ws: torch.optim.SGD(ws, **kwargs), steps=8)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)
    assert ours != pytest.approx(START, abs=1e-3)  # it did move


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.01},
        {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-4},
        {"lr": 0.05, "weight_decay": 0.1},
    ],
)
def test_adam_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours = run_ours(lambda ws: optim.Adam(ws, **kwargs), steps=10)
    theirs = run_torch(torch, lambda ws: torch.optim.Adam(ws, **kwargs), steps=10)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)
    assert ours != pytest.approx(START, abs=1e-3)


def test_reprs():
    assert repr(optim.SGD([Value(1.0)], lr=0.5, momentum=0.9)) == (
        "SGD(1 params, lr=0.5, momentum=0.9, weight_decay=0.0)"
    )
    assert "Adam(2 params, lr=0.001" in repr(optim.Adam([Value(1.0), Value(2.0)]))


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda big: optim.SGD([Value(1.0)], lr=big), "lr"),
        (lambda big: optim.SGD([Value(1.0)], lr=0.1, weight_decay=big), "weight_decay"),
        (lambda big: optim.SGD([Value(1.0)], lr=0.1, momentum=big), "momentum"),
        (lambda big: optim.Adam([Value(1.0)], lr=big), "lr"),
        (lambda big: optim.Adam([Value(1.0)], eps=big), "eps"),
        (lambda big: optim.Adam([Value(1.0)], betas=(big, 0.9)), r"betas\[0\]"),
        (lambda big: optim.Adam([Value(1.0)], weight_decay=big), "weight_decay"),
    ],
)
def test_an_int_beyond_float_range_is_a_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"^(SGD|Adam): {argument} must be a finite number"):
        make(10**400)


def test_setting_a_huge_lr_is_a_value_error_and_keeps_the_old_one():
    opt = optim.Adam([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="Adam: lr must be a finite number >= 0, got an int"):
        opt.lr = 10**400
    assert opt.lr == 0.1


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: optim.Adam(ps, lr=0.01),
    ],
    ids=["SGD", "Adam"],
)
def test_step_gives_the_same_bits_with_numpy_and_without(make, monkeypatch):
    # step() runs the rule on numpy arrays where numpy is loaded, on plain Python
    # vectors where it is not (Pyodide): the two must not differ in the last bit
    import random
    import sys

    def run() -> list[float]:
        rng = random.Random(3)
        params = [Value(rng.uniform(-1, 1)) for _ in range(50)]
        opt = make(params)
        for _ in range(5):
            for p in params:
                p.grad = rng.uniform(-2, 2)
            opt.step()
        return [p.data for p in params]

    with_numpy = run()
    monkeypatch.delitem(sys.modules, "numpy")
    without_numpy = run()
    assert with_numpy == without_numpy
