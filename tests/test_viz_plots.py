"""plot_decision_boundary and plot_history: Figures built without pyplot."""

from __future__ import annotations

import io
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from autograd_lite import Value, viz

X = np.array([[-1.0, 0.0], [-0.5, 1.0], [0.5, -1.0], [1.0, 0.0]])
Y = np.array([0, 0, 1, 1])


def linear(p):
    """Class 1 to the right of the y axis: a perfect classifier for X, Y."""
    return Value(p[0]) * 2.0


def scatter_points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=30)
    return buffer.getvalue()


def test_decision_boundary_of_a_score_model():
    fig = viz.plot_decision_boundary(linear, X, Y, resolution=12)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert scatter_points(ax) == len(X)
    assert ax.get_title() == "decision boundary (accuracy 100.0%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    filled = [c for c in ax.collections if not isinstance(c, PathCollection)]
    assert filled, "the regions and the boundary line are drawn"
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_accuracy_in_the_title_counts_mistakes():
    fig = viz.plot_decision_boundary(lambda p: -linear(p), X, Y, resolution=8)
    assert fig.axes[0].get_title() == "decision boundary (accuracy 0.0%)"
    fig = viz.plot_decision_boundary(linear, X, Y, resolution=8, threshold=1.5)
    assert fig.axes[0].get_title() == "decision boundary (accuracy 75.0%)"  # only x=1 > 0.75


def test_model_is_evaluated_without_building_graphs():
    recorded = []

    def model(p):
        out = Value(p[0]) * Value(p[1])
        recorded.append(bool(out.parents))
        return out

    viz.plot_decision_boundary(model, X, Y, resolution=5)
    assert recorded and not any(recorded)


def test_class_logits_use_the_argmax():
    def logits(p):
        return [Value(-p[0]), Value(p[0]), Value(p[1] - 5)]  # class 2 never wins here

    y = np.array([0, 0, 1, 1])
    fig = viz.plot_decision_boundary(logits, X, y, resolution=10, title="three classes")
    ax = fig.axes[0]
    assert ax.get_title() == "three classes"
    assert scatter_points(ax) == 4


def test_a_batched_predict_replaces_the_model():
    def unusable(_p):
        raise AssertionError("the model should not be called one point at a time")

    calls = []

    def predict(points):
        calls.append(points.shape)
        return 2.0 * points[:, 0]

    fig = viz.plot_decision_boundary(unusable, X, Y, resolution=7, predict=predict)
    assert calls == [(7 * 7 + len(X), 2)]
    assert fig.axes[0].get_title().endswith("(accuracy 100.0%)")
    with pytest.raises(ValueError, match="one score or one row of scores per point"):
        viz.plot_decision_boundary(unusable, X, Y, resolution=7, predict=lambda p: p[:3, 0])


def test_real_mlp():
    nn = pytest.importorskip("autograd_lite.nn")
    fig = viz.plot_decision_boundary(nn.MLP(2, [4, 1], seed=0), X, Y, resolution=6)
    assert scatter_points(fig.axes[0]) == len(X)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        viz.plot_decision_boundary(linear, np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        viz.plot_decision_boundary(linear, X, [0, 1, 0])


def test_history_from_a_dict_plots_loss_and_accuracy():
    history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.75, 0.9]}
    fig = viz.plot_history(history)
    loss_ax, acc_ax = fig.axes
    (line,) = loss_ax.get_lines()
    assert list(line.get_xdata()) == [1, 2, 3]
    assert list(line.get_ydata()) == history["loss"]
    assert list(acc_ax.get_lines()[0].get_ydata()) == history["accuracy"]
    assert loss_ax.get_title() == "loss (last 0.4)"
    assert acc_ax.get_title() == "accuracy (last 90.0%)"
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_history_object_with_attributes_and_loss_only():
    fig = viz.plot_history(SimpleNamespace(loss=[3.0, 2.0], accuracy=[]), title="run 1")
    assert len(fig.axes) == 1
    assert fig.get_suptitle() == "run 1"
    fig = viz.plot_history(SimpleNamespace(loss=[100.0, 1.0, 0.01]))
    assert fig.axes[0].get_yscale() == "log"  # a loss falling by orders of magnitude


def test_history_of_train_fit():
    train = pytest.importorskip("autograd_lite.training.train")
    history = train.History(loss=[0.9, 0.5], accuracy=[0.6, 0.8], lr=[0.1, 0.1])
    assert len(viz.plot_history(history).axes) == 2


def test_history_without_loss_is_refused():
    with pytest.raises(ValueError, match="'loss'"):
        viz.plot_history({"accuracy": [0.5]})
    with pytest.raises(ValueError, match="'loss'"):
        viz.plot_history({"loss": []})


def test_no_pyplot_and_matplotlib_only_when_plotting():
    code = (
        "import sys\n"
        "import autograd_lite.viz as viz\n"
        "assert 'matplotlib' not in sys.modules, 'imported matplotlib eagerly'\n"
        "fig = viz.plot_history({'loss': [1.0, 0.5]})\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'used pyplot'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_figures_show_themselves_in_a_fresh_jupyter_kernel():
    from autograd_lite import viz

    fig = viz.plot_history({"loss": [1.0, 0.5, 0.25]})
    png = fig._repr_png_()  # what IPython calls when no inline backend is set up
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "X_, y_, message",
    [
        ([[0, np.nan], [1, 1]], [0, 1], r"X must hold finite numbers, got nan at X\[0\]\[1\]"),
        ([[0, 1], [np.inf, 1]], [0, 1], r"X must hold finite numbers, got inf at X\[1\]\[0\]"),
        ([[0.0, 1.0], [1.0, 1.0]], [0, np.nan], r"y must hold finite numbers, got nan at y\[1\]"),
        ([[0.0, 1.0], [1.0, 1.0]], [0, 1.5], r"y must hold class ids 0, 1, \.\.\., got 1\.5"),
        ([[0.0, 1.0], [1.0, 1.0]], [0, -1], r"y must hold class ids 0, 1, \.\.\., got -1$"),
    ],
)
def test_nan_inf_and_non_class_labels_are_refused_before_matplotlib(X_, y_, message):
    with pytest.raises(ValueError, match="^plot_decision_boundary: " + message):
        viz.plot_decision_boundary(linear, np.array(X_), np.array(y_), resolution=4)


def test_other_bad_arguments_name_plot_decision_boundary():
    with pytest.raises(TypeError, match="^plot_decision_boundary: X must be an array of numbers"):
        viz.plot_decision_boundary(linear, [["a", "b"]], [0])
    with pytest.raises(TypeError, match="^plot_decision_boundary: model must be callable"):
        viz.plot_decision_boundary(3, X, Y)
    with pytest.raises(ValueError, match="^plot_decision_boundary: resolution must be at least 2"):
        viz.plot_decision_boundary(linear, X, Y, resolution=1)
    with pytest.raises(ValueError, match="^plot_decision_boundary: threshold must be a finite"):
        viz.plot_decision_boundary(linear, X, Y, threshold=float("nan"))
