"""The Value engine: every op against central finite differences, random expression graphs against
HIPS autograd, accumulation, deep graphs, higher-order gradients and bad input."""

import ast
import math
import sys
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from autograd import hessian
from conftest import central_difference
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.scalar
from chainrule import Value
from chainrule.errors import InputError, InputTypeError
from chainrule.scalar import topological_order

# Each case: a function of two Values (or numbers) and a point where it is smooth.
BINARY = {
    "add": (lambda a, b: a + b, (0.7, -1.3)),
    "sub": (lambda a, b: a - b, (0.7, -1.3)),
    "mul": (lambda a, b: a * b, (0.7, -1.3)),
    "div": (lambda a, b: a / b, (0.7, -1.3)),
    "pow_value": (lambda a, b: a**b, (1.7, -1.3)),
    "radd": (lambda a, b: 2.5 + a * b, (0.7, -1.3)),
    "rsub": (lambda a, b: 1 - a * b, (0.7, -1.3)),
    "rmul": (lambda a, b: 3 * a + b * 0.5, (0.7, -1.3)),
    "rdiv": (lambda a, b: 1 / (a * b), (0.7, -1.3)),
    "rpow": (lambda a, b: 2.0**a + b, (0.7, -1.3)),
    "neg": (lambda a, b: -a * b, (0.7, -1.3)),
    "pow_number": (lambda a, b: a**3 + b**-2 + (a * a) ** 0.5, (0.7, -1.3)),
    "exp": (lambda a, b: (a * b).exp(), (0.7, -1.3)),
    "log": (lambda a, b: (a * a + b).log(), (0.7, 1.3)),
    "tanh": (lambda a, b: (a * b).tanh(), (0.7, -1.3)),
    "sigmoid": (lambda a, b: (a - b).sigmoid(), (0.7, -1.3)),
    "relu": (lambda a, b: (a + b).relu() + (a - b).relu(), (0.7, -1.3)),
    "leaky_relu": (lambda a, b: (a + b).leaky_relu() * 2, (0.7, -1.3)),
    "softplus": (lambda a, b: (a * b).apply("softplus"), (0.7, -1.3)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_each_op_gradient_matches_central_differences(name):
    f, (x0, y0) = BINARY[name]
    a, b = Value(x0), Value(y0)
    out = f(a, b)
    out.backward()
    da = central_difference(lambda t: f(Value(t), Value(y0)).data, x0)
    db = central_difference(lambda t: f(Value(x0), Value(t)).data, y0)
    assert a.grad == pytest.approx(da, rel=1e-6)
    assert b.grad == pytest.approx(db, rel=1e-6)


@pytest.mark.parametrize(
    "method, reference",
    [
        ("exp", math.exp),
        ("log", math.log),
        ("tanh", math.tanh),
        ("sigmoid", lambda x: 1 / (1 + math.exp(-x))),
        ("relu", lambda x: max(x, 0.0)),
        ("leaky_relu", lambda x: x if x > 0 else 0.01 * x),
    ],
)
def test_forward_values_match_math(method, reference):
    for x in (0.3, 1.7, -0.4, -2.5):
        if method == "log" and x <= 0:
            continue
        assert getattr(Value(x), method)().data == pytest.approx(reference(x), rel=1e-14)
    a, b = Value(1.5), Value(-0.5)
    assert [(a + b).data, (a - b).data, (a * b).data, (a / b).data, (a**b).data] == [
        1.0,
        2.0,
        -0.75,
        -3.0,
        1.5**-0.5,
    ]


def test_in_place_add_builds_a_node_and_keeps_the_original():
    a = Value(2.0)
    s = a
    s += a
    s += 3
    s.backward()
    assert s.data == 7.0 and a.data == 2.0 and a.grad == 2.0


# ------------------------------------------------------------------- random graphs vs autograd
UNARY_OPS = ["tanh", "sigmoid", "relu", "exp", "log", "neg", "sq", "cube", "sqrt"]
BINARY_OPS = ["+", "-", "*", "/", "pow"]


def _safe(op, x, y=None):
    """Whether op is smooth and finite here, in both engines (else the program negates instead)."""
    if op in ("tanh", "sigmoid"):
        return abs(x) < 30  # beyond, autograd's tanh' = 1/cosh^2 overflows (ours stays finite)
    if op in ("log", "sqrt"):
        return x > 1e-3
    if op == "exp":
        return x < 20
    if op == "relu":
        return abs(x) > 1e-9
    if op == "/":
        return abs(y) > 1e-2
    if op == "pow":
        return 1e-2 < x < 50 and abs(y) < 3
    return True


def _apply(op, x, y, lib):
    """One op on Values (lib=None) or on autograd arrays (lib=anp)."""
    unary = {
        "tanh": lambda v: v.tanh() if lib is None else anp.tanh(v),
        "sigmoid": lambda v: v.sigmoid() if lib is None else 1 / (1 + anp.exp(-v)),
        "relu": lambda v: v.relu() if lib is None else anp.where(v > 0, v, 0.0),
        "exp": lambda v: v.exp() if lib is None else anp.exp(v),
        "log": lambda v: v.log() if lib is None else anp.log(v),
        "neg": lambda v: -v,
        "sq": lambda v: v**2,
        "cube": lambda v: v**3,
        "sqrt": lambda v: v**0.5 if lib is None else anp.sqrt(v),
    }
    binary = {
        "+": lambda u, v: u + v,
        "-": lambda u, v: u - v,
        "*": lambda u, v: u * v,
        "/": lambda u, v: u / v,
        "pow": lambda u, v: u**v,
    }
    return unary[op](x) if op in unary else binary[op](x, y)


@st.composite
def programs(draw):
    """Inputs and a list of steps (op, i, j) over earlier results: a DAG with reuse."""
    n_inputs = draw(st.integers(1, 4))
    xs = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(UNARY_OPS + BINARY_OPS))
        i = draw(st.integers(0, n_inputs + k - 1))
        j = draw(st.integers(0, n_inputs + k - 1))
        steps.append((op, i, j))
    return xs, steps


def _resolve(xs, steps):
    """Replace each step that is not smooth at these inputs by negation (evaluated with floats)."""
    vals, resolved = list(xs), []
    for op, i, j in steps:
        x, y = vals[i], vals[j]
        if not _safe(op, x, y):
            op = "neg"
        vals.append(_apply(op, Value(x), Value(y), None).data)
        if not math.isfinite(vals[-1]) or abs(vals[-1]) > 1e8:
            return None
        resolved.append((op, i, j))
    return resolved


def _run(xs, steps, lib):
    vals = list(xs)
    for op, i, j in steps:
        vals.append(_apply(op, vals[i], vals[j], lib))
    return vals[-1] + vals[-1] * vals[0]  # reuse the first input once more at the end


@settings(max_examples=150, deadline=None)
@given(programs())
def test_random_graphs_match_autograd(program):
    xs, steps = program
    steps = _resolve(xs, steps)
    if steps is None:
        return
    leaves = [Value(x) for x in xs]
    out = _run(leaves, steps, None)
    out.backward()

    def f(arr):
        return _run([arr[i] for i in range(len(xs))], steps, anp)

    expected = ag_grad(f)(np.array(xs, dtype=np.float64))
    assert out.data == pytest.approx(float(f(np.array(xs))), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose([v.grad for v in leaves], expected, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------- accumulation and depth
def test_a_value_used_twice_collects_both_contributions():
    a = Value(3.0)
    b = a + a  # d/da = 2
    c = a * a  # d/da = 2a
    (b + c).backward()
    assert a.grad == 2.0 + 6.0


def test_a_node_reused_many_times():
    x = Value(1.5)
    s = sum(x * float(k) for k in range(1000))  # ds/dx = sum(k) = 499500
    s.backward()
    assert x.grad == pytest.approx(499500.0)
    y = Value(2.0)
    p = y
    for _ in range(20):
        p = p * y  # y ** 21
    p.backward()
    assert y.grad == pytest.approx(21 * 2.0**20)


def test_leaves_accumulate_across_backward_calls_and_zero_grad_resets():
    w = Value(2.0)
    for _ in range(2):
        (w * 5.0).backward()  # a fresh graph each time, as in a training loop
    assert w.grad == 10.0  # forgetting zero_grad doubles the gradient
    w.grad = 0.0
    (w * 5.0).backward()
    assert w.grad == 5.0


def test_interior_nodes_are_recomputed_not_accumulated():
    x = Value(0.5)
    h = x.tanh()
    out = h * 3.0
    out.backward()
    out.backward()  # same graph twice: leaves add up exactly, interior nodes do not snowball
    assert h.grad == 3.0
    assert x.grad == pytest.approx(2 * 3.0 * (1 - math.tanh(0.5) ** 2))


def test_a_chain_of_a_million_nodes():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    v = x
    for _ in range(1_000_000):
        v = v + x
    order = topological_order(v)
    assert len(order) == 1_000_001 and order[0] is x and order[-1] is v
    v.backward()
    assert x.grad == 1_000_001.0
    assert sys.getrecursionlimit() == limit
    del v, order  # freeing a million-deep chain must not overflow the stack either


def test_topological_order_puts_inputs_before_outputs():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    pos = {id(n): i for i, n in enumerate(order)}
    assert len(order) == 5
    for node in order:
        for child in node._prev:
            assert pos[id(child)] < pos[id(node)]


# ------------------------------------------------------------------- higher order
@pytest.mark.parametrize(
    "f, second, x0",
    [
        (lambda x: x.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), 0.3),
        (
            lambda x: x.sigmoid(),
            lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
            -0.8,
        ),
        (lambda x: x**3, lambda x: 6 * x, 1.7),
        (lambda x: x.exp() * x, lambda x: math.exp(x) * (x + 2), 0.4),
        (lambda x: x.log() / x, lambda x: (2 * math.log(x) - 3) / x**3, 1.9),
        (lambda x: (x * x + 1) ** 0.5, lambda x: (x * x + 1) ** -1.5, 0.6),
    ],
)
def test_second_derivatives_match_closed_forms(f, second, x0):
    x = Value(x0)
    y = f(x)
    y.backward(create_graph=True)
    dy = x.grad
    assert isinstance(dy, Value)
    assert dy.data == pytest.approx(central_difference(lambda t: f(Value(t)).data, x0), rel=1e-6)
    x.grad = 0.0
    dy.backward()
    assert x.grad == pytest.approx(second(x0), rel=1e-10)


def test_higher_order_gradients_of_two_variables_match_autograd():
    def f(a, b, lib):
        t = (a * b).tanh() if lib is None else anp.tanh(a * b)
        return t * a + b**2 * a

    a, b = Value(0.4), Value(-0.9)
    f(a, b, None).backward(create_graph=True)
    da = a.grad
    a.grad, b.grad = 0.0, 0.0
    da.backward()  # d/da (df/da) and d/db (df/da): the first row of the Hessian
    row = hessian(lambda v: f(v[0], v[1], anp))(np.array([0.4, -0.9]))[0]
    np.testing.assert_allclose([a.grad, b.grad], row, rtol=1e-10)


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(0.0).log(), InputError, "log.*only defined for positive"),
        (lambda: Value(-2.0).log(), InputError, "log.*only defined for positive"),
        (lambda: Value(-2.0) ** 0.5, InputError, "negative base with a non-integer exponent"),
        (lambda: Value(-2.0) ** Value(2.0), InputError, "positive base"),
        (lambda: Value(0.0) ** -1, InputError, "divides by zero"),
        (lambda: Value(1.0) / 0, InputError, "division .* by zero"),
        (lambda: Value("3"), InputTypeError, "real number.*str"),
        (lambda: Value(None), InputTypeError, "real number.*NoneType"),
        (lambda: Value([1.0]), InputTypeError, "real number.*list"),
        (lambda: Value(Value(1.0)), InputTypeError, "not another Value"),
        (lambda: Value(float("nan")), InputError, "finite.*NaN"),
        (lambda: Value(float("inf")), InputError, "finite"),
        (lambda: Value(1.0) + "a", InputTypeError, "real number.*str"),
        (lambda: Value(1.0) ** "a", InputTypeError, "exponent must be a number"),
        (lambda: Value(800.0).exp(), InputError, "exp.*overflows"),
    ],
)
def test_bad_input_gets_one_clear_sentence(make, error, words):
    with pytest.raises(error, match=words) as info:
        make()
    message = str(info.value)
    assert "\n" not in message and message.endswith((".", ")"))


