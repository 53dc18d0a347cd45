"""Regenerate the pictures in the README: python examples/readme_pictures.py (needs Graphviz)."""

import shutil

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

# Cost and accuracy per epoch of the default `chainrule train` run on the bundled digits.
from chainrule.cli import main  # noqa: E402

main(["train", "digits", "--json", "--out", "runs/readme-digits"])
print(shutil.copy("runs/readme-digits/history.png", "docs/digits-history.png"))
