"""The book's algorithm (network.py / network2.py, chapters 1 and 3), typed again from the maths
as the independent judge of chainrule.book: one sample at a time, column vectors, plain numpy."""

import random

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Book:
    """network.py / network2.py's algorithm, re-typed: per-sample backprop on columns, then
    ``w -> (1 - eta lmbda/n) w - (eta/m) sum nabla_w``; the cross-entropy's delta is ``a - y``."""

    def __init__(self, biases, weights, cross_entropy=False):
        self.biases = [b.copy() for b in biases]
        self.weights = [w.copy() for w in weights]
        self.cross_entropy = cross_entropy

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, x, y):
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        a = activations[-1]
        delta = (a - y) if self.cross_entropy else (a - y) * a * (1 - a)
        nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
        for l in range(2, len(self.weights) + 1):
            s = activations[-l]
            delta = (self.weights[-l + 1].T @ delta) * s * (1 - s)
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-l - 1].T)
        return nabla_b, nabla_w

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0):
        training_data = list(training_data)
        n = len(training_data)
        for _ in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                batch = training_data[k : k + mini_batch_size]
                sums = [self.backprop(x, y) for x, y in batch]
                m = len(batch)
                for i in range(len(self.weights)):
                    nb = sum(s[0][i] for s in sums)
                    nw = sum(s[1][i] for s in sums)
                    self.weights[i] = (1 - eta * lmbda / n) * self.weights[i] - (eta / m) * nw
                    self.biases[i] = self.biases[i] - (eta / m) * nb
