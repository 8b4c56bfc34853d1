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
