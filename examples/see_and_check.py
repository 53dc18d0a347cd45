"""See and check backprop: regenerate the README's pictures and worked examples.

    python examples/see_and_check.py [OUT]      (default OUT = docs)

Writes into OUT: the one-neuron chain explained (explain-chain.md), a gradient check table
(gradcheck.txt), a learning-rate sweep, the vanishing gradient of a deep sigmoid net, batch vs
mini-batch vs stochastic descent, the first layer's weights and misclassified digits of an MNIST
net (the bundled 8x8 digits where MNIST is not at hand), and the backward pass of the lecture's
neuron frame by frame (GIF and HTML). About half a minute on a laptop.
"""

import sys
from pathlib import Path

import numpy as np

from chainrule.check import gradcheck
from chainrule.data import digits, load
from chainrule.errors import DataError
from chainrule.experiments import compare_descent, learning_rate_sweep
from chainrule.explain import explain
from chainrule.files import atomic_write
from chainrule.network import Network
from chainrule.train import train
from chainrule.viz import (
    plot_descent,
    plot_grad_norms,
    plot_misclassified,
    plot_sweep,
    plot_weights,
    save_gif,
    save_html,
)
from chainrule.viz.animate import example

out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
small = digits(dtype=np.float64)
X, y = small.X_train, small.y_train

# 1. The chain rule for one weight of the one-neuron-per-layer chain: input -> hidden -> output.
chain = Network([1, 1, 1], "sigmoid", "quadratic", seed=3)
text = explain(chain, [1.5], [0.0], "W1[0,0]")
print(atomic_write(out / "explain-chain.md", text.markdown()))

# 2. Every gradient of a small network against central finite differences.
result = gradcheck(
    Network([64, 16, 10], "sigmoid", "cross_entropy", "scaled", seed=1), X[:8], y[:8]
)
print(atomic_write(out / "gradcheck.txt", str(result) + "\n"))

# 3. Too small crawls, too large diverges.
sweep = learning_rate_sweep(
    lambda: Network([64, 30, 10], "leaky_relu", "quadratic", "scaled", seed=1),
    X,
    y,
    rates=[0.003, 0.03, 0.3, 3.0],
    epochs=10,
)
print(plot_sweep(sweep, out / "sweep.png"), "diverged:", sweep.diverged)

# 4. The vanishing gradient: earlier layers of a deep sigmoid net learn far slower.
deep = Network([64, 30, 30, 30, 10], "sigmoid", "quadratic", "scaled", seed=1)
print(plot_grad_norms(train(deep, X, y, epochs=10, lr=0.5), out / "gradnorms.png"))

# 5. Batch, mini-batch and stochastic descent from the same start at the same rate.
runs = compare_descent(
    lambda: Network([64, 30, 10], "sigmoid", "cross_entropy", "scaled", seed=1), X, y, epochs=3
)
print(plot_descent(runs, out / "descent.png"))

# 6. An MNIST net's first-layer weights and its mistakes (the 8x8 digits without MNIST), trained
# with the book's chapter 3 settings: cross-entropy, scaled initial weights, L2 regularization.
try:
    data = load("mnist", download=False)
except DataError:
    data = digits()
net = Network([data.n_features, 30, 10], "sigmoid", "cross_entropy", "scaled", np.float32, seed=1)
train(net, data.X_train, data.y_train, epochs=3, lr=0.5, l2=5.0)
print(plot_weights(net, out / f"weights-{data.name}.png"))
print(plot_misclassified(net, data.X_test, data.y_test, out / f"misclassified-{data.name}.png"))

# 7. The backward pass of the lecture's neuron, one node per frame.
neuron = example("neuron")
print(save_gif(neuron, out / "backward.gif"))
print(save_html(neuron, out / "backward.html"))
