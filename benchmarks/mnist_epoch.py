"""One MNIST epoch of [784, 30, 10] (float32, sigmoid, quadratic cost, SGD), side by side:

* chainrule's ``Network`` through ``chainrule.train`` (matrix backprop), as a user runs it;
* a bare hand-written numpy loop doing the same math (the floor: the library must add nothing);
* PyTorch on the CPU (same net, same batches, threads = cores);
* chainrule's per-sample backprop (the book's loop), for the per-sample / matrix ratio.

Rounds alternate the engines, rotating who goes first (A B C, B C A, C A B, ...); each number is
the median over rounds of one epoch's training time (50,000 images; evaluation excluded). Also
reported: GFLOP/s against numpy's own float32 matmul rate here, and the peak RSS of a full
`chainrule train mnist` run.

Run: python benchmarks/mnist_epoch.py [--rounds 5]   (needs `pip install .[bench]` and MNIST in
$CHAINRULE_DATA/mnist); ``--engines chainrule tensor`` times those two only and prints
Tensor / Network (to compare two versions of the code, one process each, alternating).
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which this workplace sets for old
OpenBLAS builds, are removed for the run (they force a slower kernel on a current numpy); the
kernel used is printed and recorded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

if os.environ.get("OPENBLAS_CORETYPE") and "--keep-blas-env" not in sys.argv:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import numpy as np
import torch
from _report import write_section
from scipy.special import expit
from threadpoolctl import threadpool_info

from chainrule.data import load
from chainrule.models import TensorNetwork
from chainrule.network import Network
from chainrule.train import train

SIZES = [784, 30, 10]
LR = 3.0
PAUSE = 0.5  # seconds between runs: PyTorch's OpenMP threads spin for a while after its last op


def chainrule_epoch(X, y, batch, seed, form=None, engine=Network):
    options = {} if form is None else {"form": form}
    net = engine(SIZES, dtype=np.float32, seed=seed, **options)
    history = train(net, X, y, epochs=1, batch_size=batch, lr=LR, seed=seed)
    return history.epochs[0].epoch_seconds


def tensor_epoch(X, y, batch, seed):
    """The same network built from the Tensor engine (MLP, SGD), through the same loop."""
    return chainrule_epoch(X, y, batch, seed, engine=TensorNetwork)


def numpy_epoch(X, y, batch, seed):
    """The same math written out by hand: no classes, no lists, no function table."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((30, 784)).astype(np.float32)
    b1 = rng.standard_normal(30).astype(np.float32)
    W2 = rng.standard_normal((10, 30)).astype(np.float32)
    b2 = rng.standard_normal(10).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[y]
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    start = time.perf_counter()
    for k in range(0, n, batch):
        idx = order[k : k + batch]
        x, t = X[idx], Y[idx]
        a1 = expit(x @ W1.T + b1)
        a2 = expit(a1 @ W2.T + b2)
        d2 = (a2 - t) * (a2 * (1 - a2))
        d2 *= LR / len(x)
        d1 = (d2 @ W2) * (a1 * (1 - a1))
        W2 -= d2.T @ a1
        b2 -= d2.sum(axis=0)
        W1 -= d1.T @ x
        b1 -= d1.sum(axis=0)
    return time.perf_counter() - start


def torch_epoch(X, y, batch, seed):
    torch.manual_seed(seed)
    Xt, Yt = torch.from_numpy(X), torch.eye(10)[torch.from_numpy(y)]
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10), torch.nn.Sigmoid()
    )
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(X)))
    start = time.perf_counter()
    for k in range(0, len(X), batch):
        idx = order[k : k + batch]
        x, t = Xt[idx], Yt[idx]
        opt.zero_grad()
        loss = 0.5 * ((net(x) - t) ** 2).sum(dim=1).mean()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


ENGINES = {
    "chainrule": chainrule_epoch,
    "numpy": numpy_epoch,
    "tensor": tensor_epoch,
    "torch": torch_epoch,
}


def flops_per_epoch(n):
    """Multiply-adds x 2 of the three matrix products per layer (forward, dW, and delta back)."""
    per_sample = 0
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        per_sample += 2 * n_in * n_out * (2 if i == 0 else 3)  # no delta is sent back to the input
    return per_sample * n


def matmul_gflops():
    a = np.random.default_rng(0).random((2000, 2000), dtype=np.float32)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - t)
    return 2 * 2000**3 / statistics.median(times) / 1e9


