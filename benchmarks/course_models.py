"""The course's models, one training step (forward, backward, optimizer) on chainrule and on
PyTorch: the makemore MLP (part 2, batch 32), the WaveNet hierarchy (part 5, batch 32) and the
GPT of "Let's build GPT" (batch 32, block 8, 32 channels, 4 heads, 2 blocks, AdamW).

The models are the programs of examples/course, loaded once per framework (the same file, the
import line swapped, as tests/course does). One thread for both (``torch.set_num_threads(1)``,
``OPENBLAS_NUM_THREADS=1``, set before numpy loads). Rounds alternate the frameworks (A B A B,
who goes first rotating); a round times ``--steps`` steps of each after one warm-up step; the
number is the median over rounds of the time per step, and the ratio is chainrule / PyTorch
(below 1: chainrule is faster). ``--profile MODEL`` instead prints where chainrule's time goes
(cProfile, the functions with the most time of their own).

Run: python benchmarks/course_models.py --rounds 9 --steps 50
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 - the thread counts above must be set before numpy loads
import cProfile  # noqa: E402
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
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
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
        "(<= 1.0x required, 0.8x the goal).\n\n" + "\n".join(lines)
    )
    print(body)
    if not args.no_write:
        write_section("The course's models: a training step, chainrule vs PyTorch", body)


if __name__ == "__main__":
    main()
