"""Regenerate the pictures in the README: python examples/readme_pictures.py (needs Graphviz)."""

import shutil

from chainrule.viz import render
from chainrule.viz.animate import example

L = example("lecture")  # L = (a*b + c) * f, the micrograd lecture's first graph
L.backward()
print(render(L, "docs/L.png"))

# Cost and accuracy per epoch of the default `chainrule train` run on the bundled digits.
from chainrule.cli import main  # noqa: E402

main(["train", "digits", "--json", "--out", "runs/readme-digits"])
print(shutil.copy("runs/readme-digits/history.png", "docs/digits-history.png"))
