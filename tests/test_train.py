"""train: fit, train_step, predict and accuracy; learning XOR and toy data sets."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from autograd_lite import Value, data, losses, nn, optim, train
from autograd_lite.training import steps
from autograd_lite.training.objectives import objective

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0, 1, 1, 0]


def test_xor_is_learned_by_a_2_2_1_sigmoid_network_with_sse_and_momentum():
    # The classic experiment of Rumelhart, Hinton & Williams (1986): lr 0.5, momentum 0.9.
    solved = 0
    for seed in range(10):
        model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
        opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        history = train.fit(
            model, XOR_X, XOR_Y, loss="sse", optimizer=opt, epochs=1000, progress=False
        )
        outputs = [model(x).data for x in XOR_X]  # type: ignore[union-attr]
        if all((o > 0.5) == bool(c) for o, c in zip(outputs, XOR_Y, strict=True)):
            solved += 1
            assert history.loss[-1] < 0.01
            assert train.accuracy(model, XOR_X, XOR_Y, threshold=0.5) == 1.0
    assert solved >= 7


def test_history_records_every_epoch_and_reads_like_a_dict():
    model = nn.MLP(2, [8, 1], seed=0)
    X, y = data.make_moons(40, seed=0)
    history = train.fit(model, X, y, epochs=15, progress=False)
    assert len(history.loss) == len(history.accuracy) == len(history.lr) == 15
    assert history["loss"] is history.loss
    assert set(dict(history)) == {"loss", "accuracy", "lr"}
    assert history.loss[-1] < history.loss[0]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)
    with pytest.raises(KeyError):
        history["nope"]


def test_full_batch_loss_is_the_loss_before_the_step_penalty_included():
    X, y = data.make_moons(20, seed=1)
    model = nn.MLP(2, [4, 1], seed=0)
    scores = [model(x) for x in X.tolist()]
    expected = losses.hinge(scores, [2 * c - 1 for c in y]).data + 1e-3 * sum(
        p.data**2 for p in model.parameters()
    )
    history = train.fit(model, X, y, loss="hinge", l2=1e-3, epochs=1, progress=False)
    assert history.loss[0] == pytest.approx(expected, rel=1e-12)


def test_train_step_does_forward_backward_update_and_counts_correct():
    model = nn.MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1)
    goal = objective("hinge")
    rows, labels = [[1.0, 0.0], [0.0, 1.0]], [1, 0]
    expected_correct = sum(int(model(x).data > 0) == c for x, c in zip(rows, labels, strict=True))  # type: ignore[union-attr]
    loss, correct = steps.scalar_step(model, goal, opt, rows, labels)
    assert correct == expected_correct
    assert loss > 0
    after = [p.data for p in model.parameters()]
    assert after != before
    # the update used exactly this batch's gradient
    assert [b - 0.1 * p.grad for b, p in zip(before, model.parameters(), strict=True)] == after


def test_mini_batches_are_reproducible_by_seed_and_differ_from_full_batch():
    X, y = data.make_moons(30, seed=2)

    def run(batch_size, seed):
        model = nn.MLP(2, [6, 1], seed=0)
        return train.fit(
            model, X, y, batch_size=batch_size, epochs=3, seed=seed, progress=False
        ).loss

    assert run(8, 0) == run(8, 0)
    assert run(8, 0) != run(8, 1)
    assert run(None, 0) != run(8, 0)
    assert run(30, 0) == run(None, 0)


def test_mini_batch_adam_learns_moons():
    X, y = data.make_moons(100, seed=3)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=0)
    opt = optim.Adam(model.parameters(), lr=0.03)
    train.fit(model, X, y, loss="bce", optimizer=opt, epochs=40, batch_size=20, progress=False)
    assert train.accuracy(model, X, y) >= 0.95


def test_cross_entropy_learns_three_blobs_and_predict_takes_the_argmax():
    X, y = data.make_blobs(90, centers=3, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    train.fit(model, X, y, loss="cross_entropy", epochs=30, progress=False)
    predicted = train.predict(model, X)
    assert predicted.dtype == np.int64 and predicted.shape == (90,)
    scores = [[v.data for v in model(x)] for x in X]  # type: ignore[union-attr]
    assert predicted.tolist() == [int(np.argmax(s)) for s in scores]
    assert train.accuracy(model, X, y) >= 0.95


def test_mse_on_many_outputs_aims_at_one_hot_vectors():
    X, y = data.make_blobs(60, centers=3, seed=1)
    model = nn.MLP(2, [8, 3], seed=0)
    history = train.fit(model, X, y, loss="mse", epochs=40, progress=False)
    assert history.loss[-1] < history.loss[0]
    assert train.accuracy(model, X, y) >= 0.9


def test_a_callable_loss_with_its_own_threshold():
    def squared(outputs, labels):
        return losses.mse(outputs, labels)

    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    opt = optim.SGD(model.parameters(), lr=2.0, momentum=0.9)
    history = train.fit(
        model, XOR_X, XOR_Y, loss=squared, optimizer=opt, epochs=600, threshold=0.5, progress=False
    )
    assert history.accuracy[-1] == 1.0
    with pytest.raises(TypeError, match="loss must return a Value, got float"):
        train.fit(model, XOR_X, XOR_Y, loss=lambda o, y: 1.0, epochs=1, progress=False)


def test_lr_schedule_sets_the_lr_of_each_epoch():
    model = nn.MLP(2, [3, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    history = train.fit(
        model,
        XOR_X,
        XOR_Y,
        optimizer=opt,
        epochs=4,
        lr_schedule=lambda e: 0.5 / (e + 1),
        progress=False,
    )
    assert history.lr == [0.5, 0.25, 0.5 / 3, 0.125]
    assert opt.lr == 0.125
    with pytest.raises(ValueError, match=r"lr_schedule\(2\) returned -1.0: SGD: lr must be"):
        train.fit(
            model,
            XOR_X,
            XOR_Y,
            optimizer=opt,
            epochs=4,
            lr_schedule=lambda e: 1.0 - e,
            progress=False,
        )


def test_a_diverging_run_stops_with_a_clear_error_and_finite_weights():
    model = nn.MLP(1, [1], output_activation="linear", seed=0)
    model.layers[0].neurons[0].w[0].data = 1.0
    with pytest.raises(ValueError, match="gradient of parameter 0 is inf"):
        train.fit(
            model,
            [[1e200]],
            [1],
            loss="mse",
            optimizer=optim.SGD(model.parameters(), lr=1.0),
            epochs=3,
            progress=False,
        )
    assert all(np.isfinite(p.data) for p in model.parameters())


def test_progress_bar_shows_loss_and_accuracy_and_can_be_switched_off(capsys):
    model = nn.MLP(2, [3, 1], seed=0)
    train.fit(model, XOR_X, XOR_Y, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "accuracy=" in err and "3/3" in err
    train.fit(model, XOR_X, XOR_Y, epochs=3, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_garbage_collector_is_restored_even_after_an_error():
    model = nn.MLP(2, [3, 1], seed=0)
    assert gc.isenabled()
    train.fit(model, XOR_X, XOR_Y, epochs=2, progress=False)
    assert gc.isenabled()

    def broken(outputs, labels):
        assert not gc.isenabled()  # paused while the graph is built
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train.fit(model, XOR_X, XOR_Y, loss=broken, epochs=2, progress=False)
    assert gc.isenabled()
    gc.disable()
    try:
        train.fit(model, XOR_X, XOR_Y, epochs=1, progress=False)
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_the_default_optimizer_trains():
    X, y = data.make_blobs(40, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    train.fit(model, X, y, epochs=5, progress=False)
    assert model.state_dict() != before


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"loss": "huber"}, ValueError, "unknown loss 'huber'; choose one of 'hinge'"),
        ({"loss": 3}, TypeError, "loss must be a name or a callable"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
        ({"epochs": 2.5}, ValueError, "epochs must be a positive int"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"l2": -1.0}, ValueError, "l2 must be a finite number >= 0"),
        ({"y": [0, 1, 2, 1]}, ValueError, "loss 'hinge' takes two classes"),
        ({"y": [0, 1, 1]}, ValueError, "one label per row of X: X has 4 rows"),
        ({"y": [0.5, 1, 1, 0]}, ValueError, "class ids 0, 1"),
        ({"y": [0, -1, 1, 0]}, ValueError, "class ids 0, 1"),
        ({"X": [[0.0, 0.0], [1.0]] * 2}, ValueError, "2-D array"),
        ({"X": [0.0, 1.0, 1.0, 0.0]}, ValueError, "2-D"),
        ({"X": [[0.0, np.nan]] * 4}, ValueError, "nan or inf"),
        ({"X": [[0.0, 1.0, 2.0]] * 4}, ValueError, "takes 2 inputs, got 3"),
        ({"loss": "cross_entropy"}, ValueError, "one output per class"),
    ],
)
def test_bad_fit_arguments_are_clear_errors(kwargs, error, message):
    args = {"X": XOR_X, "y": XOR_Y, "progress": False, "epochs": 1, **kwargs}
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(error, match=message):
        train.fit(model, **args)


def test_one_output_losses_refuse_many_outputs():
    with pytest.raises(ValueError, match="loss 'hinge' needs a model with one output, got 3"):
        train.fit(nn.MLP(2, [3, 3], seed=0), XOR_X, XOR_Y, epochs=1, progress=False)


def test_predict_and_accuracy_use_the_threshold():
    model = nn.MLP(1, [1], output_activation="linear", seed=0)
    model.load_state_dict({"layers.0.weight": [[1.0]], "layers.0.bias": [0.0]})
    X = [[-1.0], [0.25], [0.75]]
    assert train.predict(model, X).tolist() == [0, 1, 1]
    assert train.predict(model, X, threshold=0.5).tolist() == [0, 0, 1]
    assert train.accuracy(model, X, [0, 0, 1], threshold=0.5) == 1.0
    assert train.accuracy(model, X, [0, 0, 1]) == pytest.approx(2 / 3)


def test_predict_leaves_graph_recording_on_afterwards():
    model = nn.MLP(2, [3, 1], seed=0)
    train.predict(model, XOR_X)
    out = model(XOR_X[0])
    assert isinstance(out, Value) and out.parents  # recording is back on afterwards


# --- regressors: mse and sse also fit numbers ------------------------------------------


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_trains_the_lectures_plus_minus_one_targets_with_mse(compiled):
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=1)
    history = train.fit(
        model, xs, ys, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1),
        epochs=200, progress=False, compiled=compiled,
    )  # fmt: skip
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert history.accuracy == []  # nothing to classify
    assert [round(model(x).data) for x in xs] == ys


def test_compiled_and_scalar_regression_steps_agree():
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]])
    Y = [[0.2, -1.0], [1.5, 0.5], [-0.7, 2.0]]
    models = [nn.MLP(2, [3, 2], seed=4) for _ in range(2)]
    goal = objective("sse").regression
    results = [
        step(m, goal, optim.SGD(m.parameters(), lr=0.05), X.tolist(), Y)
        for step, m in zip([steps.scalar_step, steps.CompiledStep()], models, strict=True)
    ]
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"y": None}, ValueError, "fit: y is None"),
        ({"optimizer": "adam"}, TypeError, "fit: optimizer must be an optimizer.*got str"),
        ({"seed": -1}, ValueError, r"fit: seed must be None or an int >= 0, got -1"),
        ({"lr_schedule": 0.1}, TypeError, "fit: lr_schedule must be a function"),
        ({"y": [0.5, 1.0, 0.0, 1.0]}, ValueError, "fit: y must hold class ids.*loss='mse'"),
        ({"X": [[10**400, 1.0]] * 4}, ValueError, "fit: X holds an integer beyond"),
        ({"X": [["a", "b"]] * 4}, ValueError, "fit: X must be a 2-D array of real numbers"),
    ],
)
def test_fit_names_its_bad_arguments(kwargs, error, words):
    args = {"X": [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], "y": [0, 1, 1, 0]}
    args.update(kwargs)
    with pytest.raises(error, match=words):
        train.fit(nn.MLP(2, [2, 1], seed=0), args.pop("X"), args.pop("y"), progress=False, **args)


@pytest.mark.parametrize("compiled", [False, True])
def test_a_regressors_targets_must_fit_its_outputs(compiled):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    one_column = rng.normal(size=(8, 1))  # (n, 1) for one output: as good as (n,)
    a, b = (nn.MLP(2, [4, 1], seed=0) for _ in range(2))
    fit_a = train.fit(a, X, one_column, loss="mse", epochs=2, progress=False, compiled=compiled)
    fit_b = train.fit(b, X, one_column[:, 0], loss="mse", epochs=2, progress=False)
    assert fit_a.loss == pytest.approx(fit_b.loss, rel=1e-12)
    with pytest.raises(ValueError, match="2 numbers for a model of 1 output|2 target"):
        train.fit(
            nn.MLP(2, [4, 1], seed=0), X, rng.normal(size=(8, 2)), loss="mse",
            epochs=1, progress=False, compiled=compiled,
        )  # fmt: skip


def test_a_compiled_steps_l2_counts_a_weight_listed_twice_as_the_scalar_step_does():
    class Twice:
        def __init__(self):
            self.w = Value(0.7)

        def parameters(self):
            return [self.w, self.w]

        def __call__(self, x):
            return self.w * x[0]

    models = [Twice(), Twice()]
    X, y = np.array([[1.0], [2.0]]), [0, 1]
    for m, step in zip(models, [steps.scalar_step, steps.CompiledStep()], strict=True):
        sgd = optim.SGD([m.w], lr=0.1)
        step(m, objective("hinge"), sgd, X, y, 0.05)
    assert models[1].w.data == pytest.approx(models[0].w.data, rel=1e-12)
    assert models[1].w.grad == pytest.approx(models[0].w.grad, rel=1e-12)
