"""The Tensor engine's hot path against ``Network``, before and after a change, in one run.

One MNIST epoch of [784, 30, 10] (float32, sigmoid, quadratic cost, SGD lr 3.0) through
``chainrule.train``, as benchmarks/mnist_epoch.py times it (without PyTorch), for ``Network``
and ``TensorNetwork``, from each source tree given (``--tree NAME=PATH/src``; default: the
installed chainrule). Rounds alternate trees and engines, rotating who goes first; each epoch
runs in a fresh process (so two versions of chainrule never share one), and the number is the
median over rounds of the epoch's training time.

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

WORKER = """
import json, sys
import numpy as np
from chainrule.data import load
from chainrule.network import Network
from chainrule.tensor.trainable import TensorNetwork
from chainrule.train import train
engine, batch, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = load("mnist")
cls = {"network": Network, "tensor": TensorNetwork}[engine]
net = cls([784, 30, 10], dtype=np.float32, seed=seed)
h = train(net, data.X_train, data.y_train, epochs=1, batch_size=batch, lr=3.0, seed=seed)
print(json.dumps(h.epochs[0].epoch_seconds))
"""


def epoch(src: str | None, engine: str, batch: int, seed: int) -> float:
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # as mnist_epoch.py: the slower forced kernel is off
    env.pop("OPENBLAS_L2_SIZE", None)
    if src:
        env["PYTHONPATH"] = os.path.abspath(src)
    out = subprocess.run(
        [sys.executable, "-c", WORKER, engine, str(batch), str(seed)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, nargs="+", default=[10])
    parser.add_argument("--tree", action="append", default=[], help="NAME=path/to/src")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    trees = [t.split("=", 1) for t in args.tree] or [["installed", None]]

    lines = [
        "One MNIST epoch of `[784, 30, 10]`, float32, sigmoid + quadratic, SGD lr 3.0, through "
        f"`chainrule.train`; median of {args.rounds} alternating rounds (rotating who goes "
        "first), each epoch in a fresh process.",
        "",
        "| tree | batch | Network (s) | Tensor engine (s) | Tensor / Network |",
        "| --- | --- | --- | --- | --- |",
    ]
    for batch in args.batch:
        jobs = [(name, src, engine) for name, src in trees for engine in ("network", "tensor")]
        runs = {(name, engine): [] for name, _, engine in jobs}
        for r in range(args.rounds):
            k = r % len(jobs)
            for name, src, engine in jobs[k:] + jobs[:k]:
                time.sleep(0.2)
                runs[name, engine].append(epoch(src, engine, batch, r))
        for name, _ in trees:
            n = statistics.median(runs[name, "network"])
            t = statistics.median(runs[name, "tensor"])
            row = f"| {name} | {batch} | {n:.3f} | {t:.3f} | {t / n:.3f} |"
            print(row, flush=True)
            lines.append(row)
    if not args.no_write:
        write_section("Tensor engine: the hot path before and after", "\n".join(lines))


if __name__ == "__main__":
    main()
