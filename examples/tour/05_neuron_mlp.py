"""A neuron is activation(w . x + b); layers of neurons make an MLP.

A chainrule.scalar Neuron's output equals tanh(w . x + b) computed by hand from its own weights; a
Layer is neurons that see the same inputs; an MLP feeds each layer's outputs to the next.
"""

import math
import random

from chainrule.scalar import MLP
from chainrule.scalar.nn import Layer, Neuron


def main(out_dir=None):
    x = [2.0, -1.0, 0.5]
    n = Neuron(3, activation="tanh", rng=random.Random(0))
    w, b = [wi.data for wi in n.w], n.b.data
    by_hand = math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + b)
    print(f"neuron: tanh(w . x + b) by hand {by_hand:.12f}, Neuron(x) {n(x).data:.12f}")

    layer = Layer(3, 4, activation="tanh", rng=random.Random(1))
    layer_out = [v.data for v in layer(x)]
    one_by_one = [neuron(x).data for neuron in layer.neurons]
    print("layer of 4: outputs", [round(v, 4) for v in layer_out], "= each neuron on its own")

    mlp = MLP(3, [4, 4, 1], activation="tanh", seed=0)
    h = x
    for lay in mlp.layers:  # the MLP is its layers, one after the other
        h = lay(h)
    print(mlp)
    print(
        f"MLP(3, [4, 4, 1]): {len(mlp.parameters())} parameters (3*4+4 + 4*4+4 + 4*1+1 = 41),"
        f" output {mlp(x).data:.6f}"
    )
    return {
        "neuron": n(x).data,
        "by_hand": by_hand,
        "layer": layer_out,
        "one_by_one": one_by_one,
        "mlp": mlp(x).data,
        "layer_by_layer": h.data,
        "n_parameters": len(mlp.parameters()),
    }


if __name__ == "__main__":
    main()
