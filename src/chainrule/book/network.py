"""The book's first network (chapter 1): sigmoid neurons, the quadratic cost, stochastic gradient
descent. ``Network(sizes)``, then ``SGD(training_data, epochs, mini_batch_size, eta, test_data)``.

Randomness is the book's: the weights and biases start from ``np.random.randn`` (biases first,
then weights, as the book draws them) and each epoch shuffles the training list with
``random.shuffle``, so ``random.seed`` and ``np.random.seed`` give the book's run.
"""

from __future__ import annotations

import random

import numpy as np

from chainrule import functions
from chainrule.book._columns import ColumnNetwork, check_sgd

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


def sigmoid(z):
    """``1 / (1 + e^{-z})``, elementwise."""
    return functions.sigmoid.forward(z)


def sigmoid_prime(z):
    """``sigma'(z) = sigma(z) (1 - sigma(z))``, elementwise."""
    return functions.sigmoid.derivative(z, sigmoid(z))


class Network(ColumnNetwork):
    """``Network([784, 30, 10])``: layers of sigmoid neurons trained on the quadratic cost
    ``C_x = ||y - a^L||^2 / 2``. ``form="per-sample"`` runs the book's loop over each mini-batch
    instead of the matrix form (the same numbers, slower)."""

    def __init__(self, sizes, form: str = "matrix"):
        super().__init__(sizes, "quadratic", form)
        self.large_weight_initializer()

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        """Mini-batch stochastic gradient descent: each epoch shuffles ``training_data`` (a list of
        ``(x, y)`` columns), cuts it into mini-batches of ``mini_batch_size`` and takes one step of
        size ``eta`` on each. With ``test_data`` each epoch prints how many test digits are
        right ("Epoch 0: 9129 / 10000"), else "Epoch 0 complete"."""
        training_data = list(training_data)
        n = len(training_data)
        check_sgd(n, epochs, mini_batch_size, eta)
        if test_data:
            test_data = list(test_data)
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k : k + mini_batch_size], eta)
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {len(test_data)}")
            else:
                print(f"Epoch {j} complete")

    def update_mini_batch(self, mini_batch, eta):
        """One gradient-descent step on ``mini_batch``: ``w -> w - (eta/m) sum_x nabla_w C_x`` and
        ``b -> b - (eta/m) sum_x nabla_b C_x``, ``m`` its size."""
        self.step(mini_batch, eta)

    def evaluate(self, test_data) -> int:
        """How many ``(x, digit)`` pairs of ``test_data`` the network gets right (its answer is
        the output neuron with the highest activation)."""
        got, wanted = self.predictions(test_data, "test_data")
        return int(np.sum(got == wanted))

    def cost_derivative(self, output_activations, y):
        """``dC_x/da = a - y`` for the quadratic cost."""
        return functions.quadratic.derivative(output_activations, y)
