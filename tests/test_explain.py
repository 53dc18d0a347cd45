"""explain: the chain rule for one parameter written out with its numbers. The product of the
factors it shows is the engine's gradient and the finite difference, for every kind of layer."""

import numpy as np
import pytest

from chainrule.errors import InputError
from chainrule.explain import explain, parse_param
from chainrule.models import TensorNetwork
from chainrule.network import Network

X = np.array([0.5, -1.0, 2.0])


def _deep(activation="sigmoid", cost="quadratic"):
    return Network([3, 4, 3, 2], activation, cost, "normal", np.float64, seed=7)


def _numeric(net, x, y, param, h=1e-6):
    """An independent central difference on the one sample's cost."""
    kind, l, index = parse_param(net, param)
    array = (net.weights if kind == "W" else net.biases)[l - 1]
    target = net.targets(np.array([y]))

    def cost(v):
        saved = array[index]
        array[index] = v
        c = net.total_cost(x[None], target)
        array[index] = saved
        return c

    return (cost(array[index] + h) - cost(array[index] - h)) / (2 * h)


@pytest.mark.parametrize("param", ["W3[1,2]", "b3[0]", "W2[2,3]", "b2[1]", "W1[3,0]", "b1[0]"])
@pytest.mark.parametrize(
    "activation, cost",
    [("sigmoid", "quadratic"), ("tanh", "log_likelihood"), ("sigmoid", "cross_entropy")],
)
def test_the_product_is_the_gradient_and_the_finite_difference(param, activation, cost):
    net = _deep(activation, cost)
    e = explain(net, X, 1, param)
    assert e.product == pytest.approx(np.prod([v for _, v in e.factors]), rel=1e-14)
    assert e.product == pytest.approx(e.gradient, rel=1e-10, abs=1e-15)
    assert e.product == pytest.approx(e.numeric, rel=1e-6, abs=1e-10)
    assert e.numeric == pytest.approx(_numeric(net, X, 1, param), rel=1e-9, abs=1e-12)
    text = e.text()
    assert f"{e.product:.10g}" in text and f"{e.numeric:.10g}" in text


def test_output_layer_factors_are_dC_da_times_sigma_prime_times_the_input():
    net = _deep()
    _, acts = net.forward(X[None])
    a, a_prev, y = acts[-1][0], acts[-2][0], np.array([0.0, 1.0])
    e = explain(net, X, 1, "W3[1,2]")
    names = [n for n, _ in e.factors]
    assert names == ["dC/da^3_1", "da^3_1/dz^3_1", "dz^3_1/dw^3_12"]
    values = [v for _, v in e.factors]
    assert values == pytest.approx([a[1] - y[1], a[1] * (1 - a[1]), a_prev[2]], rel=1e-14)
    assert "dC/dw = dC/da * da/dz * dz/dw" in e.text()
    assert not e.paths


def test_softmax_output_merges_the_first_two_factors():
    e = explain(_deep("tanh", "log_likelihood"), X, 0, "b3[0]")
    assert [n for n, _ in e.factors] == ["dC/dz^3_0", "dz^3_0/db^3_0"]
    assert e.factors[1][1] == 1.0


def test_an_earlier_layer_lists_the_paths_delta_takes_back():
    net = _deep()
    e = explain(net, X, 1, "W1[2,0]")
    # delta^1_2 = (sum_i w^2_i2 delta^2_i) sigma'(z^1_2): one path per neuron i of layer 2.
    assert sorted(i for i, *_ in e.paths) == [0, 1, 2]
    sizes = [abs(c) for *_, c in e.paths]
    assert sizes == sorted(sizes, reverse=True)
    for i, w, d, c in e.paths:
        assert w == net.weights[1][i, 2] and c == pytest.approx(w * d, rel=1e-14)
    assert e.factors[0][1] == pytest.approx(sum(c for *_, c in e.paths), rel=1e-12)
    assert e.factors[2][1] == X[0]  # BP4: times the input this weight multiplies
    text = e.text()
    assert "delta^3 = dC/da (.) sigmoid'(z^3)" in text and "(BP1)" in text
    assert "delta^2 = (W^3)^T delta^3" in text  # the layer in between, by BP2
    assert "share" in text


def test_markdown_and_html_say_the_same():
    e = explain(_deep(), X, 1, "W2[0,1]")
    md, page = e.markdown(), e.html()
    assert md.startswith("### The chain rule for W2[0,1] on one sample")
    assert "```" in md and "|---|" in md
    assert page.startswith('<div class="chainrule-explain">') and "<table>" in page
    assert "<pre>" in page and e._repr_html_() == page
    assert "(.) sigmoid&#x27;(z^3)" in page  # escaped, not raw
    for text in (e.text(), md, page):
        assert f"{e.gradient:.10g}" in text


def test_the_one_neuron_chain():
    """The README's first example: input -> one hidden neuron -> one output neuron."""
    net = Network([1, 1, 1], "sigmoid", "quadratic", "normal", np.float64, seed=3)
    x = np.array([1.5])
    for param in ("W1[0,0]", "b1[0]", "W2[0,0]", "b2[0]"):
        e = explain(net, x, np.array([0.0]), param)
        assert e.product == pytest.approx(e.numeric, rel=1e-7)
    a1 = net.feedforward(x[None])  # (the chain's output, for the explanation's forward pass)
    assert f"{a1[0, 0]:.6g}" in explain(net, x, np.array([0.0]), "W2[0,0]").text()


def test_other_engines_and_float32_are_explained_in_float64():
    tensor = TensorNetwork([3, 4, 2], "sigmoid", "quadratic", "scaled", np.float32, seed=1)
    e = explain(tensor, X, 1, "W1[0,0]")
    assert e.product == pytest.approx(e.numeric, rel=1e-6)
    net32 = Network([3, 4, 2], seed=1, dtype=np.float32)
    e = explain(net32, X, 1, "b2[1]")
    assert e.product == pytest.approx(e.numeric, rel=1e-6)
    assert net32.dtype == np.float32  # the model itself is untouched


@pytest.mark.parametrize(
    "name", ["W9[0,0]", "W1[4,0]", "W1[0,3]", "b1[0,0]", "W2[0]", "b3[2]", "w1[0,0]", "W1 0 0", ""]
)
def test_a_bad_name_gets_one_sentence_listing_what_exists(name):
    with pytest.raises(InputError) as caught:
        explain(_deep(), X, 1, name)
    message = str(caught.value)
    assert message.count(".") >= 1 and "\n" not in message
    assert f"has no parameter {name!r}" in message
    assert "W1[j,k] (j < 4, k < 3), W2[j,k] (j < 3, k < 4), W3[j,k] (j < 2, k < 3)" in message
    assert "b1[j] (j < 4), b2[j] (j < 3), b3[j] (j < 2)" in message


def test_a_sample_of_the_wrong_width_is_refused():
    with pytest.raises(InputError, match="the sample must have 3 numbers, got 2"):
        explain(_deep(), [1.0, 2.0], 0, "W1[0,0]")
