"""Gradients accumulate.

Within one backward pass that is the chain rule: in y = x*x + x, x is used three times and its
gradient 2x + 1 collects all three contributions. Across passes it is a trap: two training-style
backward passes on fresh graphs of the same loss, without zero_grad() between them, leave each
parameter with twice its gradient.
"""

from chainrule import Value
from chainrule.scalar import MLP


def main(out_dir=None):
    x = Value(3.0, "x")
    y = x * x + x
    y.backward()
    print(f"y = x*x + x at x = 3: dy/dx = {x.grad:g} (2x + 1 = {2 * 3 + 1})")

    model = MLP(2, [1], seed=0)  # one linear neuron: w1 x1 + w2 x2 + b

    def step():  # a fresh graph of the same loss, then backward
        loss = (model([1.0, 2.0]) - 1.0) ** 2
        loss.backward()
        return [p.grad for p in model.parameters()]

    model.zero_grad()
    once = step()
    twice = step()  # forgot zero_grad()
    model.zero_grad()
    again = step()  # remembered it
    print("gradient after one pass:          ", [round(g, 6) for g in once])
    print("after a second without zero_grad: ", [round(g, 6) for g in twice])
    print("after a second with zero_grad:    ", [round(g, 6) for g in again])
    return {"x_grad": x.grad, "once": once, "without_zero_grad": twice, "with_zero_grad": again}


if __name__ == "__main__":
    main()
