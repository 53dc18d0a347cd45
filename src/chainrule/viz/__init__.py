"""Pictures of backprop: the graph of a ``Value`` (Graphviz), plots of training and sweeps
(matplotlib, written to files), and the backward pass frame by frame (GIF, HTML of SVG frames).

The matplotlib parts are imported on first use, so drawing a graph does not load matplotlib.
"""

from importlib import import_module

from chainrule.viz.graph import GraphvizMissing, draw, render

_LAZY = {
    "plot_history": "plots",
    "plot_grad_norms": "plots",
    "plot_weights": "plots",
    "plot_misclassified": "plots",
    "plot_sweep": "sweeps",
    "plot_descent": "sweeps",
    "backward_frames": "animate",
    "save_gif": "animate",
    "save_html": "animate",
}

__all__ = ["GraphvizMissing", "draw", "render", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f"chainrule.viz.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'chainrule.viz' has no attribute {name!r}")
