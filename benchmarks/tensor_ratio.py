"""The Tensor engine's hot path against ``Network``, before and after a change, in one run.

One MNIST epoch of [784, 30, 10] (float32, sigmoid, quadratic cost, SGD lr 3.0) through
``chainrule.train``, as benchmarks/mnist_epoch.py times it (without PyTorch), for ``Network``
and ``TensorNetwork``, from each source tree given (``--tree NAME=PATH/src``; default: the
installed chainrule). Each (tree, engine) pair lives in its own process (two versions of
chainrule never share one), loaded once; rounds alternate them, rotating who goes first, and
the number is the median over rounds of one epoch's training time.

``--instructions``: instead of seconds, the CPU instructions of one SGD step (batch 10) as
valgrind's cachegrind counts them, single-threaded BLAS: (count of 1200 steps - count of 200
steps) / 1000, so start-up cancels. Unlike seconds, this does not move when other programs share
the machine; it weighs a Python bytecode and a numpy flop alike, so it shows overhead, not time.

Run: python benchmarks/tensor_ratio.py --rounds 7 --tree before=/tmp/base/src --tree after=src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _report import write_section

ENGINES = ("network", "tensor")

WORKER = """
import json, sys
import numpy as np
from chainrule.data import load
from chainrule.network import Network
from chainrule.models import TensorNetwork
from chainrule.train import train
cls = {"network": Network, "tensor": TensorNetwork}[sys.argv[1]]
data = load("mnist")
print("ready", flush=True)
for line in sys.stdin:
    batch, seed = map(int, line.split())
    net = cls([784, 30, 10], dtype=np.float32, seed=seed)
    h = train(net, data.X_train, data.y_train, epochs=1, batch_size=batch, lr=3.0, seed=seed)
    print(json.dumps(h.epochs[0].epoch_seconds), flush=True)
"""


STEPS = """
import sys
import numpy as np
from chainrule.network import Network
from chainrule.models import TensorNetwork
rng = np.random.default_rng(0)
X = rng.random((10, 784), dtype=np.float32)
Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 10)]
kind = {"network": Network, "tensor": TensorNetwork}[sys.argv[1]]
net = kind([784, 30, 10], dtype=np.float32, seed=1)
for _ in range(int(sys.argv[2])):
    net.step(X, Y, 1e-9)
"""


def instructions(src: str | None, engine: str, steps: int) -> int:
    """Instructions of the whole run of ``steps`` SGD steps, as cachegrind counts them."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if src:
        env["PYTHONPATH"] = os.path.abspath(src)
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
        + [sys.executable, "-c", STEPS, engine, str(steps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stderr.splitlines() if "I" in x and "refs:" in x)
    return int(line.split()[-1].replace(",", ""))


def instruction_table(trees) -> list[str]:
    lines = [
        "CPU instructions of one SGD step of `[784, 30, 10]`, float32, sigmoid + quadratic, "
        "batch 10 (valgrind cachegrind, single-threaded BLAS; (1200 steps - 200 steps) / 1000).",
        "",
        "| tree | Network (instructions) | Tensor engine (instructions) | Tensor / Network |",
        "| --- | --- | --- | --- |",
    ]
    for name, src in trees:
        per_step = {
            e: (instructions(src, e, 1200) - instructions(src, e, 200)) // 1000 for e in ENGINES
        }
        n, t = per_step["network"], per_step["tensor"]
        lines.append(f"| {name} | {n:,} | {t:,} | {t / n:.3f} |")
        print(lines[-1], flush=True)
    return lines


class Worker:
    """One process holding one tree's chainrule and one engine, timing epochs on request."""

    def __init__(self, src: str | None, engine: str):
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE", None)  # as mnist_epoch.py: the slower forced kernel is off
        env.pop("OPENBLAS_L2_SIZE", None)
        if src:
            env["PYTHONPATH"] = os.path.abspath(src)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, engine],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def epoch(self, batch: int, seed: int) -> float:
        self.proc.stdin.write(f"{batch} {seed}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, nargs="+", default=[10])
    parser.add_argument("--tree", action="append", default=[], help="NAME=path/to/src")
    parser.add_argument("--instructions", action="store_true", help="count, don't time")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    trees = [t.split("=", 1) for t in args.tree] or [["installed", None]]
    if args.instructions:
        lines = instruction_table(trees)
        if not args.no_write:
            write_section("Tensor engine: instructions per step", "\n".join(lines))
        return

    lines = [
        "One MNIST epoch of `[784, 30, 10]`, float32, sigmoid + quadratic, SGD lr 3.0, through "
        f"`chainrule.train`; median of {args.rounds} alternating rounds (rotating who goes "
        "first), one process per tree and engine.",
        "",
        "| tree | batch | Network (s) | Tensor engine (s) | Tensor / Network |",
        "| --- | --- | --- | --- | --- |",
    ]
    workers = {(name, engine): Worker(src, engine) for name, src in trees for engine in ENGINES}
    jobs = list(workers)
    for batch in args.batch:
        runs = {job: [] for job in jobs}
        for r in range(args.rounds):
            k = r % len(jobs)
            for job in jobs[k:] + jobs[:k]:  # A B C D, B C D A, ...
                time.sleep(0.2)
                runs[job].append(workers[job].epoch(batch, r))
        for name, _ in trees:
            n = statistics.median(runs[name, "network"])
            t = statistics.median(runs[name, "tensor"])
            row = f"| {name} | {batch} | {n:.3f} | {t:.3f} | {t / n:.3f} |"
            print(row, flush=True)
            lines.append(row)
    for worker in workers.values():
        worker.close()
    if not args.no_write:
        write_section("Tensor engine: the hot path before and after", "\n".join(lines))


if __name__ == "__main__":
    main()
