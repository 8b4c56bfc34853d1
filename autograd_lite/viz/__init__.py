"""Pictures: computation graphs, network diagrams and training plots.

* :func:`draw_dot` — the scalar graph behind a Value (data and grad on every node);
* :func:`draw_model` — an MLP's neurons and weights;
* :func:`render` — either of them (or a Value) to an ``.svg`` or ``.png`` file;
* :func:`plot_decision_boundary`, :func:`plot_history` — matplotlib figures.

Graphs render with system Graphviz where it is installed, else with the
``graphviz-pure`` package, so they work after a plain ``pip install``: in Jupyter
they display themselves, and graphviz's own ``.render()`` and ``.pipe()`` work on
them too. matplotlib is imported only when a plot is made.
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