def test_numpy_numbers_are_accepted_as_data():
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(3)).data == 3.0
    assert isinstance(Value(np.float32(0.5)).data, float)


def test_extreme_inputs_stay_finite():
    for x in (-1000.0, 1000.0):
        for method in ("sigmoid", "tanh", "relu", "leaky_relu"):
            v = Value(x)
            out = getattr(v, method)()
            out.backward()
            assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0


def test_repr_is_readable():
    v = Value(2.0, label="w")
    assert repr(v) == "Value(data=2, grad=0, label='w')"
    assert (v * 3).op == "*" and v.op == ""


def test_apply_log_checks_the_domain_like_log():
    with pytest.raises(InputError, match=r"log\(-1.0\).*only defined for positive"):
        Value(-1.0).apply("log")


@pytest.mark.parametrize("create_graph", [False, True])
def test_x_to_the_zero_and_one_at_zero_have_finite_derivatives(create_graph):
    for k, first, second in ((0, 0.0, 0.0), (1, 1.0, 0.0), (2, 0.0, 2.0)):
        x = Value(0.0)
        (x**k).backward(create_graph=create_graph)
        grad = x.grad.data if create_graph else x.grad
        assert grad == first
        if create_graph:
            g = x.grad
            x.grad = 0.0
            g.backward()
            assert x.grad == second


