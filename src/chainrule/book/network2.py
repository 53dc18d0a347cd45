"""The book's improved network (chapter 3): a choice of cost (cross-entropy by default), L2
regularization, weights started at N(0, 1/n_in), monitoring, and saving to JSON.

``Network(sizes, cost=CrossEntropyCost)``, then ``SGD(training_data, epochs, mini_batch_size,
eta, lmbda=0.0, evaluation_data=None, monitor_evaluation_cost=False, ...)``, which returns the
four lists it monitored. Randomness is the book's (``np.random.randn``, ``random.shuffle``).
"""

from __future__ import annotations

import json
import random

import numpy as np

from chainrule import functions
from chainrule.book._columns import ColumnNetwork, check_sgd, stack
from chainrule.book.mnist_loader import vectorized_result
from chainrule.errors import InputError

__all__ = ["CrossEntropyCost", "Network", "QuadraticCost", "load", "vectorized_result"]


class QuadraticCost:
    """``C_x = ||a - y||^2 / 2``; its output error (BP1) ``delta = (a - y) sigma'(z)``."""

    engine_cost = "quadratic"  # the same cost in chainrule.functions, which the engine uses

    @staticmethod
    def fn(a, y) -> float:
        """The cost of output ``a`` for target ``y`` (summed over every entry given)."""
        return float(np.sum(functions.quadratic.fn(a, y)))

    @staticmethod
    def delta(z, a, y):
        """BP1: ``delta^L = (a - y) (.) sigma'(z)``."""
        return functions.quadratic.derivative(a, y) * functions.sigmoid.derivative(z, a)


class CrossEntropyCost:
    """``C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``; its output error is ``a - y`` (the
    sigmoid's ``sigma'(z)`` cancels, so learning does not slow down when a neuron saturates)."""

    engine_cost = "cross_entropy"

    @staticmethod
    def fn(a, y) -> float:
        """The cost, finite where ``a`` is 0 or 1 (as the book's ``nan_to_num`` keeps it)."""
        return float(np.sum(functions.cross_entropy.fn(a, y)))

    @staticmethod
    def delta(z, a, y):
        """BP1: ``delta^L = a - y``: ``dC/da = (a - y) / (a (1 - a))`` times ``sigma'(z) =
        a (1 - a)``, simplified (so exact where ``a`` is 0 or 1)."""
        return a - y


COSTS = {c.__name__: c for c in (QuadraticCost, CrossEntropyCost)}


