"""Finding a Graphviz program and running it to turn DOT text into SVG or PNG.

The ``graphviz`` Python package only writes DOT text; a program does the layout.
Two kinds are looked for, in this order:

1. a system Graphviz ``dot`` (Debian's or Homebrew's package): SVG, PNG and PDF;
2. ``graphviz-pure`` (``pip install 'autograd-lite[graphviz]'``): one static binary,
   SVG and PNG.

:func:`draw_dot`'s drawings need neither (see :mod:`.layered`); these programs draw
:func:`draw_model`'s and any other graphviz graph.

``graphviz-pure`` is found through its installed files and next to the running
Python, not through ``PATH`` alone, so it works from a virtual environment that was
never activated (a Jupyter kernel, ``.venv/bin/python script.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

FIX = (
    "`pip install 'autograd-lite[graphviz]'` (graphviz-pure, no root needed) or install the "
    "Graphviz system package (`apt install graphviz`, `brew install graphviz`)"
)

_EXE = ".exe" if os.name == "nt" else ""

# Where system packages put dot when PATH does not say (e.g. a kernel started by a GUI).
_SYSTEM_DOT_PLACES = (
    "/usr/bin/dot",
    "/usr/local/bin/dot",
    "/opt/homebrew/bin/dot",
    "/opt/local/bin/dot",
    r"C:\Program Files\Graphviz\bin\dot.exe",
)


class RenderError(RuntimeError):
    """A Graphviz program could not turn a graph into an image."""


class NoRendererError(RenderError):
    """No Graphviz program that can write the wanted format is installed."""


@dataclass(frozen=True)
class Renderer:
    """A Graphviz program and the output formats it can write.

    Attributes:
        name: ``"dot"`` (system Graphviz) or ``"graphviz-pure"``.
        path: the executable.
        formats: e.g. ``frozenset({"svg", "png"})``.
    """

    name: str
    path: str
    formats: frozenset[str]


_SYSTEM = frozenset({"svg", "png", "pdf"})
_PURE = frozenset({"svg", "png"})

_cache: dict[tuple[str, str], tuple[Renderer, ...]] = {}


def _executable(path: str | Path | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    return str(p.resolve()) if p.is_file() and os.access(p, os.X_OK) else None


def _system_dot() -> str | None:
    found = shutil.which("dot")
    if found:
        return found
    for place in _SYSTEM_DOT_PLACES:
        if _executable(place):
            return place
    return None


def _graphviz_pure() -> str | None:
    name = "graphviz-pure" + _EXE
    # 1. The file list pip recorded when it installed the package: exact wherever it went.
    try:
        files = metadata.distribution("graphviz-pure").files or []
    except metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name == name:
            found = _executable(Path(str(entry.locate())))
            if found:
                return found
    # 2. Next to this Python (sys.executable is not resolved: a venv's python is a link),
    #    in this environment's scripts folder, the user's scripts folder, then PATH.
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    try:
        folders.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")))
    except KeyError:  # pragma: no cover - a platform without a user scheme
        pass
    for folder in folders:
        found = _executable(folder / name)
        if found:
            return found
    return shutil.which("graphviz-pure")


def find_renderers() -> tuple[Renderer, ...]:
    """Every Graphviz program found, preferred first (system ``dot``, then graphviz-pure).

    The answer is remembered for the current ``PATH`` and Python.
    """
    key = (os.environ.get("PATH", ""), sys.executable)
    if key not in _cache:
        found = []
        dot = _system_dot()
        if dot:
            found.append(Renderer("dot", dot, _SYSTEM))
        pure = _graphviz_pure()
        if pure:
            found.append(Renderer("graphviz-pure", pure, _PURE))
        _cache[key] = tuple(found)
    return _cache[key]


def find_renderer(fmt: str = "svg") -> Renderer:
    """The preferred program that can write ``fmt``.

    Args:
        fmt: an output format, ``"svg"``, ``"png"`` or ``"pdf"``.

    Returns:
        The :class:`Renderer` to use.

    Raises:
        NoRendererError: naming the fixes, if no program found can write ``fmt``.
    """
    renderers = find_renderers()
    for renderer in renderers:
        if fmt in renderer.formats:
            return renderer
    if renderers:  # only graphviz-pure, asked for PDF
        raise NoRendererError(
            f"{fmt.upper()} output needs the Graphviz system package (`apt install graphviz`, "
            f"`brew install graphviz`); graphviz-pure writes only .svg and .png"
        )
    raise NoRendererError(f"cannot draw the graph: no Graphviz renderer found; fix: {FIX}")


def pipe(
    source: str,
    fmt: str,
    timeout: float = 120.0,
    dpi: int | None = None,
    engine: str | None = None,
) -> bytes:
    """Lay out DOT text and return the image in format ``fmt``.

    Args:
        source: a graph in the DOT language.
        fmt: ``"svg"``, ``"png"`` (or ``"pdf"`` with system Graphviz).
        timeout: seconds to wait for the program.
        dpi: resolution of a PNG, unless the graph sets its own (Graphviz's default is 96).
        engine: the layout program (``"neato"`` ...), unless the graph's ``layout``
            attribute names one; None for dot.

    Returns:
        The image file's bytes.

    Raises:
        NoRendererError: if no program can write ``fmt``.
        RenderError: if the program fails or times out.
    """
    renderer = find_renderer(fmt)
    command = [renderer.path, f"-T{fmt}"]
    if dpi is not None:
        command.append(f"-Gdpi={dpi}")  # -G sets a default: the graph's own dpi wins
    if engine is not None:
        command.append(f"-K{engine}")
    try:
        done = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{renderer.name} took more than {timeout:g} s to lay out the graph"
        ) from None
    except OSError as e:
        raise RenderError(f"cannot run {renderer.path}: {e.strerror or e}") from None
    if done.returncode != 0 or not done.stdout:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise RenderError(f"{renderer.name} failed: {reason}")
    return done.stdout
