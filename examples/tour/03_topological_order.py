"""Why a topological order: a node may pass its gradient on only once that gradient is complete.

The same rule, input.grad += node.grad * local derivative, applied to every node of
L = (a*b + c) * f in the sorted order reversed (outputs first) gives backward()'s gradients.
Applied in the sorted order itself (inputs first), each node passes on a gradient of 0 before its
own has arrived, and a, b and c are left with 0.
"""

from chainrule.scalar.engine import topological_order
from chainrule.viz.animate import example


def walk(order, root):
    """Seed dL/dL = 1, then visit ``order`` applying the chain rule at each node. The local
    derivatives are the ones each Value stored when it was made (_da, _db)."""
    for v in order:
        v.grad = 0.0
    root.grad = 1.0
    for node in order:
        if node._a is not None:
            node._a.grad += node.grad * node._da
        if node._b is not None:
            node._b.grad += node.grad * node._db
    return {v.label: v.grad for v in order if not v.op}


def main(out_dir=None):
    L = example("lecture")  # L = (a*b + c) * f
    order = topological_order(L)  # inputs first, L last
    print("sorted order:", " ".join(v.label for v in order))
    wrong = walk(order, L)
    right = walk(order[::-1], L)
    for v in order:
        v.grad = 0.0
    L.backward()
    engine = {v.label: v.grad for v in order if not v.op}
    for name in "abcf":
        print(
            f"dL/d{name}: inputs first {wrong[name]:5g}   outputs first {right[name]:5g}"
            f"   backward() {engine[name]:5g}"
        )
    return {"wrong": wrong, "right": right, "backward": engine}


if __name__ == "__main__":
    main()
