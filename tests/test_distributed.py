"""Data-parallel training under a real ``mpiexec``: K ranks give one process's run, after every
step; stop requests, NaN and bad setups end every rank alike; a hung rank ends the job in seconds.

The workers are the functions below, run on every rank as ``mpiexec -n K python -c "import
test_distributed as t; t.worker_...(out)"``; the single-process reference runs in pytest itself.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule import distributed
from chainrule.errors import InputError
from chainrule.models import build
from chainrule.network import Network
from chainrule.train import Position, TrainingDiverged, TrainingInterrupted, train

pytestmark = pytest.mark.mpi  # one mpiexec at a time (conftest.xdist_group)
TESTS = Path(__file__).resolve().parent
MPIEXEC = Path(sys.executable).with_name("mpiexec")

# name: engine, dtype, sizes, samples, batch size, L2, cost. 23 samples in batches of 6 leave a
# short last batch of 5 (and 6 is not divisible by 4); batches of 4 leave 3, so with 4 ranks
# one rank has no row in the last batch.
SCENARIOS = {
    "network-float64": ("network", "float64", [5, 7, 3], 23, 6, 0.1, "quadratic"),
    "network-batch4": ("network", "float64", [5, 7, 3], 23, 4, 0.0, "cross_entropy"),
    "network-float32": ("network", "float32", [5, 7, 3], 23, 6, 0.1, "quadratic"),
    "tensor-float64": ("tensor", "float64", [5, 6, 3], 23, 6, 0.1, "log_likelihood"),
    "value-float64": ("value", "float64", [3, 4, 2], 11, 5, 0.1, "quadratic"),
}
EPOCHS = 2


def mpiexec(k: int, code: str, *, flags=(), env=None, timeout=90, args=()):
    """``mpiexec -n k python -c code`` with this test folder importable."""
    command = [str(MPIEXEC), *flags, "-n", str(k), sys.executable, "-c", code, *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(TESTS), **(env or {})},
    )


@pytest.fixture(scope="module", autouse=True)
def launcher():
    if not MPIEXEC.exists():  # not a skip: the distributed extra is part of the test install
        pytest.fail("mpiexec is missing: install the test extras with chainrule[distributed].")


def data(name: str):
    _, _, sizes, n, *_ = SCENARIOS[name]
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)


def scenario(name: str, comm=None) -> dict:
    """Train one scenario for two epochs; the parameters after every step, the epoch costs."""
    engine, dtype, sizes, _, batch, l2, cost = SCENARIOS[name]
    X, y = data(name)
    model = build(engine, sizes, "sigmoid", cost, "normal", dtype, seed=3)
    steps = []

    def snapshot(done, total):
        steps.append(np.concatenate([p.ravel() for p in model.parameters().values()]))

    settings = dict(epochs=EPOCHS, batch_size=batch, lr=0.5, l2=l2, seed=5, progress=snapshot)
    if comm is None:
        history = train(model, X, y, **settings)
    else:
        history = distributed.train(model, X, y, comm=comm, **settings)
    final = np.concatenate([p.ravel() for p in model.parameters().values()])
    return {"steps": np.array(steps), "costs": history.column("cost"), "final": final}


def worker_equal(out: str) -> None:
    """Every scenario on this many ranks; rank 0 keeps every step, all ranks their final
    parameters (they must agree bitwise), and a second run of the first scenario (same seed)."""
    comm = distributed.world()
    results = {name: scenario(name, comm) for name in SCENARIOS}
    again = scenario("network-float64", comm)
    finals = comm.gather({k: r["final"] for k, r in results.items()}, root=0)
    if comm.Get_rank() == 0:
        arrays = {f"{k}.steps": r["steps"] for k, r in results.items()}
        arrays.update({f"{k}.costs": np.array(r["costs"]) for k, r in results.items()})
        arrays["again.steps"] = again["steps"]
        arrays["ranks_agree"] = np.array(
            all(np.array_equal(f[k], finals[0][k]) for f in finals for k in results)
        )
        np.savez(Path(out) / f"ranks{comm.Get_size()}.npz", **arrays)


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_k_ranks_equal_one_process_after_every_step(ranks, tmp_path):
    result = mpiexec(ranks, "import test_distributed as t, sys; t.worker_equal(sys.argv[1])",
                     args=[str(tmp_path)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = np.load(tmp_path / f"ranks{ranks}.npz")
    assert bool(saved["ranks_agree"])  # every rank holds the same weights
    for name, (_, dtype, _, n, batch, _, _) in SCENARIOS.items():
        reference = scenario(name)
        steps = saved[f"{name}.steps"]
        assert len(steps) == EPOCHS * math.ceil(n / batch)  # a snapshot after every step
        tolerance = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(steps, reference["steps"], rtol=0, atol=tolerance)
        np.testing.assert_allclose(saved[f"{name}.costs"], reference["costs"], rtol=tolerance)
        assert np.abs(steps[-1] - steps[0]).max() > 100 * tolerance  # the weights did move
    # Same seed, same run: the shuffles and the sums repeat exactly.
    np.testing.assert_array_equal(saved["again.steps"], saved["network-float64.steps"])


class Poisoned(Network):
    """A network whose gradient turns NaN at its third call on rank 1 only."""

    rank = 0

    def gradient(self, X, Y):
        self.calls = getattr(self, "calls", 0) + 1
        gradient = super().gradient(X, Y)
        if self.rank == 1 and self.calls == 3:
            gradient["W1"][0, 0] = np.nan
        return gradient


class Saves:
    """A checkpoint that remembers where it was asked to save."""

    every = None

    def __init__(self):
        self.positions: list[Position] = []

    def save(self, position, history):
        self.positions.append(position)


def worker_faults(out: str) -> None:
    """Each fault on this rank; what each rank saw is written to out/rank<r>.json."""
    comm = distributed.world()
    rank = comm.Get_rank()
    X, y = data("network-float64")
    seen = {}

    def attempt(key, error, model, X=X, **settings):
        settings = {"epochs": 2, "batch_size": 6, "lr": 0.5, "seed": 1, **settings}
        try:
            distributed.train(model, X, y, comm=comm, **settings)
        except error as e:
            seen[key] = str(e)

    poisoned = Poisoned([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    poisoned.rank = rank
    attempt("nan", TrainingDiverged, poisoned)
    asks = iter(range(100))
    checkpoint = Saves()
    model = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    stop = (lambda: next(asks) >= 3) if rank == 1 else (lambda: False)
    attempt("stop", TrainingInterrupted, model, stop=stop, checkpoint=checkpoint)
    seen["saved"] = [(p.epoch, p.batch) for p in checkpoint.positions]
    other = X + 1e-9 * (rank == 1)
    attempt("data", InputError, model, X=other)
    attempt("settings", InputError, model, lr=0.5 + 0.1 * (rank == 1))
    attempt("batch", InputError, model, batch_size=comm.Get_size() - 1)
    adam = build("tensor", [5, 7, 3], "sigmoid", "quadratic", "normal", "float64", optimizer="adam")
    attempt("adam", InputError, adam)
    (Path(out) / f"rank{rank}.json").write_text(json.dumps(seen))


def test_faults_stop_every_rank_alike(tmp_path):
    result = mpiexec(3, "import test_distributed as t, sys; t.worker_faults(sys.argv[1])",
                     args=[str(tmp_path)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(3)]
    for key in ("nan", "stop", "data", "settings", "batch", "adam"):
        assert seen[0][key] == seen[1][key] == seen[2][key], key
    # A NaN on one rank reaches every rank through the sum: all stop at the same step.
    assert seen[0]["nan"].startswith("training diverged at step 3 of epoch 1")
    # Rank 1 alone asked to stop after its fourth step: every rank stopped there, rank 0 saved.
    assert seen[0]["stop"] == "stopped at step 4 of epoch 1"
    assert seen[0]["saved"] == [[1, 4]] and seen[1]["saved"] == seen[2]["saved"] == []
    assert seen[0]["data"].startswith("rank 1 loaded other data than rank 0")
    assert seen[0]["settings"].startswith("rank 1 was started with other settings than rank 0")
    assert seen[0]["batch"].startswith("batch size 2 is smaller than the 3 ranks")
    assert "Adam is not distributed yet" in seen[0]["adam"]


def worker_hang(out: str) -> None:
    """Rank 0 freezes rank 1 (SIGSTOP) after five steps; the survivors must give up."""
    comm = distributed.world()
    pids = comm.allgather(os.getpid())
    X, y = data("network-float64")
    model = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)

    steps = iter(range(10**6))

    def freeze(done, total):
        if next(steps) == 5:
            (Path(out) / "frozen").write_text(f"{pids[1]} {time.time()}")
            os.kill(pids[1], 19)  # SIGSTOP: alive to the launcher, silent to MPI

    distributed.train(model, X, y, epochs=1000, batch_size=6, comm=comm, progress=freeze,
                      timeout=2)  # fmt: skip


def test_a_hung_rank_ends_the_job_in_seconds_with_one_sentence(tmp_path):
    result = mpiexec(3, "import test_distributed as t, sys; t.worker_hang(sys.argv[1])",
                     args=[str(tmp_path)], timeout=60)  # fmt: skip
    ended = time.time()
    pid, frozen = (tmp_path / "frozen").read_text().split()
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("chainrule:")]
    assert lines == [
        "chainrule: error: rank 1 of 3 stopped answering (killed, crashed or hung for more "
        "than 2s); resume from the last checkpoint."
    ]
    assert ended - float(frozen) < 20  # 2 s timeout + 2 s roll call + the launcher's cleanup
    assert gone(int(pid))  # the frozen rank went down with the job


def gone(pid: int, wait: float = 10.0) -> bool:
    """True once process ``pid`` no longer runs (ended, or a zombie waiting to be reaped)."""
    end = time.time() + wait
    while time.time() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def worker_gradient(out: str) -> None:
    """The gradient of a whole batch, shared by the ranks (what tour example 16 shows)."""
    comm = distributed.world()
    X, y = data("network-float64")
    model = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    gradient = distributed.Replica(model, comm).mean_gradient(X, model.targets(y))
    if comm.Get_rank() == 0:
        np.savez(Path(out) / "gradient.npz", **gradient)


def test_the_shared_gradient_is_the_batch_gradient(tmp_path):
    result = mpiexec(3, "import test_distributed as t, sys; t.worker_gradient(sys.argv[1])",
                     args=[str(tmp_path)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    X, y = data("network-float64")
    model = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    Y = model.targets(y)
    shared = np.load(tmp_path / "gradient.npz")
    # The judge is finite differences of the whole batch's cost, not the engine's backprop.
    W = model.parameters()["W1"]
    for i, j in [(0, 0), (3, 2), (6, 4)]:
        keep = W[i, j]
        W[i, j] = keep + 1e-6
        up = model.batch_cost(X, Y)
        W[i, j] = keep - 1e-6
        down = model.batch_cost(X, Y)
        W[i, j] = keep
        assert shared["W1"][i, j] == pytest.approx((up - down) / 2e-6, abs=1e-8)


def test_shards_are_strided_and_cover_the_batch():
    rows = np.arange(10)
    parts = [distributed.shard(rows, r, 4) for r in range(4)]
    assert [list(p) for p in parts] == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]
    assert sorted(np.concatenate(parts)) == list(rows)


def test_apply_gradient_is_the_sgd_step():
    X, y = data("network-float64")
    one = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    two = Network([5, 7, 3], "sigmoid", "quadratic", dtype=np.float64, seed=1)
    Y = one.targets(y)
    one.step(X, Y, lr=0.5, l2=0.2, n=40)
    distributed.apply_gradient(two, two.gradient(X, Y), lr=0.5, l2=0.2, n=40)
    for name, p in one.parameters().items():
        np.testing.assert_allclose(two.parameters()[name], p, rtol=0, atol=1e-14)
