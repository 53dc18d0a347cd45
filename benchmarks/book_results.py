"""The book's MNIST results, reproduced with chainrule's Network (Nielsen, chapters 1 and 3).

* ch. 1: [784, 30, 10], sigmoid, quadratic cost, N(0, 1) init, 30 epochs, batch 10, eta 3.0
  (the book: 95.42% best);
* ch. 3: [784, 100, 10], sigmoid, cross-entropy, N(0, 1/n_in) init, L2 lambda 5.0, eta 0.1,
  60 epochs, batch 10 (the book: 98.04%, measured on the validation data).

Trained on the first 50,000 training images; after each epoch both the 10,000 validation images
(as the book measures) and the 10,000 test images are scored. Best accuracy over the epochs and
the training time (evaluation excluded) are recorded, per seed.

Run: python benchmarks/book_results.py [--seeds 1 2 3]   (needs MNIST in $CHAINRULE_DATA/mnist)
"""

from __future__ import annotations

import argparse

import numpy as np
from _report import write_section

from chainrule.data import load
from chainrule.network import Network
from chainrule.train import train

RECIPES = {
    "ch1 [784, 30, 10] quadratic, eta 3.0, 30 epochs (book: 95.42%)": dict(
        net=dict(sizes=[784, 30, 10], activation="sigmoid", cost="quadratic", init="normal"),
        fit=dict(epochs=30, batch_size=10, lr=3.0, l2=0.0),
    ),
    "ch3 [784, 100, 10] cross-entropy, l2 5.0, eta 0.1, 60 epochs (book: 98.04%)": dict(
        net=dict(sizes=[784, 100, 10], activation="sigmoid", cost="cross_entropy", init="scaled"),
        fit=dict(epochs=60, batch_size=10, lr=0.1, l2=5.0),
    ),
}


def run(recipe, data, seed):
    net = Network(**recipe["net"], dtype=np.float32, seed=seed)
    test_accuracy = []
    history = train(
        net,
        data.X_train,
        data.y_train,
        test=(data.X_val, data.y_val),
        seed=seed,
        callbacks=[lambda e: test_accuracy.append(net.evaluate(data.X_test, data.y_test)[1])],
        **recipe["fit"],
    )
    return history.best(), max(test_accuracy), sum(history.column("epoch_seconds"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = load("mnist")
    lines = [
        "| recipe | seed | best validation accuracy | best test accuracy | training time (s) |",
        "| --- | --- | --- | --- | --- |",
    ]
    summary = {name: [] for name in RECIPES}
    for name, recipe in RECIPES.items():
        for seed in args.seeds:
            val, test, seconds = run(recipe, data, seed)
            summary[name].append((val, test))
            line = f"| {name} | {seed} | {val:.2%} | {test:.2%} | {seconds:.1f} |"
            print(line, flush=True)
            lines.append(line)
    lines += [
        "",
        "The same runs from the command line (`--seed N`; they score the test set each epoch):",
        "",
        "    chainrule train mnist --layers 784 30 10 --activation sigmoid --cost quadratic "
        "--init normal --epochs 30 --batch-size 10 --lr 3.0",
        "    chainrule train mnist --layers 784 100 10 --activation sigmoid --cost cross_entropy "
        "--init scaled --l2 5.0 --epochs 60 --batch-size 10 --lr 0.1",
        "",
        "Nielsen reports 95.42% (ch. 1) and 98.04% (ch. 3, on the validation data). Best over the "
        "epochs, per recipe (mean and range over the seeds above):",
        "",
    ]
    for name, scores in summary.items():
        val, test = np.array(scores).T
        lines.append(
            f"- {name.split(' (')[0]}: validation {val.mean():.2%} "
            f"({val.min():.2%}-{val.max():.2%}), test {test.mean():.2%} "
            f"({test.min():.2%}-{test.max():.2%})"
        )
    if not args.no_write:
        write_section("Network: the book's MNIST results", "\n".join(lines))


if __name__ == "__main__":
    main()
