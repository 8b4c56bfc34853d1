"""The one look of a computation graph, shared by :func:`draw_dot` and the Studio.

A Value is a record ``label | data … | grad …``; its op a small grey oval between its
inputs and it, so the picture reads like the forward pass and the backward pass runs
along the same arrows in reverse. Leaves are drawn as what they are:

* a network's **parameters** (the numbers being learned): green, bold green border;
* other labelled leaves, **inputs**: blue;
* unlabelled leaves, most likely **constants** (``Value(2.0)``): dashed and grey;
* the **output**: light orange, a thicker border.

A neuron's ``dot`` op is a **column of its terms** ``w1·x1 … b`` beside ``w·x+b``, each
weight and its input entering the cell of their term. A gradient no backward pass has
reached reads ``grad —`` (:data:`NOT_REACHED`), which is not the same as 0.
"""

from __future__ import annotations

from .scene import Arrow, Box

FONT = "Helvetica, Arial, sans-serif"
FONT_SIZE = 11.0
OP_FONT_SIZE = 10.0
TERMS_FONT_SIZE = 9.0

NODE_GAP = 14.0  # px between neighbours in a layer
LAYER_GAP = 22.0  # px between layers

NOT_REACHED = "—"  # shown for the grad of a node no backward pass has reached

WHITE = "#ffffff"
INPUT = "#e3eefa"
PARAMETER = "#dcf0d5"
PARAMETER_BORDER = "#2f7d32"
CONSTANT_TEXT = "#555555"
OUTPUT = "#fdf0d5"
OP = "#eeeeee"
EDGE = "#555555"
GROUP_EDGE = "#aaaaaa"
POSITIVE = "#c6dbef"
NEGATIVE = "#fcbba1"
UNKNOWN = "#d9d9d9"  # a nan gradient
HOT = (253, 141, 60)  # full |grad| under color_by="magnitude", orange
HIGHLIGHT = "#d62728"

SPINE = 8.0  # the weight of an arrow kept straight (an op into its result)
LEAF_KINDS = ("parameter", "input", "constant", "result")


def leaf_kind(is_parameter: bool, has_parents: bool, label: str) -> str:
    """What a node is, for its look: ``"parameter"``, ``"input"``, ``"constant"`` or
    ``"result"`` (an op's result).

    >>> leaf_kind(False, False, "x"), leaf_kind(False, False, ""), leaf_kind(False, True, "")
    ('input', 'constant', 'result')
    """
    if is_parameter:
        return "parameter"
    if has_parents:
        return "result"
    return "input" if label else "constant"


def value_box(
    id: str,
    fields: list[str],
    kind: str,
    *,
    output: bool = False,
    fill: str | None = None,
    highlighted: bool = False,
    min_widths: list[str] | None = None,
) -> Box:
    """A Value's record, ``[label |] data … [| grad …]``, in the look of its kind.

    Args:
        id: the box's id.
        fields: the texts of its fields.
        kind: one of :data:`LEAF_KINDS` (see :func:`leaf_kind`).
        output: the graph's output (drawn with a thicker border, filled orange unless
            ``fill`` says otherwise).
        fill: a fill that overrides the kind's (a gradient's colour).
        highlighted: outlined in red.
        min_widths: as :attr:`.scene.Box.min_widths`.
    """
    box = Box(id, "record", fields, min_widths=min_widths or [])
    if kind == "parameter":
        box.fill, box.stroke, box.stroke_width = PARAMETER, PARAMETER_BORDER, 2.0
    elif kind == "input":
        box.fill = INPUT
    elif kind == "constant":
        box.dashed, box.text_color = True, CONSTANT_TEXT
    if output:
        box.fill = OUTPUT
        box.stroke_width = max(box.stroke_width, 1.5)
    if fill is not None:
        box.fill = fill
    if highlighted:
        box.stroke, box.stroke_width = HIGHLIGHT, 2.5
    return box


def group_box(id: str, fields: list[str], min_widths: list[str]) -> Box:
    """A Studio box standing for a layer or a neuron: a record with a bold border."""
    return Box(id, "record", fields, stroke_width=2.0, min_widths=min_widths)


def op_box(id: str, text: str) -> Box:
    """An op's oval: ``*``, ``tanh``, ``** 2``."""
    return Box(id, "ellipse", [text], fill=OP, font_size=OP_FONT_SIZE)


def terms_box(id: str, n_terms: int, bias: bool) -> Box:
    """A ``dot`` op as the column of its terms ``w1·x1 … wn·xn [b]`` and its total.

    >>> terms_box("v3op", 2, True).texts
    ['w1·x1', 'w2·x2', 'b', 'w·x+b']
    """
    cells = [f"w{i + 1}·x{i + 1}" for i in range(n_terms)] + (["b"] if bias else [])
    total = "w·x+b" if bias else "w·x"
    return Box(id, "terms", [*cells, total], fill=OP, rounded=True, font_size=TERMS_FONT_SIZE)


def term_of(i: int, n_parents: int) -> int:
    """The cell of a ``dot`` op's terms box that its parent ``i`` enters: weights come
    first, then inputs, then the bias (``w1..wn, x1..xn, b``).

    >>> [term_of(i, 5) for i in range(5)]
    [0, 1, 0, 1, 2]
    """
    k = n_parents // 2
    return i % k if i < 2 * k else k


ORDERED_OPS = frozenset({"-", "/", "**"})  # ops whose two inputs are told apart: a and b


def op_of(
    op_id: str, op: str, n_parents: int, text: str
) -> tuple[Box, list[tuple[int | None, str]]]:
    """An op's box and, for each of its parents in order, the port and tag it enters by.

    A ``dot`` of several parents is the column of its terms (:func:`terms_box`), each
    parent entering its term's cell; an op whose two inputs are told apart (``a - b``)
    tags them ``a`` and ``b``; any other op is an oval (:func:`op_box`) with ``text``.
    ``draw_dot`` and the Studio both draw an op with this function.

    >>> box, entries = op_of("v2op", "-", 2, "-")
    >>> box.kind, entries
    ('ellipse', [(0, 'a'), (1, 'b')])
    """
    if op == "dot" and n_parents > 1:
        box = terms_box(op_id, n_parents // 2, n_parents % 2 == 1)
        return box, [(term_of(k, n_parents), "") for k in range(n_parents)]
    if op in ORDERED_OPS and n_parents == 2:
        return op_box(op_id, text), [(0, "a"), (1, "b")]
    return op_box(op_id, text), [(None, "")] * n_parents


def op_arrow(op_id: str, result_id: str, arrow_id: str = "") -> Arrow:
    """The arrow from an op to its result, kept straight."""
    return Arrow(op_id, result_id, id=arrow_id, color=EDGE, weight=SPINE)


def input_arrow(
    source: str,
    op_id: str,
    *,
    arrow_id: str = "",
    port: int | None = None,
    head_label: str = "",
    weight: float = 1.0,
) -> Arrow:
    """An arrow from an input of an op into the op (into a cell or side with ``port``)."""
    return Arrow(source, op_id, id=arrow_id, port=port, head_label=head_label, color=EDGE,
                 weight=weight)  # fmt: skip


def group_arrow(source: str, target: str, arrow_id: str) -> Arrow:
    """An arrow between Studio boxes, lighter than the graph's own."""
    return Arrow(source, target, id=arrow_id, color=GROUP_EDGE, width=0.7)
