"""``chainrule demo``: the micrograd lecture's demo, an ``MLP(2, [16, 16, 1])`` of Values trained
on moons, then the graph of one trained neuron with its gradients (a neuron and a moons point
for which its ReLU is on, so that every gradient in the picture is non-zero)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from tqdm import tqdm

from chainrule.cli.common import natural_int, positive_int
from chainrule.errors import InputError
from chainrule.scalar.demo import lit_neuron, moons, train_moons
from chainrule.scalar.engine import Value
from chainrule.viz.graph import GraphvizMissing, render


def run(args) -> int:
    """Train micrograd's moons MLP and draw one neuron's graph; exit 0."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the neuron's graph.")
    bar = tqdm(
        total=args.steps, desc="moons MLP(2, [16, 16, 1])", unit="step", file=sys.stderr,
        disable=not sys.stderr.isatty(),  # a bar only on a terminal, not in a log
    )  # fmt: skip

    def show(k, loss, accuracy):
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}")
        if (k + 1) % 10 == 0 or k == 0:
            tqdm.write(f"step {k + 1:3d}  loss {loss:.4f}  accuracy {accuracy:.0%}")

    model, history = train_moons(steps=args.steps, seed=args.seed, callback=show)
    bar.close()
    loss, accuracy = history[-1]
    print(f"done: {args.steps} steps, loss {loss:.4f}, training accuracy {accuracy:.0%}")

    # The graph of one neuron of the trained net, on one input, with its gradients filled in:
    # a neuron whose ReLU is on for that input, or the picture would show only zeros.
    neuron, row = lit_neuron(model, moons()[0]) or (model.layers[0].neurons[0], [0.5, -0.25])
    for i, w in enumerate(neuron.w):
        w.label = f"w{i + 1}"
    neuron.b.label = "b"
    x = [Value(v, label=f"x{i + 1}") for i, v in enumerate(row)]
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
        "demo", parents=[common], help="train the micrograd demo MLP on moons (scalar engine)",
        description="The micrograd lecture's demo on chainrule's scalar engine: an MLP(2, [16, "
        "16, 1]) of Values learns the two moons with the max-margin loss (a line every 10 "
        "steps), then one trained neuron's graph is drawn with the data and gradient of every "
        "node (SVG with Graphviz's dot, else DOT text).",
    )  # fmt: skip
    demo.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default 100)"
    )
    demo.add_argument(
        "--seed", type=natural_int, default=1337, help="seed for the weights (default 1337)"
    )
    demo.add_argument(
        "--out", default="runs/demo", help="folder for the neuron graph (default runs/demo)"
    )
    demo.set_defaults(run=run)
