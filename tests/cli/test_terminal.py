"""What a newcomer sees in a terminal: progress bars only when stderr is a terminal (none in a
pipe, a log or CI), counts that read as English, and help that says what each command does,
which choices it takes and what it does by default."""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from chainrule.cli import build_parser
from chainrule.functions import ACTIVATIONS

SCRIPT = Path(sys.executable).with_name("chainrule")
TRAIN = ["train", "digits", "--epochs", "1", "--layers", "64", "10", "10"]


def on_a_terminal(args) -> tuple[int, str]:
    """Run ``chainrule ARGS`` with stderr on a pseudo-terminal: (exit status, what it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    process = subprocess.Popen(
        [str(SCRIPT), *args], stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the process is gone and everything it wrote has been read
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(timeout=120), shown.decode(errors="replace")


def test_train_draws_its_bar_on_a_terminal_and_not_into_a_pipe(tmp_path):
    piped = subprocess.run(
        [str(SCRIPT), *TRAIN, "--out", str(tmp_path / "piped")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "batch/s" not in piped.stderr
    assert "; 1 epoch, batch 10" in piped.stdout  # not "1 epochs"
    status, shown = on_a_terminal([*TRAIN, "--out", str(tmp_path / "tty")])
    assert status == 0 and "\r" in shown and "epoch:" in shown


def test_demo_draws_its_bar_on_a_terminal_and_not_into_a_pipe(tmp_path):
    args = ["demo", "--steps", "2", "--out"]
    piped = subprocess.run(
        [str(SCRIPT), *args, str(tmp_path / "piped")], capture_output=True, text=True, timeout=120
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    status, shown = on_a_terminal([*args, str(tmp_path / "tty")])
    assert status == 0 and "\r" in shown and "moons MLP" in shown


def help_of(command: str) -> str:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    return " ".join(subparsers.choices[command].format_help().split())  # lines joined


def choices_of(text: str, flag: str) -> set[str]:
    return set(re.search(rf"{flag} \{{([^}}]*)\}}", text).group(1).split(","))


def test_demo_help_says_what_it_does_and_where_it_writes():
    text = help_of("demo")
    assert "micrograd lecture's demo" in text and "gradient of every node" in text
    assert "(default runs/demo)" in text and "(default 100)" in text


def test_explain_help_offers_only_activations_and_the_scaled_init():
    text = help_of("explain")
    activations = choices_of(text, "--activation")
    assert activations < set(ACTIVATIONS) and {"sigmoid", "tanh", "relu"} <= activations
    assert not activations & {"exp", "log"}  # ops of the engines, not activations
    assert "(default scaled)" in text and "which part of the data set --sample" in text
    assert not choices_of(help_of("train"), "--activation") & {"exp", "log"}
