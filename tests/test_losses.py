"""losses: values and gradients by hand, at extreme logits, and against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Value, losses


def values(xs):
    return [Value(x) for x in xs]


def grads(xs):
    return [x.grad for x in xs]


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# --- by hand -----------------------------------------------------------------------


def test_mse_is_the_mean_of_squared_errors_with_gradient_2e_over_n():
    ys = values([1.0, 2.0, 4.0])
    loss = losses.mse(ys, [0.0, 2.0, 1.0])
    assert loss.data == pytest.approx((1 + 0 + 9) / 3)
    loss.backward()
    assert grads(ys) == pytest.approx([2 / 3, 0.0, 2.0])


def test_sse_is_half_the_sum_with_gradient_y_minus_t():
    ys = values([1.0, 2.0, 4.0])
    loss = losses.sse(ys, [0.0, 2.0, 1.0])
    assert loss.data == pytest.approx(0.5 * 10)
    loss.backward()
    assert grads(ys) == pytest.approx([1.0, 0.0, 3.0])


def test_one_prediction_and_one_target_are_one_sample():
    y = Value(3.0)
    loss = losses.mse(y, 1.0)
    assert loss.data == 4.0
    loss.backward()
    assert y.grad == 4.0
    assert losses.sse(3.0, 1.0).data == 2.0  # numbers work too


def test_value_targets_get_gradients():
    t = Value(1.0)
    losses.mse([Value(3.0)], [t]).backward()
    assert t.grad == -4.0


def test_hinge_is_the_mean_margin_violation():
    ss = values([2.0, 0.5, -0.5, 0.25])
    loss = losses.hinge(ss, [1, 1, 1, -1])
    # max(0, 1 - y·s): 0, 0.5, 1.5, 1.25
    assert loss.data == pytest.approx((0 + 0.5 + 1.5 + 1.25) / 4)
    loss.backward()
    assert grads(ss) == pytest.approx([0.0, -0.25, -0.25, 0.25])


def test_hinge_needs_plus_minus_one_labels():
    with pytest.raises(ValueError, match=r"labels must be \+1 or -1, got 0.0 at labels\[1\]"):
        losses.hinge([1.0, 2.0], [1, 0])


def test_bce_matches_its_definition_and_gradient_is_sigmoid_minus_label():
    xs = values([0.3, -1.2, 2.5, 0.0])
    labels = [1, 0, 0, 1]
    loss = losses.binary_cross_entropy(xs, labels)
    expected = (
        -sum(
            y * math.log(sigmoid(x)) + (1 - y) * math.log(1 - sigmoid(x))
            for x, y in zip([0.3, -1.2, 2.5, 0.0], labels, strict=True)
        )
        / 4
    )
    assert loss.data == pytest.approx(expected, rel=1e-14)
    loss.backward()
    want = [(sigmoid(x.data) - y) / 4 for x, y in zip(xs, labels, strict=True)]
    assert grads(xs) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("label", [0, 1])
def test_bce_at_a_logit_of_exactly_zero(label):
    # relu(x) - x·y + log(1 + e^-|x|) would give a gradient of -y here (kinks at 0)
    x = Value(0.0)
    loss = losses.binary_cross_entropy([x], [label])
    assert loss.data == pytest.approx(math.log(2))
    loss.backward()
    assert x.grad == pytest.approx(0.5 - label)


@pytest.mark.parametrize(
    "logit, label, loss, grad",
    [
        (1000.0, 0, 1000.0, 1.0),
        (1000.0, 1, 0.0, 0.0),
        (-1000.0, 0, 0.0, 0.0),
        (-1000.0, 1, 1000.0, -1.0),
    ],
)
def test_bce_is_exact_at_huge_logits(logit, label, loss, grad):
    x = Value(logit)
    out = losses.binary_cross_entropy(x, label)
    assert out.data == loss
    out.backward()
    assert x.grad == grad


def test_bce_soft_labels_and_label_checks():
    x = Value(0.7)
    loss = losses.binary_cross_entropy([x], [0.25])
    loss.backward()
    assert x.grad == pytest.approx(sigmoid(0.7) - 0.25)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\], got 2.0"):
        losses.binary_cross_entropy([0.0], [2])


def test_cross_entropy_is_minus_log_softmax_with_softmax_minus_onehot_gradient():
    xs = values([1.0, 2.0, 0.5])
    loss = losses.cross_entropy(xs, 1)
    z = sum(math.exp(v) for v in (1.0, 2.0, 0.5))
    assert loss.data == pytest.approx(-math.log(math.exp(2.0) / z), rel=1e-14)
    loss.backward()
    soft = [math.exp(v) / z for v in (1.0, 2.0, 0.5)]
    assert grads(xs) == pytest.approx([soft[0], soft[1] - 1, soft[2]], rel=1e-14)


def test_cross_entropy_is_exact_at_huge_logits():
    xs = values([1000.0, 0.0, -1000.0])
    right = losses.cross_entropy(xs, 0)
    assert right.data == 0.0
    right.backward()
    assert grads(xs) == [0.0, 0.0, 0.0]
    wrong = losses.cross_entropy(values([1000.0, 0.0, -1000.0]), 1)
    assert wrong.data == 1000.0


def test_cross_entropy_checks_its_inputs():
    with pytest.raises(ValueError, match=r"target 3 is not a class index in \[0, 3\)"):
        losses.cross_entropy([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="target -1"):
        losses.cross_entropy([1.0, 2.0], -1)
    with pytest.raises(TypeError, match="target must be an int, got float"):
        losses.cross_entropy([1.0, 2.0], 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got bool"):
        losses.cross_entropy([1.0, 2.0], True)
    with pytest.raises(ValueError, match="empty"):
        losses.cross_entropy([], 0)
    with pytest.raises(TypeError, match="logits must be a list"):
        losses.cross_entropy(Value(1.0), 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"finite, got nan at logits\[1\]"):
        losses.cross_entropy([1.0, float("nan")], 0)
    assert losses.cross_entropy([0.0, 0.0], np.int64(1)).data == pytest.approx(math.log(2))


def test_l2_penalty_and_its_gradient():
    ws = values([1.0, -2.0, 0.5])
    penalty = losses.l2(ws, 0.1)
    assert penalty.data == pytest.approx(0.1 * 5.25)
    penalty.backward()
    assert grads(ws) == pytest.approx([0.2, -0.4, 0.1])
    nothing = losses.l2(ws, 0.0)
    assert nothing.data == 0.0 and nothing.parents == ()
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        losses.l2(ws, -1e-4)
    with pytest.raises(TypeError, match="alpha must be a number"):
        losses.l2(ws, "0.1")  # type: ignore[arg-type]


@pytest.mark.parametrize("fn", [losses.mse, losses.sse, losses.hinge, losses.binary_cross_entropy])
def test_length_mismatch_and_empty_input_are_clear_errors(fn):
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        fn([1.0, 1.0, 1.0], [1, 1])
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(TypeError, match=r"predictions\[1\] must be a Value or a number, got str"):
        fn([1.0, "a"], [1, 1])
    with pytest.raises(TypeError, match="must be sequences"):
        fn([1.0], 5)
    with pytest.raises(TypeError, match=r"\[0\] must be a real number .*got str"):
        fn([1.0], ["1"])


def test_number_predictions_give_a_value():
    assert isinstance(losses.hinge([0.5, -2.0], [1, -1]), Value)
    assert losses.mse(np.array([1.0, 2.0]), np.array([1.0, 0.0])).data == 2.0


# --- against PyTorch --------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def compare(torch, ours_fn, theirs_fn, xs):
    vs = values(xs)
    ours = ours_fn(vs)
    ours.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    theirs = theirs_fn(t)
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(grads(vs), t.grad.numpy(), rtol=1e-12, atol=1e-15)


RNG = np.random.default_rng(0)
PREDS = (RNG.normal(size=12) * 3).tolist()
TARGETS = RNG.normal(size=12).tolist()
BITS = RNG.integers(0, 2, size=12).tolist()


def test_mse_matches_torch(torch):
    F = torch.nn.functional
    compare(
        torch,
        lambda v: losses.mse(v, TARGETS),
        lambda t: F.mse_loss(t, torch.tensor(TARGETS, dtype=torch.float64)),
        PREDS,
    )


def test_sse_matches_torch(torch):
    F = torch.nn.functional
    target = torch.tensor(TARGETS, dtype=torch.float64)
    compare(
        torch,
        lambda v: losses.sse(v, TARGETS),
        lambda t: 0.5 * F.mse_loss(t, target, reduction="sum"),
        PREDS,
    )


def test_hinge_matches_torch(torch):
    signs = [2 * b - 1 for b in BITS]
    y = torch.tensor(signs, dtype=torch.float64)
    compare(torch, lambda v: losses.hinge(v, signs), lambda t: torch.relu(1 - y * t).mean(), PREDS)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_bce_matches_torch(torch, scale):
    F = torch.nn.functional
    logits = [x * scale for x in PREDS]
    y = torch.tensor(BITS, dtype=torch.float64)
    compare(
        torch,
        lambda v: losses.binary_cross_entropy(v, BITS),
        lambda t: F.binary_cross_entropy_with_logits(t, y),
        logits,
    )


@pytest.mark.parametrize("scale", [1.0, 300.0])
@pytest.mark.parametrize("target", [0, 3, 6])
def test_cross_entropy_matches_torch(torch, scale, target):
    F = torch.nn.functional
    logits = [x * scale for x in PREDS[:7]]
    compare(
        torch,
        lambda v: losses.cross_entropy(v, target),
        lambda t: F.cross_entropy(t.unsqueeze(0), torch.tensor([target])),
        logits,
    )


@pytest.mark.parametrize(
    "call, where",
    [
        (lambda big: losses.mse([1.0], [big]), r"mse: targets\[0\]"),
        (lambda big: losses.sse([0.5, 1.0], [1.0, big]), r"sse: targets\[1\]"),
        (lambda big: losses.mse([big], [1.0]), r"mse: predictions\[0\]"),
        (lambda big: losses.hinge([0.5], [big]), r"hinge: labels\[0\]"),
        (lambda big: losses.binary_cross_entropy([0.5], [big]), r"binary_cross_entropy: labels"),
        (lambda big: losses.cross_entropy([0.5, big], 0), r"cross_entropy: logits\[1\]"),
        (lambda big: losses.l2([Value(1.0)], big), "l2: alpha"),
    ],
)
def test_an_int_beyond_float_range_is_a_value_error_naming_the_argument(call, where):
    with pytest.raises(ValueError, match=f"^{where}"):
        call(10**400)


def test_l2_params_must_be_a_list_of_values():
    with pytest.raises(TypeError, match=r"^l2: params must be a list of Values, got a single"):
        losses.l2(Value(1.0), 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^l2: params\[1\] must be a Value, got float"):
        losses.l2([Value(1.0), 2.0], 0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="^l2: params must be a list of Values, got int"):
        losses.l2(3, 0.1)  # type: ignore[arg-type]
