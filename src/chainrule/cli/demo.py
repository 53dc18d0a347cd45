"""``chainrule demo``: the micrograd lecture's demo, an ``MLP(2, [16, 16, 1])`` of Values trained
on moons, then the graph of one trained neuron with its gradients."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from tqdm import tqdm

from chainrule.cli.common import natural_int, positive_int
from chainrule.errors import InputError
from chainrule.scalar.demo import train_moons
from chainrule.scalar.engine import Value
from chainrule.viz.graph import GraphvizMissing, render


def run(args) -> int:
    """Train micrograd's moons MLP and draw one neuron's graph; exit 0."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the neuron's graph.")
    bar = tqdm(total=args.steps, desc="moons MLP(2, [16, 16, 1])", unit="step", file=sys.stderr)

    def show(k, loss, accuracy):
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}")
        if (k + 1) % 10 == 0 or k == 0:
            tqdm.write(f"step {k + 1:3d}  loss {loss:.4f}  accuracy {accuracy:.0%}")

    model, history = train_moons(steps=args.steps, seed=args.seed, callback=show)
    bar.close()
    loss, accuracy = history[-1]
    print(f"done: {args.steps} steps, loss {loss:.4f}, training accuracy {accuracy:.0%}")

    # The graph of one neuron of the trained net, on one input, with its gradients filled in.
    neuron = model.layers[0].neurons[0]
    for i, w in enumerate(neuron.w):
        w.label = f"w{i + 1}"
    neuron.b.label = "b"
    x = [Value(0.5, label="x1"), Value(-0.25, label="x2")]
    neuron_out = neuron(x)
    neuron_out.label = "out"
    model.zero_grad()
    neuron_out.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GraphvizMissing)
        path = render(neuron_out, out / "neuron.svg")
    print(f"graph of one neuron written to {path}")
    for w in caught:
        print(str(w.message))
    return 0


def add_parser(commands, common) -> None:
    """Register ``chainrule demo [--steps N] [--seed S] [--out DIR]``."""
    demo = commands.add_parser(
        "demo", parents=[common], help="train the micrograd demo MLP on moons (scalar engine)"
    )
    demo.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default 100)"
    )
    demo.add_argument("--seed", type=natural_int, default=1337, help="seed for the weights")
    demo.add_argument("--out", default="runs/demo", help="folder for the neuron graph")
    demo.set_defaults(run=run)
