"""The engine against torch.autograd in float64 (skipped when PyTorch is not installed)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given

import autograd_lite as ag
from autograd_lite import Value
from graphs import programs, replay

torch = pytest.importorskip("torch")


def both(leaves, steps):
    xs = [Value(x) for x in leaves]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in leaves]
    nodes = replay(xs, steps, which=1)
    tnodes = replay(ts, steps, which=2)
    out = nodes[-1] + sum(nodes[len(xs) :]) * 0.5
    tout = tnodes[-1] + sum(tnodes[len(ts) :]) * 0.5
    return xs, out, ts, tout


@given(programs())
def test_random_graphs_match_torch_autograd(program):
    xs, out, ts, tout = both(*program)
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    out.backward()
    tout.backward()
    for x, t in zip(xs, ts, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()  # None: a leaf never used
        assert x.grad == pytest.approx(expected, rel=1e-10, abs=1e-12)


@given(programs(max_leaves=3, max_steps=10))
def test_second_derivatives_match_torch(program):
    leaves, steps = program
    # torch masks the base's derivative where a Value exponent is exactly 0, and that mask
    # has no derivative: its d(df/dx)/dy of x ** y is 0 there, not 1/x (test below)
    nodes = replay([Value(x) for x in leaves], steps)
    assume(all(nodes[j].data != 0 for op, _, j in steps if op == "pow_value"))
    xs, out, ts, tout = both(*program)
    firsts = ag.grad(out, xs, create_graph=True)
    tfirsts = torch.autograd.grad(tout, ts, create_graph=True, allow_unused=True)
    for first, tfirst in zip(firsts, tfirsts, strict=True):
        if tfirst is None:  # an input the output does not use
            assert first.data == 0.0
            continue
        assert first.data == pytest.approx(tfirst.item(), rel=1e-10, abs=1e-12)
        if not tfirst.requires_grad:
            continue  # torch found this derivative constant
        seconds = ag.grad(first, xs)
        tseconds = torch.autograd.grad(tfirst, ts, allow_unused=True, retain_graph=True)
        for s, ts_ in zip(seconds, tseconds, strict=True):
            expected = 0.0 if ts_ is None else ts_.item()
            assert s == pytest.approx(expected, rel=1e-9, abs=1e-11)


def test_at_a_zero_exponent_our_mixed_second_derivatives_agree_and_torchs_do_not():
    x, y = Value(1.5), Value(0.0)
    dx, dy = ag.grad(x ** y.tanh(), [x, y], create_graph=True)
    assert ag.grad(dx, [y]) == ag.grad(dy, [x]) == [1 / 1.5]  # d²(x^tanh y)/dx dy = 1/x at y=0
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    tdx, tdy = torch.autograd.grad(tx ** torch.tanh(ty), (tx, ty), create_graph=True)
    assert torch.autograd.grad(tdy, tx, retain_graph=True)[0].item() == 1 / 1.5
    assert torch.autograd.grad(tdx, ty)[0].item() == 0.0  # torch's masked derivative


@pytest.mark.parametrize(
    "apply, x",
    [
        (lambda v: v.relu(), 0.0),
        (lambda v: v.abs(), 0.0),
        (lambda v: v.sqrt(), 0.0),
        (lambda v: v.tanh(), 1000.0),
        (lambda v: v.sigmoid(), -1000.0),
        (lambda v: v.sigmoid(), 1000.0),
        (lambda v: v**2.5, 0.0),
    ],
)
def test_edge_points_match_torch(apply, x):
    v = Value(x)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out, tout = apply(v), apply(t)
    out.backward()
    tout.backward()
    assert out.data == tout.item()
    assert v.grad == t.grad.item()


def test_leaky_relu_at_zero_matches_torch():
    v = Value(0.0)
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    v.leaky_relu(0.2).backward()
    torch.nn.functional.leaky_relu(t, 0.2).backward()
    assert v.grad == t.grad.item() == 0.2


def test_value_exponent_at_zero_base_matches_torch():
    a, b = Value(0.0), Value(2.0)
    ta = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (a**b).backward()
    (ta**tb).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())
