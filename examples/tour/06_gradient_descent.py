"""A loss compares outputs with the truth; gradient descent nudges every weight against its
gradient, and the loss falls.

The micrograd lecture's four samples and an MLP(3, [4, 4, 1]) of tanh neurons: the loss is the sum
of squared differences, each step sets p -= lr * p.grad for every parameter.
"""

from chainrule.scalar import MLP

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def main(out_dir=None, steps=20, lr=0.05):
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1)
    losses = []
    for k in range(steps):
        outputs = [model(x) for x in XS]
        loss = sum((out - y) ** 2 for out, y in zip(outputs, YS))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
        print(f"step {k:2d}  loss {loss.data:.6f}")
    final = [round(model(x).data, 3) for x in XS]
    print("outputs", final, "targets", YS)
    return {"losses": losses, "outputs": final}


if __name__ == "__main__":
    main()
