"""Run the commands shown in the guides and keep what they print: python scripts/docs/cli_outputs.py

Each command of COMMANDS runs, in order, in one fresh temporary folder (so later commands see the
run folders of earlier ones); ``$ command`` and its standard output go to OUT/NAME.txt (default
OUT = docs/guides/cli), which the guide pages include. The progress bars (standard error) are left
out; a command that fails keeps its standard error and exit status, since that is what it shows.
tests/test_docs.py runs this again and compares, timings aside.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    "train-digits": "chainrule train --epochs 5",
    "check-run": "chainrule check runs/digits --max-params 50",
    "train-checkpoint": "chainrule train --epochs 4 --checkpoint-every 100 --out runs/ckpt",
    "bad-layers": "chainrule train --layers 10 30 10",
}


def run(command: str, cwd: Path) -> str:
    """``$ command`` and what it printed, run as ``python -m chainrule`` in ``cwd``."""
    args = shlex.split(command)
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    text = f"$ {command}\n{done.stdout}"
    if done.returncode != 0:
        text += f"{done.stderr}(exit status {done.returncode})\n"
    return text


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in COMMANDS.items():
            (out / f"{name}.txt").write_text(run(command, Path(tmp)))
            print("wrote", out / f"{name}.txt")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "guides" / "cli")
