"""Data-parallel scaling on MPI: samples per second with K = 1 and 2 ranks, a step's time split
into compute and Allreduce, and a model that predicts K machines from the measurements.

Each configuration (net, batch) runs under ``mpiexec -n K`` with one BLAS thread per rank (so K
ranks use K cores and the scaling is the processes', not the BLAS threads'); rounds alternate K
= 1, 2, 1, 2, ... and each number is the median over rounds of the median step. Inside a rank a
step is: the shard's gradient (compute), the one Allreduce of the flat buffer (communication,
including any wait for the slower rank), and the update (every rank applies it in full). The
data are random numbers of MNIST's shape (784 features, 10 classes): speed does not depend on
the values.

The model for K machines on a network of bandwidth ``bw`` and latency ``lat`` (ring Allreduce):

    T_allreduce(K) = 2 (K-1)/K * bytes / bw + lat * log2 K
    T_step(K)      = c * m / K + u + T_allreduce(K)      (c: compute per sample, u: update)
    efficiency(K)  = (c m + u) / (K T_step(K))

with ``c`` and ``u`` measured at K = 1 and ``bytes`` the measured buffer size.

Run: python benchmarks/distributed_scaling.py [--rounds 3]   (needs `pip install .[distributed]`)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _report import write_section

from chainrule import distributed
from chainrule.network import Network

CONFIGS = {  # name: layer sizes, batch size, steps timed per run
    "[784, 100, 10], batch 100": ([784, 100, 10], 100, 300),
    "[784, 100, 10], batch 1000": ([784, 100, 10], 1000, 60),
    "[784, 1000, 1000, 10], batch 1000": ([784, 1000, 1000, 10], 1000, 12),
}
BANDWIDTH = 10e9 / 8  # bytes/s: a 10 Gb/s network
LATENCY = 25e-6  # s per message hop
MPIEXEC = Path(sys.executable).with_name("mpiexec")


def worker(name: str) -> None:
    """One run on every rank: warm up, then time each step's parts; rank 0 prints JSON."""
    sizes, batch, steps = CONFIGS[name]
    comm = distributed.world()
    rng = np.random.default_rng(0)
    X = rng.random((batch, sizes[0]), dtype=np.float32)
    model = Network(sizes, "sigmoid", "cross_entropy", init="scaled", dtype=np.float32, seed=1)
    Y = model.targets(rng.integers(0, sizes[-1], batch))
    replica = distributed.Replica(model, comm)
    reduce = replica.collective.allreduce
    times = {"compute": [], "allreduce": [], "update": [], "step": []}

    def timed_reduce(buffer):
        start = time.perf_counter()
        reduce(buffer)
        times["allreduce"].append(time.perf_counter() - start)

    replica.collective.allreduce = timed_reduce
    for i in range(steps + 3):
        if i == 3:  # the first steps warm the caches and the connections
            times = {k: [] for k in times}
        comm.Barrier()
        start = time.perf_counter()
        gradient = replica.mean_gradient(X, Y)
        middle = time.perf_counter()
        distributed.apply_gradient(model, gradient, 0.1, 0.0, 50000)
        end = time.perf_counter()
        times["compute"].append(middle - start - times["allreduce"][-1])
        times["update"].append(end - middle)
        times["step"].append(end - start)
    if comm.Get_rank() == 0:
        medians = {k: statistics.median(v) for k, v in times.items()}
        print(json.dumps({**medians, "bytes": replica.bytes}))


def run(name: str, ranks: int) -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run(
        [str(MPIEXEC), "-n", str(ranks), sys.executable, __file__, "--worker", name],
        capture_output=True, text=True, env=env, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def allreduce_model(bytes_: float, ranks: int) -> float:
    """Seconds per step for a ring Allreduce of ``bytes_`` over ``ranks`` machines."""
    return 2 * (ranks - 1) / ranks * bytes_ / BANDWIDTH + LATENCY * math.log2(ranks)


def efficiency(per_sample: float, update: float, batch: int, bytes_: float, ranks: int) -> float:
    one = per_sample * batch + update
    return one / (ranks * (per_sample * batch / ranks + update + allreduce_model(bytes_, ranks)))


def batch_for(target: float, per_sample: float, update: float, bytes_: float, ranks: int) -> int:
    """The smallest batch m with efficiency >= target: solving (c m + u) >= target K (c m / K +
    u + T) for m gives m >= ((target K - 1) u + target K T) / ((1 - target) c)."""
    T = allreduce_model(bytes_, ranks)
    return math.ceil(
        ((target * ranks - 1) * update + target * ranks * T) / ((1 - target) * per_sample)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    rows, models = [], []
    for name, (_, batch, _) in CONFIGS.items():
        runs = {1: [], 2: []}
        for _ in range(args.rounds):
            for ranks in (1, 2):  # A B A B: a drift in the machine's load hits both alike
                runs[ranks].append(run(name, ranks))
        medians = {
            k: {key: statistics.median(r[key] for r in v) for key in v[0]} for k, v in runs.items()
        }
        rate = {k: batch / m["step"] for k, m in medians.items()}
        spread = {
            k: (max(r["step"] for r in v) - min(r["step"] for r in v)) / medians[k]["step"]
            for k, v in runs.items()
        }
        for k, m in medians.items():
            rows.append(
                f"| {name} | {k} | {rate[k]:,.0f} | {m['step'] * 1e3:.2f} | "
                f"{m['compute'] * 1e3:.2f} | {m['allreduce'] * 1e3:.3f} | "
                f"{m['update'] * 1e3:.2f} | "
                f"{rate[k] / (k * rate[1]):.0%} | {spread[k]:.0%} |"
            )  # fmt: skip
        one = medians[1]
        per_sample, update, bytes_ = one["compute"] / batch, one["update"], one["bytes"]
        need = batch_for(0.8, per_sample, update, bytes_, 8)
        models.append(
            f"| {name} | {bytes_ / 1e6:.2f} | {allreduce_model(bytes_, 8) * 1e3:.2f} | "
            f"{per_sample * 1e6:.1f} | {efficiency(per_sample, update, batch, bytes_, 8):.0%} | "
            f"{need:,} |"
        )  # fmt: skip
    body = "\n".join([
        "Samples per second of one training step (float32, sigmoid, cross-entropy, SGD), one "
        "BLAS thread per rank; median over rounds (K = 1, 2 alternating) of each run's median "
        "step. Allreduce includes waiting for the slower rank. Efficiency = rate(K) / (K "
        "rate(1)). Spread = (slowest - fastest run) / median: the machine is shared with other "
        "work, so read the numbers with that noise.",
        "",
        "| net, batch | ranks K | samples/s | step (ms) | compute (ms) | Allreduce (ms) | "
        "update (ms) | efficiency | spread |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Predicted for K = 8 machines on a 10 Gb/s network with 25 us latency: Allreduce = "
        "2 (K-1)/K bytes / bandwidth + latency log2 K; efficiency = (c m + u) / (K (c m / K + "
        "u + Allreduce)), with c (compute per sample) and u (update) measured at K = 1 above.",
        "",
        "| net, batch | buffer (MB) | Allreduce at K=8 (ms) | compute per sample (us) | "
        "efficiency at K=8, this batch | smallest batch for >= 80% at K=8 |",
        "| --- | --- | --- | --- | --- | --- |",
        *models,
    ])  # fmt: skip
    print(body)
    if not args.no_write:
        write_section("Distributed: data-parallel scaling on MPI", body)


if __name__ == "__main__":
    main()
