"""Pictures of backprop: the graph of a ``Value`` (Graphviz)."""

from chainrule.viz.graph import GraphvizMissing, draw, render

__all__ = ["draw", "render", "GraphvizMissing"]
