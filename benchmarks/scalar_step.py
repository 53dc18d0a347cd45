"""One training step of the micrograd demo, chainrule's Value against micrograd 0.1.0, side by side.

The step: forward over all 100 moons samples, max-margin loss plus 1e-4 * sum(p*p), zero_grad,
backward, SGD update, then dropping the graph, on ``MLP(2, [16, 16, 1])``. Both engines run the
very same code (``chainrule.scalar.demo``) with their own ``Value`` and ``MLP``, one node per
scalar op in both. Rounds alternate A B A B; each round times several steps; medians are reported.

Two regimes:
* "gc on": Python's cyclic garbage collector as it is by default (how people run micrograd);
* "gc paused": the collector disabled during the step and run between steps, outside the timing
  (the engine-to-engine figure).

``--clock cpu`` times with ``time.process_time`` (this process's CPU time) instead of the wall
clock: on a machine shared with other work it is far less inflated by the others' load.

Run: python benchmarks/scalar_step.py [--rounds 7] [--steps 5] [--clock cpu]
(needs `pip install .[bench]`)
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from _report import write_section
from micrograd.engine import Value as MicroValue
from micrograd.nn import MLP as MicroMLP

from chainrule.scalar import MLP, Value
from chainrule.scalar.demo import max_margin_loss, moons

ENGINES = {"chainrule": (Value, MLP), "micrograd": (MicroValue, MicroMLP)}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_steps(engine: str, steps: int, gc_paused: bool, clock=time.perf_counter) -> float:
    """Median seconds per training step over ``steps`` steps of a fresh model."""
    value, mlp = ENGINES[engine]
    random.seed(1337)  # both MLPs draw their weights from the global `random`, identically
    model = mlp(2, [16, 16, 1])
    X, y = moons()
    times = []
    gc.collect()
    for k in range(steps):
        if gc_paused:
            gc.disable()
        t0 = clock()
        loss, _ = max_margin_loss(model, X, y, value=value)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        del loss  # freeing the graph is part of the step
        times.append(clock() - t0)
        if gc_paused:
            gc.enable()
            gc.collect()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()

    rows = []
    for regime, paused in (("gc on", False), ("gc paused", True)):
        samples = {name: [] for name in ENGINES}
        for _ in range(args.rounds):
            for name in ENGINES:  # A B A B ...
                samples[name].append(time_steps(name, args.steps, paused, CLOCKS[args.clock]))
        ours = statistics.median(samples["chainrule"])
        theirs = statistics.median(samples["micrograd"])
        rows.append((regime, ours, theirs))
        print(
            f"{regime:10s} chainrule {ours * 1e3:8.1f} ms  micrograd {theirs * 1e3:8.1f} ms  "
            f"ratio {ours / theirs:.3f}"
        )

    table = [
        "| regime | chainrule ms/step | micrograd ms/step | chainrule / micrograd | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    targets = {"gc on": "<= 0.20", "gc paused": "<= 0.50"}
    for regime, ours, theirs in rows:
        table.append(
            f"| {regime} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | {ours / theirs:.3f} "
            f"| {targets[regime]} |"
        )
    body = (
        f"One full training step of `MLP(2, [16, 16, 1])` on `make_moons(100, noise=0.1, "
        f"random_state=1)`, max-margin loss + 1e-4 L2, same script on both engines; "
        f"{args.rounds} alternating rounds x {args.steps} steps, medians ({args.clock} clock)."
        "\n\n" + "\n".join(table)
    )
    if not args.no_write:
        write_section("Scalar engine: one moons training step vs micrograd", body)


if __name__ == "__main__":
    main()
