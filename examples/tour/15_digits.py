"""Handwritten digits: a [n, 30, 10] network trained by mini-batch descent recognises them.

MNIST (28x28) when CHAINRULE_DATA (or the cache) holds it, else scikit-learn's bundled 8x8 digits;
the book's chapter 1 settings (sigmoid, quadratic cost, batch 10, lr 3.0) for two epochs of
MNIST or thirty of the small digits (a tenth of a second either way). Then the
test accuracy, and a grid of the test digits it gets wrong.
"""

from pathlib import Path

import numpy as np

from chainrule import Network
from chainrule.data import digits, load
from chainrule.errors import DataError
from chainrule.train import train
from chainrule.viz import plot_misclassified

OUT = Path(__file__).resolve().parents[2] / "docs" / "tour"


def main(out_dir=None):
    try:
        data = load("mnist", download=False)
    except DataError:
        data = digits()
    epochs = 2 if data.name == "mnist" else 30
    net = Network([data.n_features, 30, 10], "sigmoid", "quadratic", dtype=np.float32, seed=1)
    history = train(
        net,
        data.X_train,
        data.y_train,
        epochs=epochs,
        batch_size=10,
        lr=3.0,
        test=(data.X_test, data.y_test),
    )
    for e in history.epochs[:: max(1, epochs // 3)] + history.epochs[-1:]:
        print(
            f"{data.name} epoch {e.epoch}: test accuracy {e.test_accuracy:.2%} "
            f"({e.epoch_seconds:.2f}s)"
        )
    wrong = int(np.sum(net.predict(data.X_test) != data.y_test))
    print(f"{wrong} of {len(data.y_test)} test digits misclassified")
    picture = plot_misclassified(
        net, data.X_test, data.y_test, Path(out_dir or OUT) / f"15_misclassified_{data.name}.png"
    )
    return {
        "dataset": data.name,
        "test_accuracy": history.epochs[-1].test_accuracy,
        "misclassified": wrong,
        "test_size": len(data.y_test),
        "pictures": [picture],
    }


if __name__ == "__main__":
    main()
