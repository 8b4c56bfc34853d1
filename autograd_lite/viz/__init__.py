"""Pictures: computation graphs, network diagrams and training plots.

* :func:`draw_dot` — the scalar graph behind a Value (data and grad on every node);
* :func:`draw_model` — an MLP's neurons and weights;
* :func:`render` — either of them (or a Value) to an ``.svg`` or ``.png`` file;
* :func:`plot_decision_boundary`, :func:`plot_history` — matplotlib figures.

``draw_dot``'s graphs are laid out and drawn in Python, in :mod:`.style`'s look:
:mod:`.scene` (what is drawn), :mod:`.geometry` (sizes), :mod:`.layered` (where),
:mod:`.svg` and :mod:`.raster` (SVG; PNG and PDF through matplotlib), :mod:`.dot_source`
(the same graph as DOT). So they need no program, in Jupyter, in Pyodide, and through
graphviz's own ``.render()`` and ``.pipe()``. ``draw_model`` needs system Graphviz or
``graphviz-pure`` (``pip install 'autograd-lite[graphviz]'``). matplotlib is imported
only when a plot or a PNG is made.
"""

from .drawing import Drawing
from .export import render
from .graph import draw_dot
from .model import draw_model
from .plots import plot_decision_boundary, plot_history
from .renderer import NoRendererError, Renderer, RenderError, find_renderer, find_renderers

__all__ = [
    "Drawing",
    "NoRendererError",
    "RenderError",
    "Renderer",
    "draw_dot",
    "draw_model",
    "find_renderer",
    "find_renderers",
    "plot_decision_boundary",
    "plot_history",
    "render",
]
