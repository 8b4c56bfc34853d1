"""``draw_model``: a network's neurons and weights, one column per layer.

This is the picture from the textbooks, not the scalar graph of :func:`draw_dot`: a
circle per neuron and a line per weight, blue for a positive weight and red for a
negative one, thicker the larger it is. It reads the model only through
``named_parameters()``, whose names (``layers.{i}.weight[o][j]`` and
``layers.{i}.bias[o]``) give each Value its place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..support.checks import one_of, positive_int, whole_number
from .drawing import Drawing, drawable_text

DEFAULT_MAX_EDGES = 2000
SHOW = ("weights", "grads")

# "layers.1.weight[3][0]" (nn's style) or "layers.1.weight.3.0", once brackets become dots
_NAME = re.compile(r"layers\.(\d+)\.(weight|bias)\.(\d+)(?:\.(\d+))?")
_INDEX = re.compile(r"\[(\d+)\]")

_POSITIVE = (31, 119, 180)  # blue
_NEGATIVE = (214, 39, 40)  # red
_ZERO = "#bbbbbb"
_INPUT = "#eeeeee"
_OUTPUT_BORDER = "#b8860b"
_COLUMN_GAP = 2.0  # inches between layers
_ROW_GAP = 0.7  # inches between neurons of a layer


@dataclass
class _Layer:
    weight: dict[tuple[int, int], Any] = field(default_factory=dict)  # (out, in) -> Value
    bias: dict[int, Any] = field(default_factory=dict)  # out -> Value
    nin: int = 0
    nout: int = 0


def _layers(model: Any) -> list[_Layer]:
    """The model's layers, rebuilt from the names of its parameters and checked."""
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(
            f"draw_model needs a model with named_parameters(), got {type(model).__name__}"
        )
    layers: dict[int, _Layer] = {}
    for name, value in named():
        m = _NAME.fullmatch(_INDEX.sub(r".\1", str(name)))
        if m is None or (m[2] == "weight") != (m[4] is not None):
            raise ValueError(
                f"draw_model draws MLPs, whose parameters are named layers.{{i}}.weight[o][j] "
                f"and layers.{{i}}.bias[o]; got {name!r}"
            )
        layer = layers.setdefault(int(m[1]), _Layer())
        if m[2] == "weight":
            layer.weight[int(m[3]), int(m[4])] = value
        else:
            layer.bias[int(m[3])] = value
    if not layers:
        raise ValueError("draw_model: the model has no parameters")
    if sorted(layers) != list(range(len(layers))):
        raise ValueError(f"draw_model: layers are numbered {sorted(layers)}, expected 0, 1, 2, ...")
    ordered = [layers[i] for i in range(len(layers))]
    previous = None
    for i, layer in enumerate(ordered):
        layer.nout = 1 + max(o for o, _ in layer.weight) if layer.weight else 0
        layer.nin = 1 + max(j for _, j in layer.weight) if layer.weight else 0
        full = len(layer.weight) == layer.nin * layer.nout and len(layer.bias) == layer.nout
        if not full or set(layer.bias) != set(range(layer.nout)):
            raise ValueError(f"draw_model: layers.{i} is not a full out×in weight and out bias")
        if previous is not None and layer.nin != previous.nout:
            raise ValueError(
                f"draw_model: layers.{i} takes {layer.nin} inputs but layers.{i - 1} "
                f"gives {previous.nout}"
            )
        previous = layer
    return ordered


