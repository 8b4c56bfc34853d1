"""What a learner does in Pyodide (no numpy, no Graphviz): run by tests/test_pyodide.py."""

import importlib.util
import json
import math
import pickle
import random
import sys

assert importlib.util.find_spec("numpy") is None, "this Pyodide should have no numpy"

import autograd_lite as ag  # noqa: E402
from autograd_lite import Value, nn, optim  # noqa: E402

x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
o = (x * w + b).tanh()
o.label = "o"
o.backward()
local = 1 - o.data**2  # d tanh(n)/dn
assert math.isclose(x.grad, w.data * local) and math.isclose(w.grad, x.data * local)
assert math.isclose(b.grad, local)
explained = str(ag.explain(o))
assert "do/dx" in explained, explained

xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
losses = {}
for name in ("SGD", "Adam"):
    random.seed(1337)
    model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    opt = (
        optim.SGD(model.parameters(), lr=0.1)
        if name == "SGD"
        else optim.Adam(model.parameters(), lr=0.05)
    )
    curve = []
    for _ in range(20):
        loss = sum((model(xi) - yi) ** 2 for xi, yi in zip(xs, ys, strict=True))
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(loss.data)
    assert curve[-1] < curve[0] / 4, (name, curve)
    losses[name] = [curve[0], curve[-1]]

svg = ag.draw_dot(o).to_svg()
assert svg.startswith("<?xml") and "<svg" in svg and "data 2" in svg and "grad 1" in svg
page = ag.studio(o).save_html("/work/studio.html")
html = open(page, encoding="utf-8").read()
# the page holds the laid-out SVG inside its JSON, "<" written as \u003c
assert "\\u003csvg" in html and 'id=\\"e_' in html, html[:500]

again = pickle.loads(pickle.dumps(o))
assert again.data == o.data and [p.data for p in again.parents] == [p.data for p in o.parents]

assert "numpy" not in sys.modules, "something imported numpy"
print(
    "RESULT "
    + json.dumps(
        {
            "python": sys.version.split()[0],
            "losses": losses,
            "svg_chars": len(svg),
            "page_chars": len(html),
        }
    )
)
