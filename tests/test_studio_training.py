"""Backprop Studio's training view, the kernel's side: the steps are fit's own steps.

Each claim is checked against an independent run: a twin model trained by
``train.fit`` directly, ``train.predict`` for the decision boundary, and central
differences for one point's gradients.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import data, nn, train
from autograd_lite.backprop_studio import TrainingStudio
from conftest import central_difference


def moons(n: int = 60):
    return data.make_moons(n=n, noise=0.1, seed=0)


def weights(model) -> list[float]:
    return [p.data for p in model.parameters()]


def test_full_batch_epochs_are_fits_epochs():
    X, y = moons()
    model, twin = nn.MLP(2, [8, 8, 1], seed=0), nn.MLP(2, [8, 8, 1], seed=0)
    s = ag.studio(model, X, y, l2=1e-4)
    assert isinstance(s, TrainingStudio)
    for _ in range(5):
        s.step("epoch")
    history = train.fit(twin, X, y, epochs=5, l2=1e-4, progress=False)
    assert weights(model) == weights(twin)
    assert [h["loss"] for h in s.history] == history.loss
    assert [h["accuracy"] for h in s.history] == history.accuracy


def test_batches_are_fits_batches_and_an_epoch_finishes_the_batches_begun():
    X, y = moons()
    model, twin = nn.MLP(2, [8, 1], seed=1), nn.MLP(2, [8, 1], seed=1)
    optimizer = ag.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    twin_optimizer = ag.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    s = ag.studio(model, X, y, optimizer=optimizer, batch_size=20, seed=3)
    s.step("batch")
    assert s.session.epoch == 0
    s.step("epoch")  # the two batches left of epoch 0
    assert s.session.epoch == 1 and len(s.history) == 2
    first = train.fit(
        twin, X, y, optimizer=twin_optimizer, epochs=1, batch_size=20, seed=3, progress=False
    )
    assert weights(model) == weights(twin)
    s.step("epoch")  # epoch 1 draws its order from seed + 1
    train.fit(twin, X, y, optimizer=twin_optimizer, epochs=1, batch_size=20, seed=4, progress=False)
    assert weights(model) == weights(twin)
    # one batch, then the two batches' mean: together the epoch's mean, as fit has it
    one, two = s.history[0]["loss"], s.history[1]["loss"]
    assert (one * 20 + two * 40) / 60 == pytest.approx(first.loss[0], rel=1e-12)


def test_playing_trains_in_the_background_and_pausing_stops_it():
    X, y = moons()
    s = ag.studio(nn.MLP(2, [8, 1], seed=0), X, y, epochs=10_000)
    started = time.perf_counter()
    s.play()
    assert time.perf_counter() - started < 0.5  # returns at once
    # the calling thread stays free: it does its own work while training goes on
    ticks = 0
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        ticks += 1
        time.sleep(0.01)
    assert ticks > 50
    assert s.session.playing and len(s.history) > 0
    s.pause()
    assert not s.session.playing
    done = len(s.history)
    time.sleep(0.2)
    assert len(s.history) == done
    assert threading.active_count() >= 1


def test_playing_stops_by_itself_after_epochs():
    X, y = moons(20)
    s = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y, epochs=3)
    s.play()
    for _ in range(200):
        if not s.session.playing:
            break
        time.sleep(0.02)
    assert not s.session.playing
    assert [h["epoch"] for h in s.history] == [1, 2, 3]


def test_the_decision_boundary_is_predicts_on_the_grid():
    X, y = moons()
    model = nn.MLP(2, [8, 8, 1], seed=0)
    s = ag.studio(model, X, y)
    s.step()
    b = s.session.boundary()
    x0, x1, y0, y1 = b["bounds"]
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min() and y1 > X[:, 1].max()
    n = b["n"]
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    assert b["classes"] == train.predict(model, grid).tolist()


def test_a_points_forward_and_backward_match_the_network_and_central_differences():
    X, y = moons()
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    s = ag.studio(model, X, y, loss="hinge")
    trace = s.session.trace_point(5)
    x, label = list(X[5]), int(y[5])
    assert trace["x"] == x and trace["label"] == label
    h = x
    for layer, shown in zip(model.layers, trace["layers"], strict=True):
        h = [neuron(h).data for neuron in layer.neurons]
        assert shown["data"] == pytest.approx(h, rel=1e-12)
    goal = train.objective("hinge")

    def loss_at(inputs):
        return goal.loss([model([ag.Value(v) for v in inputs])], [label]).data

    assert trace["loss"] == pytest.approx(loss_at(x))
    for k in range(2):
        numeric = central_difference(
            lambda v, k=k: loss_at([v if i == k else x[i] for i in range(2)]), x[k]
        )
        assert trace["inputs"][k]["grad"] == pytest.approx(numeric, rel=1e-5, abs=1e-9)
    out = trace["layers"][-1]["data"][0]
    numeric = central_difference(lambda o: goal.loss([ag.Value(o)], [label]).data, out)
    assert trace["layers"][-1]["grad"][0] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    assert all(p.grad == 0.0 for p in model.parameters())  # the trace writes no .grad


def test_adding_and_deleting_points_changes_what_it_trains_on():
    X, y = moons(20)
    s = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y)
    s.add_point(0.1, 0.2, 1)
    assert len(s.session.X) == 21 and s.session.y[-1] == 1
    assert s.session.X[-1].tolist() == [0.1, 0.2]
    s.delete_point(0)
    assert len(s.session.X) == 20 and s.session.X[0].tolist() == X[1].tolist()
    s.step()  # trains on the new data
    with pytest.raises(ValueError, match="add_point: label must be an int from 0 to 1, got 2"):
        s.add_point(0.0, 0.0, 2)
    with pytest.raises(ValueError, match="add_point: x1 must be a finite number, got nan"):
        s.add_point(float("nan"), 0.0, 0)
    with pytest.raises(ValueError, match="delete_point: index must be an int from 0 to 19, got 20"):
        s.delete_point(20)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros((3, 3)), [0, 1, 0]), {}, ValueError, r"X must have shape \(n, 2\)"),
        ((np.zeros((3, 2)), [0, 1]), {}, ValueError, r"y must have shape \(3,\)"),
        ((np.zeros((3, 2)), [0, 1, 2]), {}, ValueError, "takes two classes"),
        ((np.zeros((3, 2)), [0, 1, 0]), {"epochs": 0}, ValueError, "epochs must be a positive int"),
        ((np.zeros((3, 2)),), {}, TypeError, "needs both X and y"),
    ],
)
def test_bad_training_arguments_are_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        ag.studio(nn.MLP(2, [4, 1], seed=0), *args, **kwargs)


def test_a_fit_argument_without_data_is_refused_and_a_model_must_take_two_inputs():
    with pytest.raises(TypeError, match="'epochs' is an argument of the training view"):
        ag.studio(ag.Value(1.0), epochs=3)
    with pytest.raises(ValueError, match="model must take 2 inputs"):
        ag.studio(nn.MLP(3, [4, 1], seed=0), np.zeros((3, 2)), [0, 1, 0])


def wait_until_stopped(s, seconds: float = 10.0) -> None:
    deadline = time.perf_counter() + seconds
    while s.session.playing and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert not s.session.playing, "still playing"


class Exploding(nn.MLP):
    """An MLP whose forward raises ``error`` from epoch ``at`` on (while ``armed``)."""

    armed = True

    def __init__(self, error: Exception, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error = error
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        if self.armed and self.calls > 200:
            raise self.error
        return super().__call__(x)


@pytest.mark.parametrize(
    "error",
    [RuntimeError("the GPU caught fire"), ZeroDivisionError("float division by zero"), KeyError(3)],
)
def test_any_exception_in_the_training_thread_stops_playing_and_play_works_after_a_fix(error):
    X, y = moons(20)
    model = Exploding(error, 2, [4, 1], seed=0)
    s = ag.studio(model, X, y, epochs=1000, speed=None, compiled=False)
    s.play()
    wait_until_stopped(s)
    assert s.session.error == f"{type(error).__name__}: {error}"
    reached = s.session.epoch
    assert 0 < reached < 1000
    model.armed = False  # the fix
    s.play()
    assert s.session.error == ""
    deadline = time.perf_counter() + 5
    while s.session.epoch <= reached + 2 and time.perf_counter() < deadline:
        time.sleep(0.01)
    s.pause()
    assert s.session.epoch > reached + 2


def test_a_schedule_that_returns_a_str_later_stops_playing_with_a_type_error():
    X, y = moons(20)
    s = ag.studio(
        nn.MLP(2, [4, 1], seed=0), X, y, epochs=50, speed=None,
        lr_schedule=lambda epoch: 0.01 if epoch < 3 else "fast",
    )
    s.play()
    wait_until_stopped(s)
    assert s.session.epoch == 3
    assert s.session.error.startswith("TypeError: lr_schedule(3) returned 'fast'")
    s.session.lr_schedule = lambda epoch: 0.01  # the fix
    s.play()
    wait_until_stopped(s)
    assert s.session.epoch == 50 and s.session.error == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"X": [[0.0, 1.0], [float("nan"), 0.0]]}, ValueError,
         r"studio: X must hold finite numbers, got \[nan, 0.0\] in row 1"),
        ({"optimizer": "adam"}, TypeError, "studio: optimizer must be an optimizer .* got 'adam'"),
        ({"lr_schedule": "fast"}, TypeError,
         "studio: lr_schedule must be a function .* got 'fast'"),
        ({"lr_schedule": lambda e: "fast"}, ValueError,
         "studio: lr_schedule.0. must be a learning rate >= 0, got 'fast'"),
        ({"l2": -1}, ValueError, "studio: l2 must be a finite number >= 0, got -1"),
        ({"speed": 0}, ValueError, "studio: speed must be None .* got 0"),
        ({"seed": "x"}, ValueError, "studio: seed must be None or an int >= 0, got 'x'"),
        ({"test": [[0, 0]]}, TypeError, r"studio: test must be a pair \(X_test, y_test\)"),
        ({"test": ([[0, float("inf")]], [0])}, ValueError, r"studio: test\[0\] must hold finite"),
        ({"loss": "fast"}, ValueError, "loss"),
    ],
)
def test_arguments_are_checked_when_the_studio_is_made(kwargs, error, message):
    args = {"X": [[0.0, 1.0], [1.0, 0.0]], "y": [0, 1], **kwargs}
    with pytest.raises(error, match=message):
        ag.studio(nn.MLP(2, [4, 1], seed=0), **args)


def test_an_optimizer_of_another_model_is_refused():
    other = nn.MLP(2, [4, 1], seed=1)
    with pytest.raises(ValueError, match="optimizer must update model's own parameters"):
        ag.studio(nn.MLP(2, [4, 1], seed=0), [[0, 1], [1, 0]], [0, 1],
                  optimizer=ag.optim.SGD(other.parameters(), lr=0.1))


def test_speed_sets_the_pace_of_playing():
    X, y = moons(20)
    s = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y, epochs=1000, speed=20)
    s.play()
    time.sleep(1.0)
    s.pause()
    assert 10 <= s.session.epoch <= 22  # about 20 in one second, never more


def test_play_at_the_planned_end_says_so_and_more_trains_past_it():
    X, y = moons(20)
    s = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y, epochs=2, speed=None)
    s.step()
    s.step()
    s.play()
    assert not s.session.playing and "the planned 2 epochs are done" in s.session.note
    s.more(3)
    wait_until_stopped(s)
    assert s.session.epochs == 5 and s.session.epoch == 5 and s.session.note == ""
    with pytest.raises(ValueError, match="more: n must be an int from 1 to 1000000, got 0"):
        s.more(0)


def test_settings_change_training_and_reset_starts_again_with_the_new_activation():
    X, y = moons(40)
    model = nn.MLP(2, [6, 1], seed=0)
    s = ag.studio(model, X, y, batch_size=10, optimizer=ag.optim.SGD(model.parameters(), lr=0.1,
                                                                      momentum=0.5))
    s.configure(lr=0.05, batch_size=20, l2=0.001, speed=3)
    assert (s.session.optimizer.lr, s.session.batch_size, s.session.l2, s.session.speed) == (
        0.05, 20, 0.001, 3.0)
    twin = nn.MLP(2, [6, 1], seed=0)
    s.step()
    train.fit(twin, X, y, optimizer=ag.optim.SGD(twin.parameters(), lr=0.05, momentum=0.5),
              epochs=1, batch_size=20, l2=0.001, progress=False)
    assert weights(model) == weights(twin)
    s.configure(activation="tanh")
    assert model.activation == "relu"  # only a reset applies it
    s.reset()
    assert s.session.model.activation == "tanh" and s.session.model is not model
    assert s.session.epoch == 0 and s.history == []
    assert isinstance(s.session.optimizer, ag.optim.SGD)
    assert s.session.optimizer.params == s.session.model.parameters()
    assert (s.session.optimizer.lr, s.session.optimizer.momentum) == (0.05, 0.5)
    before = weights(s.session.model)
    s.reset()  # the same activation: the same model, new weights
    assert s.session.model.activation == "tanh" and weights(s.session.model) != before
    with pytest.raises(ValueError, match="configure: activation must be one of"):
        s.configure(activation="swish")
    with pytest.raises(TypeError, match="configure: unknown setting 'momentum'"):
        s.configure(momentum=0.9)


def test_the_test_loss_is_the_loss_of_the_test_points():
    X, y = moons(40)
    Xt, yt = data.make_moons(n=30, noise=0.1, seed=5)
    model = nn.MLP(2, [6, 1], seed=0)
    s = ag.studio(model, X, y, test=(Xt, yt))
    entry = s.step()
    goal = train.objective("hinge")
    expected = goal.loss([model(list(x)) for x in Xt], list(yt)).data
    assert entry["test_loss"] == pytest.approx(expected, rel=1e-9)
    assert entry["test_accuracy"] == train.accuracy(model, Xt, yt)


def test_the_optimizers_table_is_adams_own_state():
    X, y = moons(20)
    model = nn.MLP(2, [3, 1], seed=0)
    s = ag.studio(model, X, y)
    for _ in range(3):
        s.step()
    table = s.session.optimizer_state()
    opt = s.session.optimizer
    assert table["kind"] == "Adam" and table["t"] == 3
    assert table["names"] == [p.label for p in model.parameters()]
    assert table["m"] == pytest.approx(opt.m, rel=1e-3)
    assert table["sqrt_v"] == pytest.approx(np.sqrt(opt.v), rel=1e-3)
    # its step column: the move Adam's rule makes from these moments, by hand
    beta1, beta2 = opt.betas
    m, v, t = np.array(opt.m), np.array(opt.v), opt.t
    by_hand = -opt.lr / (1 - beta1**t) * m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + opt.eps)
    assert table["step"] == pytest.approx(by_hand, rel=1e-3)


def test_the_probability_shade_agrees_with_the_predicted_classes_and_the_plot_keeps_its_scale():
    X, y = moons()
    model = nn.MLP(2, [8, 8, 1], seed=0)
    s = ag.studio(model, X, y)
    s.step()
    before = s.session.bounds()
    s.add_point(float(X[:, 0].mean()), float(X[:, 1].mean()), 1)
    assert s.session.bounds() == before
    pic = s.session.picture()
    p = np.array(pic["probability"])
    assert ((p > 0.5) == (np.array(pic["classes"]) == 1)).mean() > 0.99
    assert len(pic["heat"]) == 8 + 8 + 1 and len(pic["heat"][0]) == pic["heat_n"] ** 2


def test_the_replay_holds_every_kept_epoch_and_ends_at_the_last():
    X, y = moons(20)
    model = nn.MLP(2, [4, 1], seed=0)
    s = ag.studio(model, X, y, epochs=500)
    for _ in range(450):
        s.step()
    replay = s.session.replay()
    epochs = [f["epoch"] for f in replay["frames"]]
    assert epochs[0] == 0 and epochs[-1] == 450 and len(epochs) <= 201
    assert epochs == sorted(epochs)
    assert replay["frames"][-1]["weights"] == s.session.weights()
    assert len(replay["history"]) == 450


def test_the_widgets_throttle_serves_the_latest_request_at_a_capped_rate_and_survives_errors():
    from autograd_lite.backprop_studio.widget import _Throttle

    calls: list[float] = []
    errors: list[Exception] = []
    fail = [True]

    def sync() -> None:
        calls.append(time.perf_counter())
        if fail[0]:
            fail[0] = False
            raise RuntimeError("cannot draw")

    throttle = _Throttle(sync, 0.05, errors.append)
    started = time.perf_counter()
    while time.perf_counter() - started < 0.5:  # a training thread asking every millisecond
        throttle.request()
        time.sleep(0.001)
    time.sleep(0.2)  # the last request is served
    assert [str(e) for e in errors] == ["cannot draw"]
    assert 3 <= len(calls) <= 0.7 / 0.05 + 1  # ~500 requests, at most one call per interval
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert min(gaps) >= 0.045
    assert calls[-1] > started + 0.45  # the latest request was served after the others
