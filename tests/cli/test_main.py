"""The console script, run as a user runs it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("chainrule")


def run(*args, cwd=None):
    env = {**os.environ, "PATH": "/nonexistent"}  # no Graphviz: the DOT fallback path
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_console_script_is_installed():
    assert SCRIPT.exists(), "install the package (pip install -e .) so `chainrule` is on PATH"


def test_demo_trains_and_writes_the_neuron_graph(tmp_path):
    result = run("demo", "--steps", "60", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert "training accuracy 100%" in result.stdout
    dot = (tmp_path / "run" / "neuron.dot").read_text()
    assert 'label="{ w1 | data' in dot and 'label="{ out | data' in dot
    assert "dot -Tsvg" in result.stdout
    # The picture teaches something: its neuron's ReLU is on for its input, so every one of its
    # 10 nodes (x1, x2, w1, w2, b, two products, two sums, out) has a non-zero gradient.
    grads = [float(g) for g in re.findall(r"\| grad (-?\d+\.\d+) }", dot)]
    assert len(grads) == 10 and all(abs(g) >= 0.01 for g in grads), grads


@pytest.mark.parametrize(
    "args, words",
    [
        (["demo", "--steps", "0"], "argument --steps: must be a positive whole number"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_no_traceback(args, words):
    result = run(*args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
