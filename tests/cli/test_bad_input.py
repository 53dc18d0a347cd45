"""Every command with a bad value for each of its flags: exit status 2, exactly one line on
stderr naming the problem, no traceback (issue 11, point 4). Run in-process through
``chainrule.cli.app.run`` for speed; a few through the installed ``chainrule`` command."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.cli.app import run

SCRIPT = Path(sys.executable).with_name("chainrule")

# (command line, a word the one line must contain). {file}: an existing file; {dir}: an
# existing folder; {none}: a path that does not exist; {tensor_run}: a finished tensor-engine run.
CASES = [
    # train
    ("train nope", "invalid choice"),
    ("train xor --seed -5", "--seed"),
    ("train xor --seed 1.5", "--seed"),
    ("train xor --layers 64 100000 100000 10", "GiB"),
    ("train xor --engine value --cost quadratic --layers 2 3000 3000 1", "Value engine"),
    ("train xor --layers 0 4 1", "--layers"),
    ("train xor --layers 3 4 1 --epochs 1 --out {none}", "features"),
    ("train xor --activation nope", "--activation"),
    ("train xor --cost nope", "--cost"),
    ("train xor --init nope", "--init"),
    ("train xor --epochs 0", "--epochs"),
    ("train xor --epochs many", "--epochs"),
    ("train xor --batch-size -1", "--batch-size"),
    ("train xor --batch-size 100 --epochs 1 --out {none}", "batch size"),
    ("train xor --lr 0", "--lr"),
    ("train xor --lr nan", "--lr"),
    ("train xor --lr inf", "--lr"),
    ("train xor --lr 1e308 --epochs 3 --out {none}", "diverged"),
    ("train xor --l2 -1", "--l2"),
    ("train xor --dtype float16", "--dtype"),
    ("train xor --backprop nope", "--backprop"),
    ("train xor --backprop per-sample --engine tensor", "--backprop"),
    ("train xor --engine nope", "--engine"),
    ("train xor --optimizer adam", "--optimizer"),
    ("train xor --optimizer nope", "--optimizer"),
    ("train mnist --data-dir /dev/null --out {none}", "not a folder"),
    ("train mnist --data-dir {file} --out {none}", "not a folder"),
    ("train xor --out {file} --epochs 1", "is a file"),
    ("train xor --out /dev/null/run --epochs 1", "/dev/null/run"),
    ("train xor --checkpoint-every 0", "--checkpoint-every"),
    ("train --resume ''", "empty"),
    ("train --resume {file}", "is a file"),
    ("train --resume {dir}", "no checkpoint"),
    ("train --resume {broken_run}", "not a usable chainrule checkpoint"),
    # check
    ("check {none}", "not a file"),
    ("check {file}", "not a usable chainrule model file"),
    ("check --dataset nope", "unknown data set"),
    ("check --layers 64 3 2", "labels"),
    ("check --layers 3 2", "inputs"),
    ("check --layers 64", "layer widths"),
    ("check --engine nope", "--engine"),
    ("check --samples 0", "--samples"),
    ("check --max-params 0", "--max-params"),
    ("check --eps 0", "--eps"),
    ("check --eps 1e-300", "too small"),
    ("check --eps 1e300", "eps"),
    ("check --tol -1", "--tol"),
    ("check --seed -1", "--seed"),
    ("check --dtype int8", "--dtype"),
    ("check --data-dir /dev/null --dataset mnist", "not a folder"),
    ("check --out {dir}", "is a folder"),
    # explain
    ("explain nonsense", "no parameter"),
    ("explain W9[0,0]", "no parameter"),
    ("explain 'W1[0,0]' --layers 1 1 3 --input 1 --target 7", "--target"),
    ("explain 'W1[0,0]' --layers 1 1 3 --input 1 --target 1 2", "--target"),
    ("explain 'W1[0,0]' --layers 1 1 1 --input 1 2", "--input"),
    ("explain 'W1[0,0]' --input nan", "--input"),
    ("explain 'W1[0,0]' --target 1", "--target"),
    ("explain 'W1[0,0]' --sample 100000", "--sample"),
    ("explain 'W1[0,0]' --sample -1", "--sample"),
    ("explain 'W1[0,0]' --split nope", "--split"),
    ("explain 'W1[0,0]' --model {none}", "not a file"),
    ("explain 'W1[0,0]' --model {file}", "not a usable"),
    ("explain 'W1[0,0]' --dataset nope", "unknown data set"),
    ("explain 'W1[0,0]' --format pdf", "--format"),
    ("explain 'W1[0,0]' --out {dir}", "is a folder"),
    ("explain 'W1[0,0]' --layers 2 0", "--layers"),
    # plot
    ("plot nope", "invalid choice"),
    ("plot history {none}", "does not exist"),
    ("plot history {tensor_run} --out {dir}", "is a folder"),
    ("plot weights {none}", "not a file"),
    ("plot weights {tensor_run} --max 0", "--max"),
    ("plot weights {tensor_run} --out {none}/w.png", "square image"),
    ("plot misclassified {none}", "not a file"),
    ("plot misclassified {tensor_run} --dataset digits", "inputs"),
    ("plot misclassified {tensor_run} --split nope", "--split"),
    ("plot sweep --rates 0", "--rates"),
    ("plot sweep --epochs 0", "--epochs"),
    ("plot sweep --dataset nope", "unknown data set"),
    ("plot sweep --train-samples 0", "--train-samples"),
    ("plot sweep --layers 3 2 --epochs 1", "features"),
    ("plot gradnorms --lr 0", "--lr"),
    ("plot gradnorms {none}", "does not exist"),
    ("plot gradnorms --dataset xor --layers 5 2 --epochs 1", "features"),
    ("plot descent --lr -1", "--lr"),
    ("plot descent --batch-size 100000 --dataset xor --epochs 1", "batch size"),
    ("plot descent --layers 5 2 --dataset xor --epochs 1", "features"),
    # graph
    ("graph nope", "invalid choice"),
    ("graph --seconds-per-frame -1", "--seconds-per-frame"),
    ("graph --seconds-per-frame 0", "--seconds-per-frame"),
    ("graph --seconds-per-frame 1e308", "--seconds-per-frame"),
    ("graph --out {file}", "not a folder"),
    # demo
    ("demo --steps 0", "--steps"),
    ("demo --seed -1", "--seed"),
    ("demo --steps 1 --out {file}", "is a file"),
    # the command itself
    ("nope", "invalid choice"),
    ("", "required"),
]


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    (base / "file").write_text("not a model\n")
    (base / "dir").mkdir()
    broken = base / "broken_run"
    broken.mkdir()
    (broken / "checkpoint.npz").write_bytes(b"")
    tensor_run = base / "tensor_run"
    assert (
        run(["train", "xor", "--engine", "tensor", "--epochs", "1", "--out", str(tensor_run)]) == 0
    )
    return {
        "file": base / "file",
        "dir": base / "dir",
        "none": base / "none",
        "broken_run": broken,
        "tensor_run": tensor_run,
    }


def _argv(line, paths):
    return shlex.split(line.format(**{k: shlex.quote(str(v)) for k, v in paths.items()}))


def visible_lines(text: str) -> list[str]:
    """The lines a terminal would show: a progress bar redrawn with ``\\r`` and cleared leaves
    only what follows its last ``\\r``."""
    return [line.split("\r")[-1] for line in text.split("\n") if line.split("\r")[-1].strip()]


@pytest.mark.parametrize(("line", "word"), CASES, ids=[c[0] or "(nothing)" for c in CASES])
def test_a_bad_value_is_one_line_and_exit_2(line, word, paths, capsys):
    try:
        code = run(_argv(line, paths))
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    lines = visible_lines(err)
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err and word in lines[0], lines[0]


@pytest.mark.parametrize(
    "line",
    [
        "train xor --seed -5",
        "train xor --layers 64 100000 100000 10",
        "check --eps 1e-300",
        "train mnist --data-dir /dev/null --out {none}",
    ],
)
def test_the_installed_command_says_the_same_in_one_line(line, paths):
    result = subprocess.run(
        [str(SCRIPT), *_argv(line, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert len(visible_lines(result.stderr)) == 1 and "Traceback" not in result.stderr
