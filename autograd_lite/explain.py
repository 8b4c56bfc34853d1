"""``explain``: the chain rule of a backward pass, one row per edge, for teaching."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from .engine import Value, gradients, last_seed


@dataclass(frozen=True)
class Step:
    """One edge of the reverse pass: d out/d parent += local × upstream."""

    node: Value
    parent: Value
    op: str
    local: float
    upstream: float

    @property
    def contribution(self) -> float:
        return self.local * self.upstream


class Explanation:
    """The steps of a reverse pass, in the order the engine takes them.

    Print it (or just show it in a REPL or notebook) to see a table; iterate over it
    for the :class:`Step` rows.
    """

    def __init__(
        self, output: Value, seed: float, ran: bool = True, to: Value | None = None
    ) -> None:
        self.output = output
        self.seed = seed
        self.ran = ran  # whether a backward pass from output has run
        self.to = to  # the one node the table is narrowed to, if any
        self.steps: list[Step] = []
        # d output / d node for every node, in topological order: the engine's own pass
        self.gradients = gradients(output, seed)
        self.names: dict[Value, str] = {}
        unnamed = 0
        for node in self.gradients:
            if not node.label:
                unnamed += 1
            self.names[node] = node.label or f"n{unnamed}"
        self.names[output] = output.label or "out"
        on_path = _leading_to(to, self.gradients) if to is not None else None
        for node in reversed(self.gradients):
            if on_path is not None and node not in on_path:
                continue
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                if on_path is None or parent in on_path:
                    self.steps.append(Step(node, parent, node.op, local, self.gradients[node]))

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def _rows(self) -> list[tuple[str, ...]]:
        out = self.names[self.output]
        rows: list[tuple[str, ...]] = [
            ("step", "chain rule", "op", "local", "upstream", "contribution")
        ]
        for i, s in enumerate(self.steps, 1):
            node, parent = self.names[s.node], self.names[s.parent]
            rule = f"d{out}/d{parent} += ∂{node}/∂{parent} × d{out}/d{node}"
            rows.append(
                (
                    str(i),
                    rule,
                    s.op,
                    number_text(s.local),
                    number_text(s.upstream),
                    number_text(s.contribution),
                )
            )
        return rows

    def __str__(self) -> str:
        rows = self._rows()
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines = [f"backward from {self.names[self.output]} with seed {number_text(self.seed)}"]
        if not self.ran:
            lines[0] += " (not run yet: these are the steps output.backward() would take)"
        for r in rows:
            cells = [r[0].rjust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2])]
            cells += [c.rjust(w) for c, w in zip(r[3:], widths[3:], strict=True)]
            lines.append("  ".join(cells).rstrip())
        leaves = [n for n in self.gradients if not n.parents and (self.to in (None, n))]
        lines.append(
            "gradients of the leaves: "
            + ", ".join(
                f"d{self.names[self.output]}/d{self.names[n]} = {number_text(self.gradients[n])}"
                for n in leaves
            )
        )
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(self._rows())


def html_table(rows: list[tuple[str, ...]]) -> str:
    """A table of text cells as HTML, the first row the header (for Jupyter)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def number_text(x: float) -> str:
    """A number as the tables show it: six significant digits."""
    return f"{x:.6g}"


def _leading_to(to: Value, order: dict[Value, float]) -> set[Value]:
    """The nodes of ``order`` (topological) from which ``to`` can be reached, ``to`` too."""
    on_path = {to}
    for node in order:  # parents come before the nodes that use them
        if any(parent in on_path for parent in node.parents):
            on_path.add(node)
    return on_path


def explain(output: Value, to: Value | None = None) -> Explanation:
    """The chain-rule steps of the last backward pass from ``output``.

    Each row is one edge ``d out/d a += ∂node/∂a × d out/d node``: the local (partial)
    derivative ∂node/∂a, written with ∂ to tell it from the total derivatives d, that the
    op recorded in the forward pass, times the gradient that has arrived at the node
    from above. The seed is the ``grad`` of the last ``output.backward(grad)``; before any
    backward pass from ``output`` the table says so, and shows the steps a pass with
    seed 1 would take. Nothing is written into ``.grad``.

    With ``to=``, a node of the graph (one weight of a big model, say), the table is
    narrowed to the chain-rule path from ``output`` down to it: only the edges between
    nodes that lead to ``to``, whose contributions into ``to`` add up to its gradient.

    Example:
        >>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        >>> out = (x * w).tanh() + x; out.backward()
        >>> [(s.node.op, s.parent.label or s.parent.op) for s in explain(out, to=w)]
        [('+', 'tanh'), ('tanh', '*'), ('*', 'w')]
    """
    if not isinstance(output, Value):
        raise TypeError(f"explain: output must be a Value, got {type(output).__name__}")
    seed = last_seed.get(output)
    explanation = Explanation(output, 1.0 if seed is None else seed, seed is not None, to)
    if to is not None and to not in explanation.gradients:
        raise ValueError(f"explain: to={to!r} is not in the graph of output")
    return explanation