@pytest.mark.parametrize(
    "make",
    [lambda: Value(10.0) ** 400, lambda: Value(10.0) ** Value(400.0), lambda: Value(10**400)],
)
def test_overflow_is_one_sentence(make):
    with pytest.raises(InputError, match="(overflows a float|too large for a float)"):
        make()


# ------------------------------------------------------------------- one rule per op, imports
def test_each_op_stores_the_numbers_of_the_rule_its_op_carries():
    # the forward pass stores local derivatives computed by the op's own rule, the same function
    # that backward(create_graph=True) calls with Values
    a, b = Value(0.7), Value(-1.3)
    for out in (a * b, a / b, a**3, a ** Value(2.5), a**0.5, a.tanh(), b.sigmoid(), b.relu()):
        da, db = out._op.local(out._a.data, None if out._b is None else out._b.data, out.data)
        assert (out._da, out._db if out._b is not None else None) == (da, db)
    for out in (a + b, a - b, -a):
        assert out._op.local is None  # constant derivatives: the stored numbers are the rule
    cube = a**3
    assert cube._b is None and cube._db == 0.0 and cube._op == "**3"  # no exponent in _db


def _chainrule_imports(path):
    """The chainrule modules a file imports, as dotted names (``from chainrule import x``: x)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (n.name for n in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "chainrule":
            yield from (f"chainrule.{n.name}" for n in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module


def test_the_engine_imports_only_functions_and_errors():
    allowed = ("chainrule.functions", "chainrule.errors", "chainrule.scalar.")
    for path in Path(chainrule.scalar.__file__).parent.glob("*.py"):
        if path.name in ("trainable.py", "demo.py"):
            continue  # the adapter to the training loop and the demo script, not the engine
        for name in _chainrule_imports(path):
            if name.startswith("chainrule"):
                assert name.startswith(allowed), f"{path.name} imports {name}"
