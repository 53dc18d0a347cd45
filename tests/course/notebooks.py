"""Run a saved Jupyter notebook's code cells in order, in one namespace, as a learner would.

What is changed, and nothing else:

* the import lines: ``import torch`` becomes ``import chainrule.tensor as torch`` and
  ``import torch.nn.functional as F`` becomes ``import chainrule.tensor.nn.functional as F``
  (with ``framework="torch"`` they are left alone, to run the same cells on real PyTorch);
* IPython's ``%magic`` lines are dropped (they are not Python);
* matplotlib draws on the Agg backend, and ``plt.show()`` does nothing;
* ``STEPS``: the lectures train for 200,000 steps; a test passes ``steps=`` and the one literal
  ``200000`` in the lines that set the step count (``max_steps = 200000``,
  ``for i in range(200000):``) becomes that number. The notebooks' step-decay lines
  (``lr = 0.1 if i < 100000 else 0.01``) are left as saved.

A warning is shown and the cell goes on, as in Jupyter (pytest's warnings-as-errors is off
inside the cells). The cells run in the folder that holds the notebook (they open
``names.txt`` there).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IMPORTS = {
    "import torch\n": "import chainrule.tensor as torch\n",
    "import torch.nn.functional as F": "import chainrule.tensor.nn.functional as F",
}
STEP_LINE = re.compile(r"^(\s*(?:max_steps = |for i in range\())200000\b", re.MULTILINE)


def code_cells(path: Path) -> list[str]:
    """The source of each code cell of the notebook at ``path``, in order."""
    cells = json.loads(Path(path).read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def prepare(source: str, framework: str, steps: int | None) -> str:
    """One cell's source with the changes the module docstring lists."""
    source = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith("%"))
    if framework == "chainrule":
        for old, new in IMPORTS.items():
            source = (source + "\n").replace(old, new)
    if steps is not None:
        source = STEP_LINE.sub(lambda m: m.group(1) + str(steps), source)
    return source


def run(path: Path, framework: str = "chainrule", steps: int | None = None):
    """Run every code cell of ``path`` in order, as "Run All" does but going on past a cell that
    raises; return (namespace, printed text, ``{cell number: exception}`` for the cells that
    raised)."""
    path = Path(path).resolve()
    namespace: dict = {"__name__": "__notebook__"}
    printed = io.StringIO()
    failures = {}
    show, here = plt.show, os.getcwd()
    plt.show = lambda *args, **kwargs: None
    try:
        os.chdir(Path(path).parent)
        with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            for number, source in enumerate(code_cells(path)):
                code = compile(prepare(source, framework, steps), f"<cell {number}>", "exec")
                try:
                    exec(code, namespace)
                except Exception as error:  # the test reports which cells raised, and what
                    failures[number] = error
    finally:
        os.chdir(here)
        plt.show = show
        plt.close("all")
    return namespace, printed.getvalue(), failures
