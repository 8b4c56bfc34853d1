"""``Drawing``: a ``graphviz.Digraph`` that renders itself without system Graphviz.

A plain ``graphviz.Digraph`` shown in Jupyter runs a program called ``dot`` and
fails where there is none. A ``Drawing`` goes through :mod:`.renderer` instead, which
also finds ``graphviz-pure``, so it displays anywhere either is installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz  # type: ignore[import-untyped]

from ..checks import describe
from .renderer import RenderError, pipe

SVG = "image/svg+xml"
PNG = "image/png"


def drawable_text(text: object, function: str) -> str:
    r"""``text`` as a string Graphviz can draw, else a ValueError naming ``function``.

    Graphviz stops with a syntax error at a NUL character, and a lone surrogate (from
    badly decoded bytes) cannot be written as UTF-8 at all; both are refused here,
    where the message can say which label is at fault.

    >>> drawable_text("w\x00", "draw_dot")
    Traceback (most recent call last):
      ...
    ValueError: draw_dot: the label 'w\x00' holds a NUL character, which Graphviz cannot draw
    """
    text = str(text)
    if "\x00" in text:
        raise ValueError(
            f"{function}: the label {describe(text)} holds a NUL character, "
            "which Graphviz cannot draw"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{function}: the label {describe(text)} is not valid Unicode text (it holds a "
            "lone surrogate), which Graphviz cannot draw"
        ) from None
    return text


class Drawing(graphviz.Digraph):
    """A Graphviz digraph that displays itself in Jupyter through any renderer found.

    Everything ``graphviz.Digraph`` offers still works (``.source``, ``.node()``,
    ``.edge()``, ``.attr()``). Write it to a file with :func:`autograd_lite.viz.render`
    (the inherited ``.render()`` and ``.pipe()`` run a system ``dot`` only).

    Attributes:
        fallback_text: shown as plain text in Jupyter when no renderer can draw it.
    """

    fallback_text: str = ""

    def to_svg(self) -> str:
        """The drawing as SVG text.

        Raises:
            NoRendererError: if no Graphviz program is installed.
            RenderError: if the program fails.
        """
        return pipe(self.source, "svg").decode("utf-8")

    def to_png(self) -> bytes:
        """The drawing as PNG bytes (raises like :meth:`to_svg`)."""
        return pipe(self.source, "png")

    def _repr_svg_(self) -> str | None:
        try:
            return self.to_svg()
        except RenderError:
            return None  # IPython then shows the next representation it can

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """SVG (or PNG when asked for) for Jupyter; a one-line note if nothing can render."""
        wanted = set(include) if include is not None else {SVG}
        wanted -= set(exclude or ())
        bundle: dict[str, Any] = {}
        try:
            if SVG in wanted:
                bundle[SVG] = self.to_svg()
            if PNG in wanted:
                bundle[PNG] = self.to_png()
        except RenderError as e:
            text = f"{self.fallback_text}\n({e})" if self.fallback_text else str(e)
            return {"text/plain": text}
        return bundle