def draw_model(
    model: Any,
    show: str = "weights",
    rankdir: str = "LR",
    max_edges: int = DEFAULT_MAX_EDGES,
    *,
    precision: int = 3,
) -> Drawing:
    """Draw an MLP's neurons layer by layer, with an edge per weight.

    Edge colour is the sign (blue positive, red negative), edge width and opacity grow
    with the magnitude. Each neuron shows its bias (filled blue or red the same way);
    hover over a neuron or an edge in the SVG for the exact numbers.

    Args:
        model: an :class:`autograd_lite.nn.MLP`, or anything whose
            ``named_parameters()`` names its Values the same way.
        show: ``"weights"`` to draw each weight's ``.data``, or ``"grads"`` to draw
            its ``.grad`` (after ``loss.backward()``: which weights the loss pushes).
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top).
        max_edges: refuse networks with more weights than this.
        precision: significant digits of the numbers shown.

    Returns:
        A :class:`Drawing` (a ``graphviz.Digraph``); show it in Jupyter or write it with
        :func:`autograd_lite.viz.render`.

    Raises:
        TypeError: if ``model`` has no ``named_parameters()``.
        ValueError: if its parameters are not laid out like an MLP's, it has more
            than ``max_edges`` weights, or an option is not one of the choices.
    """
    one_of(show, "draw_model", "show", SHOW)
    one_of(rankdir, "draw_model", "rankdir", ("LR", "TB"))
    max_edges = positive_int(max_edges, "draw_model", "max_edges")
    precision = whole_number(precision, "draw_model", "precision", at_least=1, at_most=17)
    layers = _layers(model)
    edges = sum(len(layer.weight) for layer in layers)
    if edges > max_edges:
        raise ValueError(
            f"draw_model: this network has {edges:,} weights, more than max_edges={max_edges}; "
            f"pass a larger max_edges to draw it anyway (it will be slow and crowded)"
        )

    def number(v: Any) -> float:
        return float(v.grad if show == "grads" else v.data)

    def largest(values: Iterable[Any]) -> float:
        return max((abs(x) for x in map(number, values) if math.isfinite(x)), default=0.0)

    # Weights and biases each on their own scale: the largest of each is full strength.
    top_w = largest(w for layer in layers for w in layer.weight.values())
    top_b = largest(b for layer in layers for b in layer.bias.values())
    spec = f".{precision}g"
    what = "gradient" if show == "grads" else "weight"
    activations = _activations(model, len(layers))

    g = Drawing(
        name="network",
        format="svg",
        graph_attr={
            # Positions are computed here and pinned ("x,y!"), so that neuron 1 is always
            # on top and the columns are centred; dot would reorder a dense layer freely.
            "layout": "neato",
            "splines": "line",
            "outputorder": "edgesfirst",
            "fontname": "Helvetica",
            "fontsize": "11",
            "labelloc": "b",
            "label": f"edges: {what}s, blue positive, red negative, width ~ |{what}|",
        },
        node_attr={
            "shape": "circle",
            "fixedsize": "true",
            "width": "0.55",
            "fontname": "Helvetica",
            "fontsize": "9",
            "style": "filled",
        },
        edge_attr={"arrowhead": "none"},
    )
    sizes = [layers[0].nin] + [layer.nout for layer in layers]
    tallest = max(sizes)
    for column, size in enumerate(sizes):
        last = column == len(sizes) - 1
        title = "inputs" if column == 0 else "outputs" if last else f"hidden {column}"
        if column and activations[column - 1]:
            title += f"\\n({activations[column - 1]})"
        g.node(
            f"title{column}",
            title,
            pos=_pos(column, -1.3, tallest, rankdir),
            shape="plaintext",
            fixedsize="false",
            style="",
            fontsize="10",
            fontcolor="#444444",
        )
        for j in range(size):
            node = f"n{column}_{j}"
            pos = _pos(column, j + (tallest - size) / 2, tallest, rankdir)
            if column == 0:
                g.node(node, f"x{j + 1}", pos=pos, fillcolor=_INPUT, tooltip=f"input {j + 1}")
                continue
            b = layers[column - 1].bias[j]
            g.node(
                node,
                format(number(b), spec),
                pos=pos,
                fillcolor=_color(number(b), top_b, light=True),
                color=_OUTPUT_BORDER if last else "#333333",
                penwidth="1.6" if last else "1",
                tooltip=(
                    f"layers.{column - 1} neuron {j}: bias {b.data:{spec}}, "
                    f"bias grad {b.grad:{spec}}"
                ),
            )
    for i, layer in enumerate(layers):
        for (o, j), w in layer.weight.items():
            x = number(w)
            share = abs(x) / top_w if math.isfinite(x) and top_w else (1.0 if x else 0.0)
            g.edge(
                f"n{i}_{j}",
                f"n{i + 1}_{o}",
                color=_color(x, top_w),
                penwidth=f"{0.3 + 3.2 * share:.2f}",
                tooltip=f"layers.{i}.weight[{o}][{j}]: {what} {x:{spec}}",
            )
    return g


def _pos(column: int, row: float, tallest: int, rankdir: str) -> str:
    """A pinned neato position, in inches, for neuron ``row`` of layer ``column``."""
    across, down = column * _COLUMN_GAP, (tallest - 1 - row) * _ROW_GAP
    x, y = (across, down) if rankdir == "LR" else (row * _ROW_GAP * 1.2, -across * 0.8)
    return f"{x:.3f},{y:.3f}!"


def _activations(model: Any, n: int) -> list[str]:
    """The activation of each layer, if the model says (an nn.MLP does); else blanks."""
    hidden = getattr(model, "activation", None)
    output = getattr(model, "output_activation", None)
    if not isinstance(hidden, str) or not isinstance(output, str):
        return [""] * n
    hidden, output = drawable_text(hidden, "draw_model"), drawable_text(output, "draw_model")
    return [hidden] * (n - 1) + [output]


def _color(x: float, top: float, light: bool = False) -> str:
    """Blue for positive, red for negative, stronger the larger ``|x|`` is next to ``top``.

    Edges get more opaque; node fills (``light``) get a pale tint that black text
    stays readable on.
    """
    if math.isnan(x) or x == 0:
        return "#ffffff" if light else _ZERO
    share = 1.0 if math.isinf(x) or not top else min(1.0, abs(x) / top)
    rgb = _POSITIVE if x > 0 else _NEGATIVE
    if light:
        r, g, b = (round(255 + (c - 255) * 0.45 * share) for c in rgb)
        return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = rgb
    return f"#{r:02x}{g:02x}{b:02x}{round(255 * (0.25 + 0.75 * share)):02x}"
