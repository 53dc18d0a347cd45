"""The course's models, one training step (forward, backward, optimizer) on chainrule and on
PyTorch: the makemore MLP (part 2, batch 32), the WaveNet hierarchy (part 5, batch 32) and the
GPT of "Let's build GPT" (batch 32, block 8, 32 channels, 4 heads, 2 blocks, AdamW).

The models are the programs of examples/course, loaded once per framework (the same file, the
import line swapped, as tests/course does). One thread for both (``torch.set_num_threads(1)``,
``OPENBLAS_NUM_THREADS=1``, set before numpy loads). Rounds alternate the frameworks (A B A B,
who goes first rotating); a round times ``--steps`` steps of each after one warm-up step; the
number is the median over rounds of the time per step, and the ratio is chainrule / PyTorch
(below 1: chainrule is faster). ``--profile MODEL`` instead prints where chainrule's time goes
(cProfile, the functions with the most time of their own). ``--prototype [NAME ...]`` patches
engine changes not (yet) in src/ into chainrule first (``PROTOTYPES``; checked to give the same
losses) and records the run in its own section: what each change would bring.

Run: python benchmarks/course_models.py --rounds 9 --steps 50
     python benchmarks/course_models.py --rounds 9 --steps 50 --prototype
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 - the thread counts above must be set before numpy loads
import cProfile  # noqa: E402
import math  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _report import write_section  # noqa: E402

import chainrule.tensor  # noqa: E402
from chainrule.tensor.core import mark_changed as _mark_changed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "course"
FRAMEWORKS = {"chainrule": chainrule.tensor, "torch": torch}
sys.path.insert(0, str(EXAMPLES))  # the programs import makemore_data from beside them


def program(name: str, framework: str) -> types.ModuleType:
    """examples/course/<name>.py with ``framework`` as its torch (tests/course/programs.py)."""
    source = (EXAMPLES / f"{name}.py").read_text()
    if framework == "torch":
        source = re.sub(r"^(import|from) chainrule\.tensor\b", r"\1 torch", source, flags=re.M)
    module = types.ModuleType(f"bench_{name}_{framework}")
    module.__file__ = str(EXAMPLES / f"{name}.py")
    sys.modules[module.__name__] = module
    exec(compile(source, str(EXAMPLES / f"{name}.py"), "exec"), module.__dict__)
    return module


def batches(high, shape, count=64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, high, shape) for _ in range(count)]


def mlp(framework):
    """makemore part 2: C (27, 10), 30 -> 200 tanh -> 27, SGD, batch 32."""
    t, m = FRAMEWORKS[framework], program("mlp", framework)
    parameters = m.init_parameters()
    data = [
        (t.tensor(x), t.tensor(y)) for x, y in zip(batches(27, (32, 3)), batches(27, 32, 64, 1))
    ]

    def step(i):
        X, Y = data[i % len(data)]
        return m.train(parameters, X, Y, 1, batches=[slice(None)])[0]

    return step


def wavenet(framework):
    """makemore part 5: embedding 24, three FlattenConsecutive(2) + Linear + BatchNorm1d + Tanh
    of 128, 27 logits; SGD, batch 32, 8 letters of context."""
    t, m = FRAMEWORKS[framework], program("wavenet", framework)
    model = m.build()
    data = [
        (t.tensor(x), t.tensor(y)) for x, y in zip(batches(27, (32, 8)), batches(27, 32, 64, 1))
    ]

    def step(i):
        X, Y = data[i % len(data)]
        return m.step(model, X, Y, 0.1).item()

    return step


def gpt(framework):
    """Let's build GPT: 65 symbols, batch 32, block 8, n_embd 32, 4 heads, 2 blocks, dropout
    0.2, AdamW lr 1e-3."""
    t, m = FRAMEWORKS[framework], program("gpt", framework)
    config = m.Config()
    model = m.GPTLanguageModel(config, 65)
    optimizer = t.optim.AdamW(model.parameters(), lr=config.learning_rate)
    data = [
        (t.tensor(x), t.tensor(y))
        for x, y in zip(batches(65, (32, 8)), batches(65, (32, 8), 64, 1))
    ]
    model.train()

    def step(i):
        xb, yb = data[i % len(data)]
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


MODELS = {"mlp": mlp, "wavenet": wavenet, "gpt": gpt}


# ---------------------------------------------------------------- prototypes (--prototype)
# Changes to chainrule's engine, tried here by monkeypatching, to measure what each would bring
# before anyone makes it in src/ (same_losses checks that they give the same losses, to 1e-6).


def _fold(A, g):
    """(..., K) and (..., N) as (rows, K) and (rows, N): one matrix product for all leading
    dimensions instead of a batched product and a sum."""
    return A.reshape(-1, A.shape[-1]), g.reshape(-1, g.shape[-1])


def _matmul_back_folded(g, out):
    """``(B, T, K) @ (K, N)``'s gradients as two plain matrix products: ``dA = G B^T`` on the
    rows of all leading dimensions, ``dB = A_rows^T G_rows`` (batched-then-summed before)."""
    a, b = out._inputs
    A, B = a._data, b._data
    if B.ndim != 2 or A.ndim < 3:
        return _ORIGINAL["matmul_back"](g, out)
    rows_a, rows_g = _fold(A, g)
    grad_a = (rows_g @ B.T).reshape(A.shape) if a.requires_grad else None
    grad_b = rows_a.T @ rows_g if b.requires_grad else None
    return grad_a, grad_b


def _getitem_back_onehot(g, out):
    """An embedding lookup's gradient (a 2-D table read by one integer array) as a one-hot
    matrix product ``onehot(V, n) @ G(n, D)`` instead of ``numpy.add.at``."""
    (index,) = out._saved
    table = out._inputs[0]._data
    if not (isinstance(index, np.ndarray) and index.dtype.kind in "iu" and table.ndim == 2):
        return _ORIGINAL["getitem_back"](g, out)
    flat = index.reshape(-1)
    onehot = np.zeros((table.shape[0], flat.size), dtype=table.dtype)
    onehot[flat, np.arange(flat.size)] = 1
    return (onehot @ g.reshape(flat.size, -1),)


def _adam_step_flat(self):
    """Adam/AdamW over all parameters at once: their gradients and values concatenated into
    one vector, the moments kept as one vector, ~10 numpy calls per step instead of ~10 per
    parameter (a real version would keep the parameters as views of one buffer)."""
    group = self.param_groups[0]
    params = [p for p in group["params"] if p._grad is not None]
    if len(self.param_groups) > 1 or len(params) != len(group["params"]):
        return _ORIGINAL["adam_step"](self)
    sizes = [p._data.size for p in params]
    flat = self.__dict__.get("_flat")
    if flat is None:
        dtype = params[0]._data.dtype
        zeros = np.zeros(sum(sizes), dtype=dtype)
        flat = self._flat = {"m": zeros, "v": zeros.copy(), "t": 0, "ends": np.cumsum(sizes)}
    b1, b2 = group["betas"]
    lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
    grad = np.concatenate([p._grad.reshape(-1) for p in params])
    data = np.concatenate([p._data.reshape(-1) for p in params])
    if wd and self.decoupled:
        data *= 1 - lr * wd
    elif wd:
        grad = grad + wd * data
    flat["t"] += 1
    m, v, t = flat["m"], flat["v"], flat["t"]
    m *= b1
    m += (1 - b1) * grad
    v *= b2
    v += (1 - b2) * grad * grad
    step = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    data -= step * m / (np.sqrt(v) + eps * math.sqrt(1 - b2**t))
    for p, end, size in zip(params, flat["ends"], sizes):
        p._data[...] = data[end - size : end].reshape(p._data.shape)
    _mark_changed(*params)


_ORIGINAL: dict = {}
PROTOTYPES = {
    "matmul": "3-D @ 2-D backward as plain matrix products (ops_shape._matmul_back)",
    "embedding": "an embedding lookup's backward as a one-hot product (ops_shape._getitem_back)",
    "adam": "Adam/AdamW on all parameters as one vector (optim.Adam.step)",
}


def same_losses(names, steps: int = 5) -> None:
    """Each model's first losses on chainrule, before and after patching in ``names``: equal."""
    before = {}
    for name, build in MODELS.items():
        chainrule.tensor.manual_seed(0)
        step = build("chainrule")
        before[name] = [step(i) for i in range(steps)]
    apply_prototypes(names)
    for name, build in MODELS.items():
        chainrule.tensor.manual_seed(0)
        step = build("chainrule")
        after = [step(i) for i in range(steps)]
        np.testing.assert_allclose(after, before[name], rtol=1e-6, err_msg=name)
        print(f"{name}: the prototypes give the same losses ({steps} steps)")


