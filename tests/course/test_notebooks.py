"""Karpathy's makemore lecture notebooks, parts 2, 3 and 4, as saved in karpathy/nn-zero-to-hero
(tests/fixtures/zero_to_hero, MIT license), run cell by cell on chainrule with only the import
lines changed (tests/course/notebooks.py says what else, and why): every cell runs, and part 4's
28 ``cmp(...)`` lines, which compare the hand-written gradients with autograd's, all pass."""

from __future__ import annotations

import re
from pathlib import Path

from course import notebooks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zero_to_hero"
STEPS = 200  # training steps per loop instead of the lectures' 200,000 (notebooks.py, STEP_LINE)
CMP = re.compile(
    r"^(\S+)\s+\| exact: (True|False)\s*\| approximate: (True|False)\s*\| maxdiff: (\S+)$",
    re.MULTILINE,
)


def notebook(part: str) -> Path:
    return FIXTURES / f"makemore_{part}.ipynb"


def test_part2_mlp_runs_as_on_pytorch():
    """The saved cell 19 indexes 32 rows with all 228,146 labels (in the lecture ``X`` held five
    words then): PyTorch raises IndexError there, and so must chainrule; every other cell runs,
    the training lowers the loss, and the sampling cell prints its 20 names."""
    _, _, on_pytorch = notebooks.run(notebook("part2_mlp"), "torch", steps=STEPS)
    namespace, printed, failures = notebooks.run(notebook("part2_mlp"), steps=STEPS)
    assert set(on_pytorch) == {19} and isinstance(on_pytorch[19], IndexError)
    assert set(failures) == {19}, failures
    assert isinstance(failures[19], IndexError), repr(failures[19])
    lossi = namespace["lossi"]  # log10 of each step's loss
    assert len(lossi) == STEPS and sum(lossi[-20:]) < sum(lossi[:20])  # it learns
    assert len(re.findall(r"^[a-z]*\.$", printed, re.MULTILINE)) == 20  # the 20 sampled names


def test_part3_batchnorm_runs_to_the_end():
    _, printed, failures = notebooks.run(notebook("part3_bn"), steps=STEPS)
    assert failures == {}, failures
    statistics = re.findall(r"layer \d+ \(\s*Tanh\): mean ([-+.\d]+), std ([.\d]+)", printed)
    assert len(statistics) == 5 * 2  # the activation, then the gradient histograms' lines
    assert all(0 < float(std) < 1 for _, std in statistics[:5])  # tanh outputs lie in (-1, 1)
    assert re.search(r"^train \d\.\d+$", printed, re.MULTILINE)


def test_part4_backprop_runs_and_its_28_gradient_comparisons_pass():
    namespace, printed, failures = notebooks.run(notebook("part4_backprop"), steps=STEPS)
    assert failures == {}, failures
    lines = CMP.findall(printed)
    assert len(lines) == 28, printed
    assert all(approximate == "True" for _, _, approximate, _ in lines), lines
    # as the notebook printed on PyTorch: exercise 1's 26 lines exact, the two closed forms
    # (cross-entropy, batch norm) approximate, off by rounding only
    assert [exact for _, exact, _, _ in lines[:26]] == ["True"] * 26, lines
    assert all(float(maxdiff) < 1e-6 for _, _, _, maxdiff in lines[26:]), lines
    assert len(namespace["lossi"]) == STEPS
