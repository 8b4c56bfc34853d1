"""Where each box of a graph goes: a layered drawing, in pure Python.

This is the classic way to draw a directed graph (Sugiyama, Tagawa and Toda, 1981),
the one Graphviz's ``dot`` follows, in four steps:

1. **Layers.** Each box goes one layer after the latest of its inputs (the longest
   path from a source); then each source moves up to just before its first user, so a
   weight used late in the graph is drawn next to its use, not at the far left.
2. **Bends.** An arrow that skips layers gets an invisible bend point in each layer it
   crosses, so every arrow joins neighbouring layers.
3. **Order within layers.** Sweeps down and up the layers put each box at the median
   of its neighbours' places in the layer before (Eades and Wormald's median
   heuristic, as in Gansner et al. 1993), then neighbours are swapped wherever that
   removes crossings; the order with the fewest crossings seen is kept.
4. **Coordinates.** Each box is pulled toward the weighted mean of its neighbours,
   sweep after sweep, and the boxes of a layer are kept in order and apart by the
   closest positions that do so (a weighted isotonic regression), so arrows come out
   as straight as the order allows; an op's arrow into its result weighs most.

Arrows enter a box at its port (a term's cell of a ``dot`` op, the ``a`` or ``b`` side
of ``-``), and the port counts in steps 3 and 4. The result is in pixels, the arrows
as cubic Bézier curves that leave and enter boxes along the direction of the drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .geometry import Shape, depth_to_edge, port_offset, shape_of
from .scene import Arrow, Box, Scene
from .style import LAYER_GAP, NODE_GAP

MARGIN = 4.0
ARROW_LENGTH = 7.0
DUMMY_GAP = 6.0  # px between two arrows passing through a layer side by side
ORDER_SWEEPS = 12
PLACE_SWEEPS = 10
TRANSPOSE_LIMIT = 4000  # segments; above this, the swap pass is skipped (it is quadratic)

Point = tuple[float, float]
Share = Callable[[float, int], float]  # (offset across a node, node) -> share of its size


@dataclass
class Placed:
    """A box laid out: its centre (``x``, ``y``) and its :class:`~.geometry.Shape`."""

    box: Box
    x: float
    y: float
    shape: Shape


@dataclass
class Route:
    """An arrow laid out.

    Attributes:
        arrow: the :class:`~.scene.Arrow`.
        path: ``[p0, c1, c2, p1, c1, c2, p2, ...]``: a start point, then three points per
            cubic Bézier segment; it ends where the arrowhead begins.
        head: the arrowhead's triangle (tip first).
        label_at: where the head label goes (its centre), if the arrow has one.
    """

    arrow: Arrow
    path: list[Point]
    head: list[Point]
    label_at: Point | None


@dataclass
class Layout:
    """A whole drawing laid out, in px, origin at the top left."""

    width: float
    height: float
    placed: dict[str, Placed]
    routes: list[Route]


@dataclass
class _Segment:
    """One piece of an arrow, between neighbouring layers (upper to lower node)."""

    upper: int
    lower: int
    upper_offset: float  # px across, where it leaves the upper node (from its centre)
    lower_offset: float  # px across, where it enters the lower node
    weight: float


def layout(scene: Scene) -> Layout:
    """Lay out ``scene``: every box's place and every arrow's curve.

    >>> from autograd_lite.viz.scene import Arrow, Box, Scene
    >>> s = Scene([Box("a", "ellipse", ["a"]), Box("b", "ellipse", ["b"])], [Arrow("a", "b")])
    >>> placed = layout(s).placed
    >>> placed["a"].x < placed["b"].x, placed["a"].y == placed["b"].y
    (True, True)
    """
    horizontal = scene.rankdir in ("LR", "RL")
    boxes = scene.boxes
    index = {box.id: i for i, box in enumerate(boxes)}
    shapes = [shape_of(box, horizontal) for box in boxes]
    arrows = [a for a in scene.arrows if a.source in index and a.target in index]
    edges = [(index[a.source], index[a.target]) for a in arrows if a.source != a.target]
    flipped = _cycle_breakers(len(boxes), edges)
    oriented = [(t, s) if (s, t) in flipped else (s, t) for s, t in edges]
    rank = _ranks(len(boxes), oriented)

    # The layered graph: real nodes first, then one bend node per layer an arrow skips.
    across = [s.h if horizontal else s.w for s in shapes]
    along = [s.w if horizontal else s.h for s in shapes]
    node_rank = list(rank)
    tie = list(range(len(boxes)))  # the starting order within a layer: the scene's
    segments: list[_Segment] = []
    chains: list[list[int]] = []  # per drawn arrow, its nodes from upper to lower
    drawn: list[tuple[Arrow, bool]] = []
    for arrow in arrows:
        s, t = index[arrow.source], index[arrow.target]
        if s == t:
            continue
        reverse = (s, t) in flipped
        upper, lower = (t, s) if reverse else (s, t)
        head_offset = port_offset(boxes[t], shapes[t], arrow.port, horizontal)
        upper_offset, lower_offset = (head_offset, 0.0) if reverse else (0.0, head_offset)
        chain = [upper]
        for r in range(rank[upper] + 1, rank[lower]):
            node_rank.append(r)
            across.append(0.0)
            along.append(0.0)
            tie.append(upper)
            chain.append(len(node_rank) - 1)
        chain.append(lower)
        bends = len(chain) - 2
        for k in range(len(chain) - 1):
            weight = arrow.weight * (2.0 if 0 < k < bends else 1.0)  # long arrows straight
            segments.append(
                _Segment(
                    chain[k],
                    chain[k + 1],
                    upper_offset if k == 0 else 0.0,
                    lower_offset if k == len(chain) - 2 else 0.0,
                    weight,
                )
            )
        chains.append(chain)
        drawn.append((arrow, reverse))
    n = len(node_rank)
    n_layers = max(node_rank, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    for v in sorted(range(n), key=lambda v: (tie[v], v)):
        layers[node_rank[v]].append(v)
    down: list[list[_Segment]] = [[] for _ in range(n)]  # segments leaving v downward
    up: list[list[_Segment]] = [[] for _ in range(n)]  # segments entering v from above
    for seg in segments:
        down[seg.upper].append(seg)
        up[seg.lower].append(seg)

    def share(offset: float, v: int) -> float:
        """An offset across a node as a share of its size, for ordering."""
        return offset / across[v] if across[v] else 0.0

    layers = _order(layers, up, down, share)
    cross = _place(layers, up, down, across)

    # Along the arrows: each layer as deep as its deepest node, gaps growing with how
    # far across its arrows travel (a steep arrow needs room to turn).
    depth = [max((along[v] for v in layer), default=0.0) for layer in layers]
    main_at: list[float] = []
    at = 0.0
    for r in range(n_layers):
        if r:
            jump = max(
                (abs(cross[s.upper] + s.upper_offset - cross[s.lower] - s.lower_offset)
                 for v in layers[r] for s in up[v]),
                default=0.0,
            )  # fmt: skip
            at += depth[r - 1] / 2 + LAYER_GAP + min(40.0, 0.12 * jump) + depth[r] / 2
        main_at.append(at)

    low = min((cross[v] - across[v] / 2 for v in range(n)), default=0.0)
    high = max((cross[v] + across[v] / 2 for v in range(n)), default=0.0)
    start = -depth[0] / 2 if n_layers else 0.0
    total_main = main_at[-1] + depth[-1] / 2 if n_layers else 0.0
    span_main = total_main - start + 2 * MARGIN
    span_cross = high - low + 2 * MARGIN

    def screen(main: float, off: float) -> Point:
        """Frame coordinates (along the arrows, across them) to px on the page."""
        m = main - start + MARGIN
        c = off - low + MARGIN
        if scene.rankdir == "RL":
            m = span_main - m
        if scene.rankdir == "BT":
            m = span_main - m
        return (round(m, 2), round(c, 2)) if horizontal else (round(c, 2), round(m, 2))

    placed = {}
    for i, box in enumerate(boxes):
        x, y = screen(main_at[rank[i]], cross[i])
        placed[box.id] = Placed(box, x, y, shapes[i])

    routes = []
    for (arrow, reverse), chain in zip(drawn, chains, strict=True):
        s, t = index[arrow.source], index[arrow.target]
        offset = port_offset(boxes[t], shapes[t], arrow.port, horizontal)
        # points along the arrow's way, in frame coordinates, from source to target
        ordered = list(reversed(chain)) if reverse else chain
        sign = -1.0 if reverse else 1.0  # which way along the frame the arrow runs
        points: list[Point] = [
            (main_at[rank[s]] + sign * depth_to_edge(boxes[s], shapes[s], 0.0, horizontal),
             cross[s])
        ]  # fmt: skip
        for v in ordered[1:-1]:  # through a layer it skips, straight across the layer
            r = node_rank[v]
            for edge in (-sign, sign):
                points.append((main_at[r] + edge * depth[r] / 2, cross[v]))
        end_main = main_at[rank[t]] - sign * depth_to_edge(boxes[t], shapes[t], offset, horizontal)
        end = (end_main - sign * ARROW_LENGTH, cross[t] + offset)
        points.append(end)
        path = [points[0]]
        for a, b in zip(points, points[1:], strict=False):
            mid = (b[0] - a[0]) / 2
            path.extend([(a[0] + mid, a[1]), (b[0] - mid, b[1]), b])
        tip = (end_main, end[1])
        head = [tip, (end[0], end[1] - 3.0), (end[0], end[1] + 3.0)]
        label_at = None
        if arrow.head_label:
            side = -1.0 if (arrow.port or 0) == 0 else 1.0
            label_at = screen(end[0] - sign * 2.0, end[1] + side * 7.0)
        routes.append(
            Route(
                arrow,
                [screen(*p) for p in path],
                [screen(*p) for p in head],
                label_at,
            )
        )
    width, height = (span_main, span_cross) if horizontal else (span_cross, span_main)
    return Layout(round(width, 2), round(height, 2), placed, routes)


def _cycle_breakers(n: int, edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The edges to draw reversed so that the rest has no cycle (the back edges of a
    depth-first search). A computation graph has none; a Studio view might."""
    out: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        out[s].append(t)
    state = [0] * n  # 0 unseen, 1 on the stack, 2 done
    back: set[tuple[int, int]] = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            v, it = stack[-1]
            for t in it:
                if state[t] == 1:
                    back.add((v, t))
                elif state[t] == 0:
                    state[t] = 1
                    stack.append((t, iter(out[t])))
                    break
            else:
                state[v] = 2
                stack.pop()
    return back