def apply_prototypes(names) -> None:
    """Monkeypatch chainrule with the prototypes ``names`` (keys of ``PROTOTYPES``)."""
    ops_shape, optim = chainrule.tensor.ops_shape, chainrule.tensor.optim
    if "matmul" in names:
        _ORIGINAL["matmul_back"] = ops_shape._matmul_back
        ops_shape._matmul_back = _matmul_back_folded
    if "embedding" in names:
        _ORIGINAL["getitem_back"] = ops_shape._getitem_back
        ops_shape._getitem_back = _getitem_back_onehot
    if "adam" in names:
        _ORIGINAL["adam_step"] = optim.Adam.step
        optim.Adam.step = _adam_step_flat


def per_step(step, steps: int) -> float:
    step(0)  # warm-up
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - start) / steps


def measure(models, rounds: int, steps: int) -> dict[str, dict[str, list[float]]]:
    steppers = {name: {f: MODELS[name](f) for f in FRAMEWORKS} for name in models}
    times = {name: {f: [] for f in FRAMEWORKS} for name in models}
    order = list(FRAMEWORKS)
    for r in range(rounds):
        for name in models:
            for f in order[r % 2 :] + order[: r % 2]:
                times[name][f].append(per_step(steppers[name][f], steps))
    return times


def profile(name: str, steps: int, top: int = 25) -> None:
    step = MODELS[name]("chainrule")
    step(0)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(steps):
        step(i)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--profile", choices=sorted(MODELS), help="profile chainrule's step")
    parser.add_argument(
        "--prototype",
        nargs="*",
        choices=sorted(PROTOTYPES),
        help="time chainrule with these engine changes patched in (none named: all)",
    )
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    title = "The course's models: a training step, chainrule vs PyTorch"
    if args.prototype is not None:
        chosen = args.prototype or list(PROTOTYPES)
        same_losses(chosen)
        title += ", with prototypes patched in: " + ", ".join(chosen)
    if args.profile:
        profile(args.profile, args.steps)
        return
    times = measure(args.models, args.rounds, args.steps)
    lines = [
        "| model | chainrule ms/step | PyTorch ms/step | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name in args.models:
        ours, theirs = (statistics.median(times[name][f]) for f in ("chainrule", "torch"))
        lines.append(f"| {name} | {ours * 1e3:.3f} | {theirs * 1e3:.3f} | {ours / theirs:.2f}x |")
    body = (
        "One training step (forward, backward, optimizer) of the course's models, "
        f"examples/course's code on each framework, one thread, medians of {args.rounds} "
        f"alternating rounds of {args.steps} steps; ratio = chainrule / PyTorch "
        "(<= 1.0x required, 0.8x the goal). Load average at the end of the run: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other programs shared the machine: "
        "both frameworks' times move with it, the ratio less).\n\n" + "\n".join(lines)
    )
    print(body)
    if not args.no_write:
        write_section(title, body)


if __name__ == "__main__":
    main()
