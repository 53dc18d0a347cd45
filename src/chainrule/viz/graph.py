"""Draw the graph of a ``Value``: every value a box with its label, data and grad, every operation
its own round node between its inputs and its output (the picture from the micrograd lecture).

``draw`` builds the graph as Graphviz DOT (the ``graphviz`` package needs no program for that).
``render`` writes it as SVG or PNG when Graphviz's ``dot`` program is installed; without it, it
writes the DOT text instead and says how to turn it into a picture.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import graphviz

from chainrule.errors import InputError
from chainrule.files import atomic_write
from chainrule.scalar.engine import Value, topological_order

FORMATS = ("svg", "png")


class GraphvizMissing(UserWarning):
    """Graphviz's ``dot`` program is not installed, so DOT text was written instead of a picture."""


def _number(x) -> str:
    return f"{x:.4f}" if isinstance(x, float) else f"{x.data:.4f}"  # a grad may be a Value


def draw(root: Value, rankdir: str = "LR") -> graphviz.Digraph:
    """The graph of ``root`` and everything it depends on, inputs on the left (``rankdir="LR"``)."""
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    for v in topological_order(root):
        uid = str(id(v))
        label = v.label.replace("|", "/") if v.label else " "
        record = f"{{ {label} | data {_number(v.data)} | grad {_number(v.grad)} }}"
        dot.node(uid, label=record, shape="record")
        if v._op:
            dot.node(uid + v._op, label=v._op, shape="ellipse")
            dot.edge(uid + v._op, uid)
            for child in v._prev:
                dot.edge(str(id(child)), uid + v._op)
    return dot


def has_dot() -> bool:
    """True when Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def render(root: Value, path: str | Path, fmt: str | None = None) -> Path:
    """Write the graph of ``root`` to ``path`` (``.svg`` or ``.png``) and return what was written.

    Without the ``dot`` program the DOT text goes to ``path`` with the suffix ``.dot`` instead,
    and a :class:`GraphvizMissing` warning says how to render it.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS + ("dot",):
        raise InputError(f"cannot draw a graph as {fmt!r}: use one of svg, png, dot.")
    graph = draw(root)
    if fmt != "dot" and has_dot():
        return atomic_write(path.with_suffix("." + fmt), graph.pipe(format=fmt))
    target = atomic_write(path.with_suffix(".dot"), graph.source)
    if fmt != "dot":
        warnings.warn(
            f"Graphviz's dot program is not installed, so the graph was written as DOT text to "
            f"{target}; install Graphviz (e.g. apt install graphviz) and run "
            f"`dot -T{fmt} {target} -o {target.with_suffix('.' + fmt)}`.",
            GraphvizMissing,
            stacklevel=2,
        )
    return target


JUPYTER_MAX_NODES = 500  # beyond this Graphviz takes minutes and the picture is unreadable


def mimebundle(root: Value) -> dict:
    """What Jupyter shows for a Value: its graph as SVG, or as text where ``dot`` is missing or
    the graph is too big to look at (a whole loss: draw a small part, e.g. one neuron)."""
    nodes = len(topological_order(root))
    if nodes > JUPYTER_MAX_NODES:
        return {
            "text/plain": f"{root!r}\n(a graph of {nodes} values: too big to draw here; "
            "draw a smaller part with chainrule.viz.draw)"
        }
    if has_dot():
        return {"image/svg+xml": draw(root).pipe(format="svg", encoding="utf-8")}
    return {"text/plain": repr(root) + "\n(install Graphviz's dot program to see the graph)"}


def _repr_mimebundle_(value, include=None, exclude=None):
    """Jupyter's display of a Value; attached here so the engine never imports viz."""
    return mimebundle(value)


Value._repr_mimebundle_ = _repr_mimebundle_
