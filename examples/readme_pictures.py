"""Regenerate the pictures in the README: python examples/readme_pictures.py (needs Graphviz)."""

from chainrule import Value
from chainrule.viz import render

a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
L = d * f
L.label = "L"
L.backward()
print(render(L, "docs/L.png"))
