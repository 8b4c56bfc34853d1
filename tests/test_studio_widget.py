"""Backprop Studio's widget, in a real Jupyter kernel (nbclient), as a notebook runs it.

The front end is not started here: the module it would run is the one the saved page
runs, tested in a browser in test_studio_browser.py. This tests the kernel's side:
what the notebook displays, what the widget syncs, and the message a front end sends
when the learner sets a leaf.
"""

from __future__ import annotations

import json

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("anywidget")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

CELLS = [
    # 1: importing the package loads no widget library; making a studio's widget does
    """\
import sys, json
import autograd_lite as ag
print(json.dumps({"anywidget_before": "anywidget" in sys.modules}))
x = ag.Value(2.0, label="x"); w = ag.Value(-0.5, label="w"); b = ag.Value(0.3, label="b")
out = (x * w + b).tanh(); out.label = "L"
s = ag.studio(out)
s""",
    # 2: what the widget holds and syncs
    """\
widget = s.widget
print(json.dumps({
    "anywidget_after": "anywidget" in sys.modules,
    "anywidget": "AnyWidget" in [c.__name__ for c in type(widget).__mro__],
    "hook_in_esm": "window.autogradLiteStudio" in str(widget._esm),
    "css": ".agl-studio" in str(widget._css),
    "nodes": [n["label"] for n in widget.recording["nodes"]],
    "views": [(v["name"], v["svg"][:4]) for v in widget.views],
}))""",
    # 3: the message the front end sends when a leaf is set; then the engine's answer
    """\
widget._handle_custom_msg({"type": "set_leaf", "id": "n0", "value": 1.0}, [])
x2 = ag.Value(1.0); w2 = ag.Value(-0.5); b2 = ag.Value(0.3)
out2 = (x2 * w2 + b2).tanh(); out2.backward()
nodes = {n["label"]: n for n in widget.recording["nodes"]}
print(json.dumps({
    "data": nodes["L"]["data"] == out2.data,
    "grads": [nodes[k]["grad"] for k in "xwb"] == [x2.grad, w2.grad, b2.grad],
    "caller_untouched": (x.data, x.grad) == (2.0, 0.0),
}))""",
]


def test_the_widget_in_a_kernel():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    first, second, third = (cell["outputs"] for cell in notebook.cells)

    printed = json.loads(first[0]["text"])
    assert printed == {"anywidget_before": False}
    shown = [o for o in first if o["output_type"] == "execute_result"]
    assert WIDGET_VIEW in shown[0]["data"], "the studio did not display as a widget"

    held = json.loads(second[0]["text"])
    assert held == {
        "anywidget_after": True,
        "anywidget": True,
        "hook_in_esm": True,
        "css": True,
        "nodes": ["x", "w", "b", "n3", "n4", "L"],
        "views": [["graph", "<svg"]],
    }
    assert json.loads(third[0]["text"]) == {"data": True, "grads": True, "caller_untouched": True}


TRAINING_CELLS = [
    """\
import json, time
import autograd_lite as ag
from autograd_lite import data, nn
X, y = data.make_moons(n=60, noise=0.1, seed=0)
s = ag.studio(nn.MLP(2, [8, 8, 1], seed=0), X, y, epochs=100_000, batch_size=20)
s""",
    # the front end presses play: the kernel trains in the background...
    """\
widget = s.widget
widget._handle_custom_msg({"type": "play"}, [])
started = time.perf_counter()""",
    # ...and runs this cell at once, while training goes on
    """\
waited = time.perf_counter() - started
time.sleep(0.5)
print(json.dumps({"waited": waited, "playing": widget.frame["status"]["playing"],
                  "steps": len(s.history)}))""",
    """\
widget._handle_custom_msg({"type": "pause"}, [])
steps = len(s.history)
widget._handle_custom_msg({"type": "step", "unit": "batch"}, [])
widget._handle_custom_msg({"type": "add", "x1": 0.5, "x2": 0.25, "label": 1}, [])
widget._handle_custom_msg({"type": "select", "index": 60}, [])
after_select = widget.frame["trace"]["x"]
widget._handle_custom_msg({"type": "delete", "index": 0}, [])
widget._handle_custom_msg({"type": "configure", "settings": {"lr": 0.05, "speed": 2}}, [])
print(json.dumps({
    "playing": widget.frame["status"]["playing"],
    "one_more_step": widget.frame["status"]["history_length"] == steps + 1,
    "points": len(widget.frame["points"]),
    "selected": after_select,
    "still_selected": widget.frame["trace"]["index"],
    "boundary": len(widget.frame["picture"]["probability"]),
    "settings": [widget.frame["status"]["lr"], widget.frame["status"]["speed"]],
}))"""]


def test_the_training_widget_in_a_kernel_stays_responsive_while_it_plays():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in TRAINING_CELLS]
    )
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [cell["outputs"] for cell in notebook.cells]
    assert WIDGET_VIEW in outputs[0][0]["data"]
    during = json.loads(outputs[2][0]["text"])
    assert during["waited"] < 2.0  # the cell ran while training played
    assert during["playing"] is True and during["steps"] > 0
    after = json.loads(outputs[3][0]["text"])
    assert after == {
        "playing": False,
        "one_more_step": True,
        "points": 60,
        "selected": [0.5, 0.25],
        "still_selected": 59,
        "boundary": 40 * 40,
        "settings": [0.05, 2.0],
    }


def test_a_saved_notebook_keeps_a_still_picture_and_a_readable_repr_as_fallbacks():
    import autograd_lite as ag
    from autograd_lite import data, nn

    x = ag.Value(2.0, label="x")
    graph = ag.studio((x * x).tanh())
    def shown(studio):  # IPython takes the data alone, or (data, metadata)
        bundle = studio._repr_mimebundle_()
        return bundle[0] if isinstance(bundle, tuple) else bundle

    bundle = shown(graph)
    assert WIDGET_VIEW in bundle
    assert bundle["text/plain"] == repr(graph) and "StudioWidget object" not in repr(graph)
    assert "<svg" in bundle["text/html"] and 'id="n0"' in bundle["text/html"]
    assert "<script" not in bundle["text/html"]

    X, y = data.make_moons(n=20, noise=0.1, seed=0)
    training = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y, epochs=3)
    training.step()
    bundle = shown(training)
    assert WIDGET_VIEW in bundle
    assert bundle["text/plain"] == "<TrainingStudio: 20 points, epoch 1 of 3>"
    html = bundle["text/html"]
    assert "epoch 1 / 3" in html and html.count("<circle") == 20 and "<script" not in html
