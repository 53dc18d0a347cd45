"""The backward pass of a ``Value`` graph, frame by frame.

Frame 0 shows the graph after the forward pass: every value known, no gradient. Then each frame
visits one node, outputs first (reverse topological order), exactly as ``Value.backward`` does:
the node's gradient is complete when it is visited (every node that uses it came before), and it
adds ``grad * local derivative`` into each of its inputs. Nodes still waiting for contributions
show their gradient so far; a value used twice collects both. A last frame shows the result.

``save_gif`` draws the frames with matplotlib (no Graphviz needed) into an animated GIF;
``save_html`` writes one self-contained HTML page of SVG frames with buttons and a slider, drawn
by Graphviz's ``dot`` where it is installed and by matplotlib where it is not.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import graphviz
import numpy as np
from PIL import Image

from chainrule.errors import InputError
from chainrule.files import atomic_write
from chainrule.scalar.engine import Value, topological_order
from chainrule.viz.graph import has_dot
from chainrule.viz.plots import plt

MAX_NODES = 40  # beyond this the frames are unreadable: animate a smaller part of the graph
COLORS = {"done": "#b7e4c7", "current": "#ffd166", "partial": "#fff3c4", "waiting": "#ffffff"}


@dataclass
class Frame:
    """The state after one step: ``grads`` (by node id) collected so far, the ids whose gradient
    is complete (``done``), the node just visited (``current``; None in frame 0), and the
    contributions it sent: ``(input, upstream grad, local derivative)``."""

    grads: dict[int, float]
    done: set[int]
    current: Value | None
    sent: list[tuple[Value, float, float]]
    caption: str


def _name(v: Value, index: dict[int, int]) -> str:
    return v.label or f"v{index[id(v)]}"


def backward_frames(root: Value) -> tuple[list[Value], list[Frame]]:
    """The nodes in topological order and the frames of the backward pass from ``root``.

    Uses the local derivatives each node stored in the forward pass and the rule of
    ``Value.backward``, ``input.grad += node.grad * local``, without touching the graph's own
    ``.grad`` fields."""
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise InputError(
            f"the graph has {len(order)} values, more than the {MAX_NODES} a frame can show; "
            "animate a smaller part of it (e.g. one neuron)."
        )
    index = {id(v): i for i, v in enumerate(order)}
    grads: dict[int, float] = {id(root): 1.0}
    done: set[int] = set()
    frames = [
        Frame(
            {},
            set(),
            None,
            [],
            f"Forward pass done: all {len(order)} values known, no gradient yet. The backward "
            "pass visits them outputs first, seeding d(out)/d(out) = 1.",
        )
    ]
    for node in reversed(order):
        g = grads.get(id(node), 0.0)
        done.add(id(node))
        sent = []
        for child, local in ((node._a, node._da), (node._b, node._db)):
            if child is not None:
                grads[id(child)] = grads.get(id(child), 0.0) + g * local
                sent.append((child, g, local))
        name = _name(node, index)
        if node is root:
            head = f"{name}: the seed, d{name}/d{name} = 1."
        elif not sent:
            head = f"{name}: a leaf; its gradient {g:.4g} is d{_name(root, index)}/d{name}."
        else:
            head = f"{name}: complete at {g:.4g} (every value that uses {name} is done)."
        moves = "; ".join(
            f"{_name(c, index)}.grad += {gg:.4g} x {loc:.4g} = {gg * loc:.4g}"
            for c, gg, loc in sent
        )
        caption = head + (f" Passes back through '{node.op}': {moves}." if sent else "")
        frames.append(Frame(dict(grads), set(done), node, sent, caption))
    frames.append(
        Frame(
            dict(grads),
            set(done),
            None,
            [],
            f"Backward pass done: every gradient is complete; each leaf's grad is "
            f"d{_name(root, index)}/d(leaf).",
        )
    )
    return order, frames


# ---------------------------------------------------------------------------------- layout
def _layout(order: list[Value]) -> dict[int, tuple[float, float]]:
    """``(x, y)`` per node id: x is the depth (longest path from a leaf; a leaf sits just left of
    its first user), y spreads each column evenly, in topological order."""
    depth: dict[int, int] = {}
    users: dict[int, list[int]] = {}
    for v in order:
        inputs = v._prev
        depth[id(v)] = 1 + max((depth[id(c)] for c in inputs), default=-1)
        for c in inputs:
            users.setdefault(id(c), []).append(id(v))
    for v in order:
        if not v._prev and id(v) in users:
            depth[id(v)] = min(depth[u] for u in users[id(v)]) - 1
    columns: dict[int, list[int]] = {}
    for v in order:
        columns.setdefault(depth[id(v)], []).append(id(v))
    pos = {}
    for x, ids in columns.items():
        for k, i in enumerate(ids):
            pos[i] = (float(x), (len(ids) - 1) / 2 - k)
    return pos


def _text(v: Value, name: str, frame: Frame) -> str:
    op = f"  [{v.op}]" if v.op else ""
    g = frame.grads.get(id(v))
    if g is None:
        grad = "grad ?"
    elif id(v) in frame.done:
        grad = f"grad {g:.4f}"
    else:
        grad = f"grad {g:.4f} so far"
    return f"{name}{op}\ndata {v.data:.4f}\n{grad}"


def _state(v: Value, frame: Frame) -> str:
    if frame.current is v:
        return "current"
    if id(v) in frame.done:
        return "done"
    return "partial" if id(v) in frame.grads else "waiting"


def draw_frame(order: list[Value], frame: Frame, size=(10, 6)):
    """One frame as a matplotlib figure of ``size`` inches (100 dpi when saved)."""
    index = {id(v): i for i, v in enumerate(order)}
    pos = _layout(order)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    fig = plt.figure(figsize=size)
    ax = fig.add_axes((0.02, 0.16, 0.96, 0.82))
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    columns = max(xs) - min(xs) + 1
    fontsize = max(6.0, min(11.0, 70.0 / columns))
    boxes = {}
    for v in order:
        x, y = pos[id(v)]
        state = _state(v, frame)
        boxes[id(v)] = ax.text(
            x,
            y,
            _text(v, _name(v, index), frame),
            ha="center",
            va="center",
            fontsize=fontsize,
            family="monospace",
            bbox={
                "boxstyle": "round,pad=0.4",
                "fc": COLORS[state],
                "ec": "#d62828" if state == "current" else "#555555",
                "lw": 2.5 if state == "current" else 1.0,
            },
        )
    sending = {id(c) for c, _, _ in frame.sent}
    for v in order:
        for c in v._prev:
            hot = v is frame.current and id(c) in sending
            ax.annotate(
                "",
                xy=(0, 0.5),
                xycoords=boxes[id(v)],
                xytext=(1, 0.5),
                textcoords=boxes[id(c)],
                arrowprops={
                    "arrowstyle": "<|-" if hot else "-|>",
                    "color": "#d62828" if hot else "#888888",
                    "lw": 2.0 if hot else 1.0,
                },
            )
    for c, _, local in frame.sent:  # each local derivative, halfway along its edge
        (x0, y0), (x1, y1) = pos[id(c)], pos[id(frame.current)]
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, f"x {local:.4g}", color="#d62828",
                ha="center", fontsize=fontsize, weight="bold")  # fmt: skip
    fig.text(0.02, 0.02, _wrap(frame.caption, int(12 * size[0])), fontsize=10, va="bottom")
    return fig


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


# ---------------------------------------------------------------------------------- GIF
def save_gif(root: Value, path: str | Path, seconds_per_frame: float = 1.2, size=(10, 6)) -> Path:
    """The backward pass of ``root`` as an animated GIF of ``size`` inches at 100 dpi (1000x600
    pixels by default): the forward-only frame, one frame per node, the finished graph; looping."""

    order, frames = backward_frames(root)
    images = []
    for frame in frames:
        fig = draw_frame(order, frame, size)
        fig.set_dpi(100)
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        plt.close(fig)
        images.append(Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE))
    durations = [int(1000 * seconds_per_frame)] * len(images)
    durations[-1] *= 3  # linger on the finished picture
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
    )
    return atomic_write(path, buffer.getvalue())


# ---------------------------------------------------------------------------------- HTML
def _svg_matplotlib(order, frame, size) -> str:
    fig = draw_frame(order, frame, size)
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text: small, searchable
        fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def _svg_graphviz(order, frame) -> str:

    index = {id(v): i for i, v in enumerate(order)}
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"}, node_attr={"fontname": "Helvetica"})
    for v in order:
        uid = str(id(v))
        state = _state(v, frame)
        g = frame.grads.get(id(v))
        grad = "?" if g is None else f"{g:.4f}" + ("" if id(v) in frame.done else " so far")
        label = _name(v, index).replace("|", "/")
        dot.node(
            uid,
            label=f"{{ {label} | data {v.data:.4f} | grad {grad} }}",
            shape="record",
            style="filled",
            fillcolor=COLORS[state],
            color="#d62828" if state == "current" else "black",
            penwidth="2.5" if state == "current" else "1",
        )
        if v.op:
            dot.node(uid + "op", label=v.op, shape="ellipse")
            dot.edge(uid + "op", uid)
            for c in v._prev:
                hot = v is frame.current
                local = next(loc for cc, _, loc in frame.sent if cc is c) if hot else None
                dot.edge(
                    str(id(c)),
                    uid + "op",
                    color="#d62828" if hot else "black",
                    label=f"x {local:.4g}" if hot else "",
                    fontcolor="#d62828",
                )
    return dot.pipe(format="svg", encoding="utf-8")


def _inline(svg: str) -> str:
    """An SVG document as an element to put inside HTML: no XML prolog, no DOCTYPE, no
    comments."""
    svg = re.sub(r"<!--.*?-->", "", svg[svg.index("<svg") :], flags=re.S)
    return svg.strip()


def save_html(root: Value, path: str | Path, use_dot: bool | None = None, size=(10, 6)) -> Path:
    """One self-contained HTML page (no network, no files beside it) with every frame as inline
    SVG, a caption per frame, Previous / Play / Next buttons and a slider. ``use_dot=None``
    draws with Graphviz where its ``dot`` program is installed, else with matplotlib."""

    if use_dot is None:
        use_dot = has_dot()
    elif use_dot and not has_dot():
        raise InputError("Graphviz's dot program is not installed; use use_dot=False.")
    order, frames = backward_frames(root)
    figures = []
    for k, frame in enumerate(frames):
        svg = _svg_graphviz(order, frame) if use_dot else _svg_matplotlib(order, frame, size)
        figures.append(
            f'<figure class="frame" data-frame="{k}"{"" if k == 0 else " hidden"}>'
            f"{_inline(svg)}<figcaption>Frame {k} of {len(frames) - 1}: "
            f"{html.escape(frame.caption)}</figcaption></figure>"
        )
    name = html.escape(root.label or "the output")
    page = _PAGE.format(
        title=f"Backward pass of {name}",
        drawer="Graphviz" if use_dot else "matplotlib",
        count=len(frames),
        last=len(frames) - 1,
        frames="\n".join(figures),
    )
    return atomic_write(path, page)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
figure {{ margin: 0; }} figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ margin-top: 0.5em; max-width: 60em; }}
.controls {{ margin: 0.8em 0; }} .controls button {{ margin-right: 0.4em; }}
</style></head>
<body>
<h2>{title}</h2>
<p>{count} frames, drawn with {drawer}: green = gradient complete, gold = the node being visited
(red edges: what it sends to its inputs, times each local derivative), pale yellow = gradient so
far, white = not reached yet.</p>
<div class="controls"><button id="prev">&#9664; Previous</button><button id="play">Play</button>
<button id="next">Next &#9654;</button>
<input id="slider" type="range" min="0" max="{last}" value="0"> <span id="where">0</span></div>
{frames}
<script>
const frames = document.querySelectorAll(".frame");
const slider = document.getElementById("slider"), where = document.getElementById("where");
let current = 0, timer = null;
function show(k) {{
  current = (k + frames.length) % frames.length;
  frames.forEach((f, i) => {{ f.hidden = i !== current; }});
  slider.value = current; where.textContent = current;
}}
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
slider.oninput = () => show(Number(slider.value));
document.getElementById("play").onclick = (e) => {{
  if (timer) {{ clearInterval(timer); timer = null; e.target.textContent = "Play"; return; }}
  e.target.textContent = "Pause";
  timer = setInterval(() => show(current + 1), 1200);
}};
</script>
</body></html>
"""


# ---------------------------------------------------------------------------------- examples
def _lecture() -> Value:
    """``L = (a*b + c) * f``, the first graph of the micrograd lecture."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L


def _neuron() -> Value:
    """``o = tanh(x1 w1 + x2 w2 + b)``, the lecture's neuron (its b makes o = 0.7071)."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1+x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def _reuse() -> Value:
    """``y = x*x + x``: x is used three times, and its gradient 2x + 1 = 7 collects all three."""
    x = Value(3.0, "x")
    sq = x * x
    sq.label = "x*x"
    y = sq + x
    y.label = "y"
    return y


EXAMPLES = {"lecture": _lecture, "neuron": _neuron, "reuse": _reuse}


def example(name: str) -> Value:
    """One of the small example graphs by name: ``lecture``, ``neuron`` or ``reuse``."""
    if name not in EXAMPLES:
        raise InputError(f"unknown example {name!r}: choose one of {', '.join(EXAMPLES)}.")
    return EXAMPLES[name]()


__all__ = ["EXAMPLES", "Frame", "backward_frames", "draw_frame", "example", "save_gif", "save_html"]
