"""``Drawing``: a ``graphviz.Digraph`` that renders itself without any Graphviz program.

A plain ``graphviz.Digraph`` shown in Jupyter, or asked to ``render()`` or ``pipe()``,
runs a program called ``dot`` and fails where there is none. A drawing made by
:func:`draw_dot` keeps its :class:`~.scene.Scene` and draws itself from it in Python:
SVG by :mod:`.svg`, PNG and PDF by :mod:`.raster` (matplotlib), or a Graphviz program
when matplotlib is missing. Other drawings (or one changed with ``.node()`` after it
was made, or asked for another ``engine``) go through :mod:`.renderer`, which finds
system Graphviz or ``graphviz-pure``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped]

from ..support.checks import describe
from ..support.files import check_target, write_atomically
from . import raster, svg
from .renderer import NoRendererError, RenderError, find_renderers, pipe
from .scene import Scene

SVG = "image/svg+xml"
PNG = "image/png"
FORMATS = ("svg", "png", "pdf")
PNG_DPI = 144  # Graphviz's default of 96 makes small text blurry


def drawable_text(text: object, function: str) -> str:
    r"""``text`` as a string Graphviz can draw, else a ValueError naming ``function``.

    Graphviz stops with a syntax error at a NUL character, and a lone surrogate (from
    badly decoded bytes) cannot be written as UTF-8 at all; both are refused here,
    where the message can say which label is at fault. Bytes are refused too (a
    TypeError): drawn, they would read ``b'...'``, and they cannot go into JSON.

    >>> drawable_text("w\x00", "draw_dot")
    Traceback (most recent call last):
      ...
    ValueError: draw_dot: the label 'w\x00' holds a NUL character, which Graphviz cannot draw
    """
    if isinstance(text, bytes | bytearray):
        raise TypeError(
            f"{function}: the label {describe(text)} is bytes, not text; decode it first "
            "(label.decode())"
        )
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
    """A Graphviz digraph that renders and displays itself through any renderer found.

    Everything ``graphviz.Digraph`` offers works, with graphviz's own signatures:
    ``.source``, ``.node()``, ``.edge()``, ``.attr()``, ``.save()`` (the DOT text), and
    ``.render()``, ``.pipe()``, ``.view()`` and Jupyter display, which here need no
    system Graphviz. ``render`` writes only the image, never a stray DOT file.

    Attributes:
        fallback_text: shown as plain text in Jupyter when no renderer can draw it.
    """

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The drawing as an image in memory, as ``graphviz.Digraph.pipe`` gives it.

        Args:
            format: ``"svg"``, ``"png"`` or (with system Graphviz) ``"pdf"``; by
                default the drawing's ``format``.
            renderer, formatter, neato_no_op: graphviz's options for a system ``dot``;
                they must be left at None.
            quiet: accepted for graphviz's signature (the program's messages are
                never printed; a failure raises with its last line).
            engine: the layout program (``"dot"``, ``"neato"`` ...); by default the
                drawing's ``engine``.
            encoding: decode the result to text with it (``"utf-8"`` for SVG).

        Returns:
            The image's bytes, or its text when ``encoding`` is given.

        Raises:
            ValueError: for a format other than svg, png or pdf, or a graphviz option
                the bundled renderer does not take.
            NoRendererError: if no Graphviz program is installed.
            RenderError: if the program fails.
        """
        fmt = self._output_format("pipe", format, renderer, formatter, neato_no_op)
        data = self._image(fmt, self._layout_program(engine), dpi=None)
        return data.decode(encoding) if encoding is not None else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool | None = None,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Write the drawing as an image file, as ``graphviz.Digraph.render`` names it.

        ``drawing.render("graph", format="svg")`` writes ``graph.svg`` and returns
        ``"graph.svg"``. Unlike graphviz, the DOT source file is not written, unless
        ``cleanup=False`` is passed explicitly (graphviz's way of keeping it); the image
        is written under a temporary name and renamed when complete.

        Args:
            filename: the file name the output's is made from (``filename.format``);
                by default the drawing's ``filename``.
            directory: the folder to write into (created if missing).
            view: open the image with the system's viewer afterwards.
            cleanup: None (the default) or True: write only the image. False: also
                write the DOT source to ``filename``.
            format: ``"svg"``, ``"png"`` or (with system Graphviz) ``"pdf"``; by
                default the suffix of ``outfile``, else the drawing's ``format``.
            renderer, formatter, neato_no_op: must be None (see :meth:`pipe`).
            quiet, quiet_view: accepted for graphviz's signature; ``quiet_view``
                also opens the viewer, with its messages silenced, as in graphviz.
            outfile: the output's path, instead of one made from ``filename``.
            engine: the layout program; by default the drawing's ``engine``.
            raise_if_result_exists: raise ``graphviz.FileExistsError`` rather than
                overwrite an existing output file.
            overwrite_source: with ``cleanup=False``, allow the output to be the
                source file's own path (then only the image is written there).

        Returns:
            The path of the image written, as text.

        Raises:
            ValueError: for an unknown format or an unsupported graphviz option.
            graphviz.FileExistsError: see ``raise_if_result_exists``.
            NoRendererError, RenderError: as :meth:`pipe`.
            OSError: if the file cannot be written.
        """
        fmt = self._output_format("render", format, renderer, formatter, neato_no_op, outfile)
        # As graphviz does, a filename or directory given becomes the drawing's own.
        if filename is not None:
            self.filename = os.fspath(filename)
        if directory is not None:
            self.directory = os.fspath(directory)
        folder = Path(self.directory if directory is None else directory)
        if outfile is not None:
            out = Path(outfile) if directory is not None else folder / outfile
            source = folder / filename if filename is not None else out.with_suffix(".gv")
        else:
            source = folder / self.filename
            out = source.with_name(f"{source.name}.{fmt}")
        check_target(out, "render")
        if raise_if_result_exists and out.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
        keep_source = cleanup is False and not (overwrite_source and source == out)
        if cleanup is False and source == out and not overwrite_source:
            raise ValueError(
                f"render: outfile {os.fspath(out)!r} is the DOT source's own path; "
                "pass overwrite_source=True or another outfile"
            )
        data = self._image(fmt, self._layout_program(engine))
        out.parent.mkdir(parents=True, exist_ok=True)
        if keep_source:
            self.save(source.name, directory=source.parent)
        write_atomically(out, lambda f: f.write(data), binary=True, function="render")
        if view or quiet_view:
            self._view(os.fspath(out), format=fmt, quiet=quiet_view)
        return os.fspath(out)

    def view(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        cleanup: bool | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
    ) -> str:
        """Render (see :meth:`render`) and open the image with the system's viewer."""
        return self.render(filename, directory, view=True, cleanup=cleanup, quiet=quiet,
                           quiet_view=quiet_view)  # fmt: skip

    def _output_format(
        self,
        who: str,
        format: str | None,
        renderer: str | None,
        formatter: str | None,
        neato_no_op: bool | int | None,
        outfile: str | os.PathLike[str] | None = None,
    ) -> str:
        """The format to write, after checking the options graphviz would pass to dot."""
        for name, given in (("renderer", renderer), ("formatter", formatter),
                            ("neato_no_op", neato_no_op)):  # fmt: skip
            if given is not None:
                raise ValueError(
                    f"{who}: {name}={given!r} is an option of system Graphviz's own call; "
                    f"the bundled renderer takes only format= and engine="
                )
        if format is None and outfile is not None:
            format = Path(outfile).suffix.lstrip(".").lower() or None
        fmt = format if format is not None else self.format
        if fmt not in FORMATS:
            raise ValueError(
                f"{who}: format must be 'svg', 'png' or 'pdf' (pdf with system Graphviz), "
                f"got {fmt!r}"
            )
        return str(fmt)

    def _layout_program(self, engine: str | None) -> str | None:
        """The layout program to ask for, or None for the renderer's default (dot)."""
        chosen = engine if engine is not None else self.engine
        return None if chosen in (None, "dot") else str(chosen)

    fallback_text: str = ""
    _scene: Scene | None = None
    _scene_body = 0  # how many DOT lines the scene wrote: more means .node() was called

    def keep_scene(self, scene: Scene) -> None:
        """Draw this drawing from ``scene`` (its boxes and arrows, already added as DOT)."""
        self._scene = scene
        self._scene_body = len(self.body)

    @property
    def scene(self) -> Scene | None:
        """The scene the drawing is drawn from, or None if it is drawn by Graphviz."""
        if self._scene is not None and len(self.body) == self._scene_body:
            return self._scene
        return None

    def _image(self, fmt: str, engine: str | None = None, dpi: int | None = PNG_DPI) -> bytes:
        """The drawing as ``fmt`` bytes: from the scene in Python where it has one."""
        scene = self.scene
        if scene is not None and engine is None:
            if fmt == "svg":
                return svg.to_svg(scene).encode("utf-8")
            try:
                return raster.to_image(scene, fmt, dpi or raster.PNG_DPI)
            except raster.RasterUnavailable as e:
                if not find_renderers():
                    raise NoRendererError(str(e)) from None
        return pipe(self.source, fmt, dpi=dpi if fmt == "png" else None, engine=engine)

    def to_svg(self) -> str:
        """The drawing as SVG text (for :func:`draw_dot`'s, with no program to run).

        Raises:
            NoRendererError: for a drawing only Graphviz can draw, if no Graphviz
                program is installed.
            RenderError: if the program fails.
        """
        return self._image("svg").decode("utf-8")

    def to_png(self) -> bytes:
        """The drawing as PNG bytes (through matplotlib, else Graphviz; raises like
        :meth:`to_svg`)."""
        return self._image("png")

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
