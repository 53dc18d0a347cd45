"""XOR: no single neuron can solve it; a 2-2-1 network learns it.

One sigmoid neuron draws one straight line through the plane, and no line puts (0,1) and (1,0) on
one side and (0,0) and (1,1) on the other: it gets at most 3 of the 4 right. One hidden layer of
two neurons bends the boundary. (A 2-2-1 network can stall in a poor start: over ten seeds it
learns XOR from most of them, not all, and the count is printed.)
"""

import numpy as np

from chainrule import Network
from chainrule.data import xor
from chainrule.train import train


def fit(sizes, seed):
    data = xor(dtype=np.float64)
    net = Network(sizes, "sigmoid", "quadratic", seed=seed)
    train(net, data.X_train, data.y_train, epochs=2000, batch_size=4, lr=3.0)
    return net, float(np.mean(net.predict(data.X_test) == data.y_test))


def main(out_dir=None):
    one, one_accuracy = fit([2, 1], seed=1)
    net, accuracy = fit([2, 2, 1], seed=1)
    X = xor(dtype=np.float64).X_test
    for x, a1, a2 in zip(X, one.feedforward(X)[:, 0], net.feedforward(X)[:, 0]):
        print(f"x = {x}: one neuron {a1:.3f}, 2-2-1 network {a2:.3f}")
    print(f"accuracy: one neuron {one_accuracy:.2f}, 2-2-1 network {accuracy:.2f}")
    learned = [seed for seed in range(10) if fit([2, 2, 1], seed)[1] == 1.0]
    print(f"2-2-1 learns XOR from {len(learned)} of 10 seeds (seeds {learned})")
    return {"one_neuron": one_accuracy, "two_two_one": accuracy, "seeds_learned": learned}


if __name__ == "__main__":
    main()