def peak_rss_mb(data_dir):
    """Peak resident memory of a whole `chainrule train mnist` run (1 epoch), in MiB."""
    with tempfile.TemporaryDirectory() as out:
        code = (
            "import sys; from chainrule.cli import main; "
            f"main(['train', 'mnist', '--epochs', '1', '--out', {out!r}, '--json', "
            f"'--data-dir', {data_dir!r}]); "
            # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count the
            # forked benchmark process (torch and all) instead of this run.
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
            " file=sys.stderr)"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep-blas-env", action="store_true", help="keep OPENBLAS_CORETYPE")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=ENGINES,
        default=list(ENGINES),
        help="time only these (prints their medians and Tensor / Network, leaves RESULTS.md)",
    )
    args = parser.parse_args()

    cores = os.cpu_count()
    torch.set_num_threads(cores)
    data = load("mnist")
    X, y = data.X_train, data.y_train
    assert X.dtype == np.float32 and X.shape == (50000, 784)
    blas = ", ".join(
        f"{i['internal_api']} {i['version']} ({i.get('architecture')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    print(f"numpy BLAS: {blas}; torch {torch.__version__} with {cores} threads")

    rows = []
    for batch in (10, 100):
        engines = [(name, ENGINES[name]) for name in args.engines]
        runs = {name: [] for name, _ in engines}
        for r in range(args.rounds):
            k = r % len(engines)
            for name, epoch in engines[k:] + engines[:k]:  # A B C D, B C D A, ...
                time.sleep(PAUSE)  # let the previous engine's BLAS/OpenMP threads go idle
                runs[name].append(epoch(X, y, batch, r))
        med = {k: statistics.median(v) for k, v in runs.items()}
        rows.append((batch, med))
        print(f"batch {batch}: " + "  ".join(f"{k} {v:.3f}s" for k, v in med.items()))
        if "tensor" in med and "chainrule" in med:
            print(f"batch {batch}: Tensor / Network {med['tensor'] / med['chainrule']:.3f}")
    if len(args.engines) < len(ENGINES):
        return

    per_sample = []
    matrix = []
    for r in range(max(3, args.rounds // 2)):
        per_sample.append(chainrule_epoch(X, y, 10, r, form="per-sample"))
        matrix.append(chainrule_epoch(X, y, 10, r))
    ps, mx = statistics.median(per_sample), statistics.median(matrix)
    print(f"per-sample {ps:.3f}s  matrix {mx:.3f}s  ratio {ps / mx:.1f}x")

    peak = matmul_gflops()
    flops = flops_per_epoch(len(X))
    rss = peak_rss_mb(os.environ.get("CHAINRULE_DATA", ""))
    print(f"numpy float32 matmul {peak:.1f} GFLOP/s; peak RSS of a full run {rss:.0f} MiB")

    lines = [
        f"One epoch over 50,000 MNIST images, `[784, 30, 10]`, float32, sigmoid + quadratic, "
        f"SGD lr {LR}; median of {args.rounds} alternating rounds (rotating who goes first). "
        f"numpy BLAS: {blas}; "
        f"torch {torch.__version__}, {cores} threads.",
        "",
        "| batch | Network (s) | bare numpy loop (s) | Tensor engine (s) | PyTorch CPU (s) "
        "| Network / PyTorch | Network / numpy | Tensor / Network | Tensor / PyTorch "
        "| Network GFLOP/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for batch, med in rows:
        c, n, te, t = med["chainrule"], med["numpy"], med["tensor"], med["torch"]
        lines.append(
            f"| {batch} | {c:.3f} | {n:.3f} | {te:.3f} | {t:.3f} | {c / t:.3f} | {c / n:.3f} "
            f"| {te / c:.3f} | {te / t:.3f} | {flops / c / 1e9:.1f} |"
        )
    steps = len(X) // 10
    c10, te10 = rows[0][1]["chainrule"], rows[0][1]["tensor"]
    lines += [
        "",
        "- targets at batch 10: Network / PyTorch <= 0.2; Network / numpy <= 1; Tensor / "
        "Network <= 1.5; Tensor / PyTorch <= 1",
        f"- per step at batch 10: Network {c10 / steps * 1e6:.1f} us, Tensor engine "
        f"{te10 / steps * 1e6:.1f} us: {(te10 - c10) / steps * 1e6:.1f} us more a step "
        "(where it goes: the profile section)",
        f"- numpy's own float32 matmul (2000x2000) here: {peak:.1f} GFLOP/s; an epoch is "
        f"{flops / 1e9:.2f} GFLOP of matrix products",
        f"- per-sample backprop (the book's loop) vs matrix form, batch 10: {ps:.3f} s vs "
        f"{mx:.3f} s = **{ps / mx:.1f}x** slower",
        f"- peak RSS of `chainrule train mnist --epochs 1` (dataset held once as float32): "
        f"{rss:.0f} MiB",
    ]
    if not args.no_write:
        write_section(
            "One MNIST epoch: Network, bare numpy, Tensor engine, PyTorch", "\n".join(lines)
        )


if __name__ == "__main__":
    main()
