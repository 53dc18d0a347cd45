"""The Tensor engine on MNIST: an MLP built from chainrule.nn modules, trained with Adam, must reach
98% test accuracy within 10 epochs. Records the accuracy per epoch and the training time.

Run: python benchmarks/tensor_mnist.py   (the same run: chainrule train mnist --engine tensor
--optimizer adam --layers 784 256 10 --activation relu --cost log_likelihood --init he
--lr 0.001 --batch-size 64 --epochs 10)
"""

from __future__ import annotations

import numpy as np
from _report import write_section

from chainrule.data import load
from chainrule.models import TensorNetwork
from chainrule.train import train


def main():
    data = load("mnist")
    net = TensorNetwork(
        [784, 256, 10],
        "relu",
        "log_likelihood",
        "he",
        np.float32,
        seed=1,
        optimizer="adam",
        lr=1e-3,
    )
    history = train(
        net,
        data.X_train,
        data.y_train,
        epochs=10,
        batch_size=64,
        lr=1e-3,
        test=(data.X_test, data.y_test),
        seed=1,
    )
    accuracy = history.column("test_accuracy")
    seconds = sum(history.column("epoch_seconds"))
    for e in history.epochs:
        print(f"epoch {e.epoch:2d}  test {e.test_accuracy:.2%}  {e.epoch_seconds:.2f}s")
    best = max(accuracy)
    body = (
        "`MLP([784, 256, 10])`, relu, logits + `cross_entropy`, He init, Adam lr 1e-3, batch 64, "
        "float32, 10 epochs on the 50,000 training images.\n\n"
        "| epoch | " + " | ".join(str(e) for e in range(1, 11)) + " |\n"
        "| --- |" + " --- |" * 10 + "\n"
        "| test accuracy | " + " | ".join(f"{a:.2%}" for a in accuracy) + " |\n\n"
        f"- best test accuracy {best:.2%} (target >= 98% within 10 epochs: "
        f"{'met' if best >= 0.98 else 'NOT met'}); final {accuracy[-1]:.2%}\n"
        f"- training time {seconds:.1f} s for 10 epochs (evaluation excluded)"
    )
    write_section("Tensor engine: MNIST with Adam", body)


if __name__ == "__main__":
    main()
