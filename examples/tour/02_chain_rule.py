"""The chain rule through the graph: dL/dc = dL/dd * dd/dc.

With d = e + c and L = d * f, the local derivatives are dL/dd = f and dd/dc = 1, so dL/dc = f.
Going one step further back, dL/da = dL/dd * dd/de * de/da = f * 1 * b. Computed by hand, these
are the numbers backward() finds.
"""

from chainrule import Value


def main(out_dir=None):
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    L.backward()

    dL_dd = f.data  # L = d * f
    dd_dc = 1.0  # d = e + c
    dd_de = 1.0
    de_da = b.data  # e = a * b
    by_hand = {"c": dL_dd * dd_dc, "a": dL_dd * dd_de * de_da, "d": dL_dd}
    engine = {"c": c.grad, "a": a.grad, "d": d.grad}
    print(
        f"dL/dc = dL/dd * dd/dc = {dL_dd:g} * {dd_dc:g} = {by_hand['c']:g}   backward(): {c.grad:g}"
    )
    print(
        f"dL/da = dL/dd * dd/de * de/da = {dL_dd:g} * {dd_de:g} * {de_da:g} = {by_hand['a']:g}"
        f"   backward(): {a.grad:g}"
    )
    return {"by_hand": by_hand, "backward": engine}


if __name__ == "__main__":
    main()
