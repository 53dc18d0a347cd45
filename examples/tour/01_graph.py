"""A value remembers how it was made.

Build L = (a*b + c) * f from four Values: each result keeps the operation and the inputs that made
it, so after L.backward() the whole computation can be drawn, every box with its data and grad.
"""

from pathlib import Path

from chainrule import Value
from chainrule.scalar.engine import topological_order
from chainrule.viz import render

OUT = Path(__file__).resolve().parents[2] / "docs" / "tour"


def main(out_dir=None):
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    d = e + c
    L = d * f
    e.label, d.label, L.label = "e", "d", "L"
    L.backward()
    nodes = topological_order(L)
    for v in nodes:
        made = f"{v.op} of {', '.join(p.label for p in v._prev)}" if v.op else "a leaf"
        print(f"{v.label}: data {v.data:6g}  grad {v.grad:6g}  made by {made}")
    picture = render(L, Path(out_dir or OUT) / "01_graph.png")
    print("drawn to", picture.name)
    made_by = {v.label: (v.op, [p.label for p in v._prev]) for v in nodes}
    grads = {v.label: v.grad for v in nodes}
    return {"L": L.data, "made_by": made_by, "grads": grads, "pictures": [picture]}


if __name__ == "__main__":
    main()