class Network(ColumnNetwork):
    """``Network([784, 30, 10], cost=CrossEntropyCost)``: sigmoid neurons trained on ``cost``,
    weights started by :meth:`default_weight_initializer`. ``form="per-sample"`` runs the
    book's loop over each mini-batch instead of the matrix form."""

    def __init__(self, sizes, cost=CrossEntropyCost, form: str = "matrix"):
        if getattr(cost, "engine_cost", None) not in ("quadratic", "cross_entropy"):
            raise InputError(
                f"unknown cost {cost!r}: use network2.QuadraticCost or network2.CrossEntropyCost "
                "(or a subclass of one, keeping its engine_cost)."
            )
        super().__init__(sizes, cost.engine_cost, form)
        self.cost = cost
        self.default_weight_initializer()

    def default_weight_initializer(self) -> None:
        """Weights from N(0, 1/n_in), so each ``z`` starts of order 1 and neurons do not start
        saturated; biases from N(0, 1). Drawn with ``np.random.randn`` in the book's order."""
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [
            np.random.randn(y, x) / np.sqrt(x) for x, y in zip(self.sizes[:-1], self.sizes[1:])
        ]

    def SGD(
        self,
        training_data,
        epochs,
        mini_batch_size,
        eta,
        lmbda=0.0,
        evaluation_data=None,
        monitor_evaluation_cost=False,
        monitor_evaluation_accuracy=False,
        monitor_training_cost=False,
        monitor_training_accuracy=False,
        early_stopping_n=0,
    ):
        """Mini-batch stochastic gradient descent with L2 regularization ``lmbda`` (the update
        ``w -> (1 - eta lmbda / n) w - (eta/m) sum_x nabla_w C_x``, ``n`` the training-set size).

        After each epoch it prints and records what the ``monitor_*`` flags ask for, on the
        training data and on ``evaluation_data``; with ``early_stopping_n > 0`` it stops once the
        evaluation accuracy has not improved for that many epochs. Returns ``(evaluation_cost,
        evaluation_accuracy, training_cost, training_accuracy)``, one entry per epoch each."""
        training_data = list(training_data)
        n = len(training_data)
        check_sgd(n, epochs, mini_batch_size, eta, lmbda)
        if (monitor_evaluation_cost or monitor_evaluation_accuracy) and not evaluation_data:
            raise InputError("monitoring the evaluation data needs evaluation_data; give it.")
        if evaluation_data:
            evaluation_data = list(evaluation_data)
        evaluation_cost, evaluation_accuracy = [], []
        training_cost, training_accuracy = [], []
        best, stale = 0, 0
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k : k + mini_batch_size], eta, lmbda, n)
            print(f"Epoch {j} training complete")
            if monitor_training_cost:
                training_cost.append(self.total_cost(training_data, lmbda))
                print(f"Cost on training data: {training_cost[-1]}")
            if monitor_training_accuracy:
                training_accuracy.append(self.accuracy(training_data, convert=True))
                print(f"Accuracy on training data: {training_accuracy[-1]} / {n}")
            if monitor_evaluation_cost:
                evaluation_cost.append(self.total_cost(evaluation_data, lmbda, convert=True))
                print(f"Cost on evaluation data: {evaluation_cost[-1]}")
            if monitor_evaluation_accuracy or early_stopping_n > 0:
                accuracy = self.accuracy(evaluation_data)
                if monitor_evaluation_accuracy:
                    evaluation_accuracy.append(accuracy)
                    print(f"Accuracy on evaluation data: {accuracy} / {len(evaluation_data)}")
                best, stale = (accuracy, 0) if accuracy > best else (best, stale + 1)
            print()
            if early_stopping_n > 0 and stale == early_stopping_n:
                break
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        """One step on ``mini_batch`` with weight decay: ``w -> (1 - eta lmbda / n) w - (eta/m)
        sum_x nabla_w C_x``, ``b -> b - (eta/m) sum_x nabla_b C_x``."""
        self.step(mini_batch, eta, lmbda, n)

    def accuracy(self, data, convert=False) -> int:
        """How many samples of ``data`` the network gets right. The book passes ``convert=True``
        for training data (targets are ``(10, 1)`` columns); here the targets' shape says it."""
        got, wanted = self.predictions(data)
        return int(np.sum(got == wanted))

    def total_cost(self, data, lmbda, convert=False) -> float:
        """``(1/N) sum_x C_x + (lmbda / 2N) sum_w w^2`` over the ``N`` samples of ``data``. The
        book passes ``convert=True`` for data whose targets are digits; here their shape says it."""
        X, Y = stack(data, self.sizes)
        Y = self.targets(Y)
        cost = self.cost.fn(self.engine.feedforward(X), Y) / len(data)
        return float(cost + 0.5 * (lmbda / len(data)) * sum(np.sum(w**2) for w in self.weights))

    def save(self, filename) -> None:
        """Write the network to ``filename`` as the book's JSON: ``sizes``, ``weights``,
        ``biases`` (nested lists, biases as columns) and the name of ``cost``."""
        data = {
            "sizes": self.sizes,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": self.cost.__name__,
        }
        with open(filename, "w") as f:
            json.dump(data, f)


def load(filename) -> Network:
    """The network saved in ``filename`` by :meth:`Network.save` (the book's JSON format); one
    sentence when the file is missing, not JSON, or not a network2 file."""
    try:
        with open(filename, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise InputError(
            f"cannot read {filename} ({e.strerror or e}); give the path of a file that "
            "network2's save() wrote."
        ) from None
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError
        raise InputError(
            f"{filename} is not JSON; network2.load reads the files network2's save() writes."
        ) from None
    if not isinstance(data, dict) or not {"sizes", "weights", "biases", "cost"} <= set(data):
        raise InputError(
            f"{filename} is not a network2 file: it needs sizes, weights, biases and cost."
        )
    if data["cost"] not in COSTS:
        raise InputError(
            f"{filename} names the cost {data.get('cost')!r}; a network2 file names one of "
            f"{', '.join(COSTS)}."
        )
    try:
        net = Network(data["sizes"], cost=COSTS[data["cost"]])
        net.weights = data["weights"]
        net.biases = data["biases"]
    except InputError as e:
        raise InputError(f"{filename} holds a damaged network: {e}") from None
    return net
