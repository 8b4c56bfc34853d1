"""``draw_dot``: the computation graph behind a Value, as a drawing.

Each Value becomes a record ``label | data | grad`` and each op a small oval between
its inputs and its result, so the picture reads like the forward pass, left to right;
the backward pass runs along the same arrows in reverse. The look is :mod:`.style`'s
(the Studio's too); the picture is laid out and written in Python (:mod:`.layered`,
:mod:`.svg`), so no Graphviz program is needed, and the drawing is also a
``graphviz.Digraph`` whose ``.source`` is the same graph in DOT.

Only ``.data .grad .op .parents .label`` of the Values are read, and the number or
the parameters of an op that has one (the 2 of ``x * 2``, the exponent of ``x ** 2``).

Leaves are drawn as what they are (parameters, inputs, constants: see :mod:`.style`).
Until a backward pass reaches a node, its gradient reads ``grad —``, which is not the
same as a gradient of 0.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ..support.checks import one_of, positive_int, whole_number
from . import style
from .dot_source import add_scene
from .drawing import Drawing, drawable_text
from .scene import Scene

DEFAULT_MAX_NODES = 500
RANKDIRS = ("LR", "TB", "RL", "BT")
COLOR_BY = ("sign", "magnitude")

# Ops whose inputs are not interchangeable: their two in-edges are tagged a and b.

NOT_REACHED = style.NOT_REACHED  # shown for the grad of a node no backward pass has reached


def count_nodes(root: Any, limit: int) -> tuple[list[Any], bool]:
    """The Values ``root`` depends on, found by an iterative walk that stops early.

    (Not the library's topological order: a drawing of too many nodes is refused
    without walking a graph of millions.)

    Args:
        root: a Value.
        limit: stop after this many nodes.

    Returns:
        ``(nodes, complete)``: the nodes in the order found (root first), and whether
        the walk saw the whole graph before reaching ``limit``.
    """
    seen = {id(root)}
    nodes = [root]
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in seen:
                if len(nodes) >= limit:
                    return nodes, False
                seen.add(id(parent))
                nodes.append(parent)
                stack.append(parent)
    return nodes, True


def layout_size(root: Any) -> int:
    """An estimate of how hard :func:`draw_dot`'s drawing of ``root`` is to lay out.

    Graphviz's ``dot`` spends most of its time on a large graph placing nodes side by
    side (its "position" phase, network simplex on an auxiliary graph), and that time
    grows about with the square of the auxiliary graph's size. That size is the number
    of drawn nodes and edges plus two for every rank an edge has to cross: a name used
    both at the start and at the end of a long chain (``x*x*...*x``) draws edges that
    span the whole drawing, and those edges cost far more than their nodes.

    The ranks are found as ``dot`` finds them, approximately: every node as early as
    its inputs allow, then moved toward the side with more edges while that shortens
    them (a few sweeps); on the graphs tried, the result was within a few of the size
    ``dot -v`` reports. Measured with graphviz-pure on a shared 2-core machine, a size
    of 3,000 took 0.2 to 1.3 s to lay out, 5,000 about 1 to 3 s and 7,500 about 1.5 to
    10 s, depending on the machine's load.

    Args:
        root: a Value.

    Returns:
        The estimated size of ``dot``'s auxiliary graph for ``draw_dot(root)``.
    """
    # The drawn graph: each Value is a node, each op another node feeding its Value.
    order = _post_order(root)  # inputs before results
    index = {id(v): i for i, v in enumerate(order)}
    n_values = len(order)
    preds: list[list[int]] = [[] for _ in order]  # node -> nodes with an edge into it
    succs: list[list[int]] = [[] for _ in order]
    for i, v in enumerate(order):
        if v.parents:
            op = len(preds)  # the op node of Value i
            preds.append([index[id(p)] for p in v.parents])
            succs.append([i])
            preds[i].append(op)
            for p in v.parents:
                succs[index[id(p)]].append(op)
    # A topological order of the drawn nodes: each op just before its Value.
    op_of = {succ[0]: node for node, succ in enumerate(succs) if node >= n_values}
    topo = [node for i in range(n_values) for node in ((op_of[i], i) if i in op_of else (i,))]
    rank = [0] * len(preds)
    for node in topo:
        rank[node] = max((rank[p] + 1 for p in preds[node]), default=0)
    for sweep in range(4):
        for node in topo if sweep % 2 else reversed(topo):
            ins, outs = len(preds[node]), len(succs[node])
            if ins > outs:  # more edges in: as early as the inputs allow
                rank[node] = max(rank[p] + 1 for p in preds[node])
            elif outs > ins:  # more edges out: as late as the results allow
                rank[node] = min(rank[s] - 1 for s in succs[node])
    edges = sum(len(s) for s in succs)
    crossed = sum(rank[s] - rank[t] - 1 for t, heads in enumerate(succs) for s in heads)
    return len(preds) + edges + 2 * crossed


def _post_order(root: Any) -> list[Any]:
    """Every node after its parents, parents in the order the ops took them.

    A drawing's own walk, not the library's topological order
    (:func:`autograd_lite.engine.topological_order`): it reads only ``.parents``, so
    any micrograd-like node draws, and it keeps each op's parents in order. Written
    out in this order, the leaves of ``x*w + b`` come out as x, w, b, which
    is the order dot then stacks them in.
    """
    order = []
    done = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in done:
            done.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in done)
    return order


def draw_dot(
    root: Any,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
    *,
    show_grads: bool = True,
    color_by: str | None = None,
    highlight: Iterable[Any] = (),
    precision: int = 4,
    params: Any = None,
) -> Drawing:
    """Draw the computation graph that produced ``root``.

    Args:
        root: the Value whose graph to draw (usually a loss or an output).
        rankdir: ``"LR"`` (left to right, the default) or ``"TB"`` (top to bottom);
            ``"RL"`` and ``"BT"`` work too.
        max_nodes: refuse graphs with more Values than this; large drawings are slow
            to lay out and impossible to read.
        show_grads: show each node's ``.grad`` next to its ``.data``.
        color_by: ``None``; ``"sign"`` fills nodes blue where the gradient is positive
            and red where it is negative; ``"magnitude"`` fills them more orange the
            larger ``|grad|`` is.
        highlight: a Value, or Values, to outline in red (e.g. the parameters you
            are studying).
        precision: significant digits of the numbers shown.
        params: the parameters to draw as such, with their names: a model (anything
            with ``named_parameters()``), ``(name, Value)`` pairs, or Values. The
            parameters of ``nn`` modules are recognised without it, by their labels.

    Returns:
        A :class:`Drawing` (a ``graphviz.Digraph``): show it in Jupyter, write it with
        ``.render("graph", format="svg")`` as with graphviz, or with
        :func:`autograd_lite.viz.render`.

    Raises:
        ValueError: if the graph has more than ``max_nodes`` Values, an option is
            not one of the choices above, or a label holds a character Graphviz
            cannot draw (NUL).
        TypeError: if ``root`` is not a Value, or ``max_nodes`` or ``precision`` is
            not an int.
    """
    if not hasattr(root, "parents") or not hasattr(root, "data"):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
    one_of(rankdir, "draw_dot", "rankdir", RANKDIRS)
    one_of(color_by, "draw_dot", "color_by", (None, *COLOR_BY))
    max_nodes = positive_int(max_nodes, "draw_dot", "max_nodes")
    precision = whole_number(precision, "draw_dot", "precision", at_least=1, at_most=17)

    # Walk a little past the limit so the error can say how big the graph is.
    budget = max(10 * max_nodes, 10_000)
    nodes, complete = count_nodes(root, budget)
    if len(nodes) > max_nodes:
        size = f"{len(nodes):,}" if complete else f"more than {budget:,}"
        raise ValueError(
            f"draw_dot: this graph has {size} Values, more than max_nodes={max_nodes}; "
            f"pass a larger max_nodes (a big drawing is slow and hard to read), draw a smaller "
            f"expression, or for a network's weights use viz.draw_model(model)"
        )

    fmt = _formatter(precision)
    names = _parameter_names(params)
    _recognise_parameters(nodes, names)
    fills = _fills(nodes, color_by) if color_by is not None else {}
    reached = _reached(nodes)
    if hasattr(highlight, "parents"):  # one Value rather than a collection of them
        highlight = [highlight]
    marked = {id(v) for v in highlight}
    ids = {id(v): f"v{i}" for i, v in enumerate(nodes)}

    scene = Scene(rankdir=rankdir, title="computation graph")
    for v in _post_order(root):
        name = ids[id(v)]
        text = names.get(id(v)) or v.label
        fields = [drawable_text(text, "draw_dot")] if text else []
        fields.append(f"data {fmt(v.data)}")
        if show_grads:
            fields.append(f"grad {fmt(v.grad) if id(v) in reached else style.NOT_REACHED}")
        kind = style.leaf_kind(id(v) in names, bool(v.parents), v.label)
        fill = fills.get(id(v), style.WHITE) if color_by is not None else None
        scene.boxes.append(style.value_box(name, fields, kind, output=v is root, fill=fill,
                                           highlighted=id(v) in marked))  # fmt: skip
        if not v.parents:
            continue
        op = f"{name}op"
        box, entries = style.op_of(op, v.op, len(v.parents), _op_text(v, fmt))
        scene.boxes.append(box)
        scene.arrows.append(style.op_arrow(op, name))
        for parent, (port, tag) in zip(v.parents, entries, strict=True):
            scene.arrows.append(style.input_arrow(ids[id(parent)], op, port=port, head_label=tag))

    g = Drawing(
        name="computation graph",
        format="svg",
        graph_attr={
            "rankdir": rankdir,
            "nodesep": "0.2",
            "ranksep": "0.3",
            "fontname": "Helvetica",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11", "height": "0.3"},
        edge_attr={
            "arrowsize": "0.6",
            "color": style.EDGE,
            "fontname": "Helvetica",
            "labelfontsize": "9",
            "labeldistance": "1.3",
        },
    )
    g.fallback_text = repr(root)
    add_scene(g, scene)
    g.keep_scene(scene)
    return g


def _op_text(v: Any, fmt: Callable[[float], str]) -> str:
    """The op's name, with the number it was given when it has one (``** 2``, ``* 0.5``,
    ``1 -``)."""
    params = getattr(getattr(v, "primitive", None), "params", None) or {}
    text = str(v.op) or "?"
    number = getattr(v, "number", None)
    if number is not None:
        first = getattr(v.primitive, "number_first", False)
        return f"{fmt(number)} {text}" if first else f"{text} {fmt(number)}"
    if "exponent" in params:
        return f"{text} {fmt(params['exponent'])}"
    if "slope" in params:
        return f"{text}({fmt(params['slope'])})"
    return text


def mimebundle(root: Any, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """What Jupyter shows for a Value: its graph as SVG, never an exception.

    A graph too large for :func:`draw_dot`'s default ``max_nodes`` is shown as the
    Value's repr with a one-line note instead (as is one that no program can render).

    Args:
        root: the Value.
        include, exclude: mimetypes, as IPython passes them to ``_repr_mimebundle_``.

    Returns:
        A dict from mimetype to data.
    """
    try:
        drawing = draw_dot(root)
    except ValueError as e:
        return {"text/plain": f"{root!r}\n(graph not drawn: {e})"}
    return drawing._repr_mimebundle_(include=include, exclude=exclude)


def _formatter(precision: int) -> Any:
    spec = f".{precision}g"
    return lambda x: format(float(x), spec)


def _parameter_names(params: Any) -> dict[int, str]:
    """The name of each parameter given to draw_dot, by id ("" where none is given)."""
    if params is None:
        return {}
    named = getattr(params, "named_parameters", None)
    items = named() if callable(named) else params
    if hasattr(items, "parents") or isinstance(items, str | bytes):
        items = [items]  # one Value
    try:
        pairs = list(items)
    except TypeError:
        raise TypeError(
            f"draw_dot: params must be a model, (name, Value) pairs or Values, "
            f"got {type(params).__name__}"
        ) from None
    names = {}
    for item in pairs:
        if isinstance(item, tuple) and len(item) == 2 and hasattr(item[1], "parents"):
            names[id(item[1])] = str(item[0])
        elif hasattr(item, "parents"):
            names[id(item)] = ""
        else:
            raise TypeError(
                f"draw_dot: params holds {type(item).__name__} {item!r}; expected a Value "
                f"or a (name, Value) pair"
            )
    return names


def _recognise_parameters(nodes: list[Any], names: dict[int, str]) -> None:
    """Add to ``names`` the leaves that ``nn`` made as parameters (named by their labels)."""
    nn = sys.modules.get("autograd_lite.nn")  # no nn imported: no nn parameters exist
    if nn is None:
        return
    for v in nodes:
        if id(v) not in names and not v.parents and nn.is_parameter(v):
            names[id(v)] = ""


def _reached(nodes: list[Any]) -> set[int]:
    """The nodes (by id) a backward pass has reached: those with a gradient, the outputs
    of a backward pass, and everything they depend on."""
    from ..engine import last_seed

    def seeded(v: Any) -> bool:
        try:
            return v in last_seed
        except TypeError:  # not a Value (no weak reference): only its grad tells
            return False

    stack = [v for v in nodes if v.grad != 0 or seeded(v)]
    reached = {id(v) for v in stack}
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in reached:
                reached.add(id(parent))
                stack.append(parent)
    return reached


def _fills(nodes: list[Any], color_by: str) -> dict[int, str]:
    """The fill colour of each node (by id) that is not plain white, by its gradient."""
    grads = [float(v.grad) for v in nodes]
    if color_by == "sign":
        return {
            id(v): style.UNKNOWN if math.isnan(g) else style.POSITIVE if g > 0 else style.NEGATIVE
            for v, g in zip(nodes, grads, strict=True)
            if g != 0
        }
    finite = [abs(g) for g in grads if math.isfinite(g)]
    top = max(finite, default=0.0)
    fills = {}
    for v, g in zip(nodes, grads, strict=True):
        if math.isnan(g):
            fills[id(v)] = style.UNKNOWN
        elif g != 0:
            # sqrt so that small gradients still show next to a large one
            share = 1.0 if math.isinf(g) or top == 0 else math.sqrt(abs(g) / top)
            fills[id(v)] = _blend(share)
    return fills


def _blend(share: float) -> str:
    """White mixed with orange, ``share`` of the way (0..1)."""
    r, g, b = (round(255 + (c - 255) * share) for c in style.HOT)
    return f"#{r:02x}{g:02x}{b:02x}"