def _ranks(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Each node's layer: one after its latest input; a source just before its first user."""
    ins: list[list[int]] = [[] for _ in range(n)]
    outs: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        outs[s].append(t)
        ins[t].append(s)
    waiting = [len(p) for p in ins]
    ready = [v for v in range(n) if not waiting[v]]
    rank = [0] * n
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for t in outs[v]:
            rank[t] = max(rank[t], rank[v] + 1)
            waiting[t] -= 1
            if not waiting[t]:
                ready.append(t)
    for v in range(n):
        if not ins[v] and outs[v]:
            rank[v] = min(rank[t] for t in outs[v]) - 1
    low = min(rank, default=0)
    return [r - low for r in rank]


def _order(
    layers: list[list[int]],
    up: list[list[_Segment]],
    down: list[list[_Segment]],
    share: Share,
) -> list[list[int]]:
    """Orders of the layers with few crossings: median sweeps, then swaps (step 3)."""
    frac = share
    position = [0.0] * len(up)

    def number(order: list[list[int]]) -> None:
        for layer in order:
            for i, v in enumerate(layer):
                position[v] = float(i)

    def crossings(order: list[list[int]]) -> int:
        number(order)
        return sum(_crossings_below(layer, down, position, frac) for layer in order[:-1])

    # A first order: each layer by the mean place of its inputs in the layer before.
    current = [list(layer) for layer in layers]
    number(current)
    for r in range(1, len(current)):
        current[r] = _sorted_by(current[r], up, position, frac, downward=True, mean=True)
        for i, v in enumerate(current[r]):
            position[v] = float(i)
    best, fewest = [list(layer) for layer in current], crossings(current)
    transpose = sum(len(s) for s in down) <= TRANSPOSE_LIMIT
    for sweep in range(ORDER_SWEEPS):
        if fewest == 0:
            break
        downward = sweep % 2 == 0
        rows = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        number(current)
        for r in rows:
            current[r] = _sorted_by(current[r], up if downward else down, position, frac,
                                    downward=downward, mean=False)  # fmt: skip
            for i, v in enumerate(current[r]):
                position[v] = float(i)
        if transpose:
            _transpose(current, up, down, position, frac)
        count = crossings(current)
        if count < fewest:
            best, fewest = [list(layer) for layer in current], count
    return best


def _sorted_by(
    layer: list[int],
    segments: list[list[_Segment]],
    position: list[float],
    frac: Share,
    downward: bool,
    mean: bool,
) -> list[int]:
    """``layer`` sorted by each node's median (or mean) place among its neighbours in
    the layer just swept; a node without any keeps its place."""
    keys = {}
    for i, v in enumerate(layer):
        places = []
        for seg in segments[v]:
            if downward:  # neighbours above: seg.upper
                other, here = seg.upper, seg.lower
                places.append(position[other] + frac(seg.upper_offset, other)
                              - frac(seg.lower_offset, here))  # fmt: skip
            else:
                other, here = seg.lower, seg.upper
                places.append(position[other] + frac(seg.lower_offset, other)
                              - frac(seg.upper_offset, here))  # fmt: skip
        if not places:
            keys[v] = float(i)
        elif mean:
            keys[v] = sum(places) / len(places)
        else:
            places.sort()
            m = len(places)
            keys[v] = places[m // 2] if m % 2 else (places[m // 2 - 1] + places[m // 2]) / 2
    return sorted(layer, key=lambda v: keys[v])  # stable: ties keep their order


def _crossings_below(
    layer: list[int], down: list[list[_Segment]], position: list[float], frac: Share
) -> int:
    """How many pairs of segments between ``layer`` and the next one cross."""
    pairs = []
    for v in layer:
        for seg in down[v]:
            pairs.append((position[v] + frac(seg.upper_offset, v),
                          position[seg.lower] + frac(seg.lower_offset, seg.lower)))  # fmt: skip
    pairs.sort()
    return _inversions([b for _, b in pairs])


def _inversions(values: list[float]) -> int:
    """The number of pairs out of order in ``values`` (by merge sort)."""
    if len(values) < 2:
        return 0
    mid = len(values) // 2
    left, right = sorted(values[:mid]), sorted(values[mid:])
    count = _inversions(values[:mid]) + _inversions(values[mid:])
    j = 0
    for x in left:  # pairs (x in left, y in right) with y < x
        while j < len(right) and right[j] < x:
            j += 1
        count += j
    return count


def _transpose(
    order: list[list[int]],
    up: list[list[_Segment]],
    down: list[list[_Segment]],
    position: list[float],
    frac: Share,
) -> None:
    """Swap neighbours in a layer wherever that lowers the crossings of their segments."""

    def ends(segments: list[_Segment], upward: bool) -> list[float]:
        out = []
        for seg in segments:
            if upward:
                out.append(position[seg.upper] + frac(seg.upper_offset, seg.upper))
            else:
                out.append(position[seg.lower] + frac(seg.lower_offset, seg.lower))
        return out

    def cost(a: int, b: int) -> int:
        """Crossings between a's and b's segments with a placed before b."""
        total = 0
        for segments, upward in ((up, True), (down, False)):
            for x in ends(segments[a], upward):
                for y in ends(segments[b], upward):
                    total += x > y
        return total

    for _ in range(4):
        improved = False
        for layer in order:
            for i in range(len(layer) - 1):
                a, b = layer[i], layer[i + 1]
                if cost(b, a) < cost(a, b):
                    layer[i], layer[i + 1] = b, a
                    position[a], position[b] = position[b], position[a]
                    improved = True
        if not improved:
            return


def _place(
    layers: list[list[int]],
    up: list[list[_Segment]],
    down: list[list[_Segment]],
    size: list[float],
) -> list[float]:
    """Each node's centre across the layers (step 4), in px."""
    n = len(size)
    at = [0.0] * n

    def gap(a: int, b: int) -> float:
        room = DUMMY_GAP if not size[a] or not size[b] else NODE_GAP
        return size[a] / 2 + room + size[b] / 2

    for layer in layers:  # packed, centred on 0
        x = 0.0
        for i, v in enumerate(layer):
            if i:
                x += gap(layer[i - 1], v)
            at[v] = x
        for v in layer:
            at[v] -= x / 2

    def pull(layer: list[int], sides: tuple[bool, ...]) -> None:
        targets, weights = [], []
        for v in layer:
            total = weight = 0.0
            for above in sides:
                for seg in up[v] if above else down[v]:
                    if above:
                        want = at[seg.upper] + seg.upper_offset - seg.lower_offset
                    else:
                        want = at[seg.lower] + seg.lower_offset - seg.upper_offset
                    total += seg.weight * want
                    weight += seg.weight
            if weight:
                targets.append(total / weight)
                weights.append(weight)
            else:
                targets.append(at[v])
                weights.append(0.01)
        gaps = [gap(layer[i - 1], layer[i]) for i in range(1, len(layer))]
        for v, x in zip(layer, _closest_in_order(targets, weights, gaps), strict=True):
            at[v] = x

    for sweep in range(PLACE_SWEEPS):
        if sweep % 2 == 0:
            for layer in layers[1:]:
                pull(layer, (True,))
        else:
            for layer in reversed(layers[:-1]):
                pull(layer, (False,))
    for layer in layers:
        pull(layer, (True, False))
    return at


def _closest_in_order(targets: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions nearest ``targets`` (weighted least squares) that keep their order with
    at least ``gaps[i]`` between neighbours ``i`` and ``i + 1``.

    Shifting each position by the gaps before it turns this into fitting a non-decreasing
    sequence, solved exactly by pooling adjacent violators.

    >>> _closest_in_order([0.0, 0.0], [1.0, 1.0], [2.0])
    [-1.0, 1.0]
    """
    shift = [0.0]
    for g in gaps:
        shift.append(shift[-1] + g)
    blocks: list[list[float]] = []  # [mean, weight, count]
    for t, w, s in zip(targets, weights, shift, strict=True):
        blocks.append([t - s, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return [q + s for q, s in zip(out, shift, strict=True)]
