"""The page's controls as a newcomer meets them: human words in the menus, limits shown as
disabled controls, a refused value put back where it was with the sentence why, the CSV only
through a file, the output panel's switches in the URL, the guide remembered, the regression
problems, and L1 beside L2 in the step-through's update (checked against the maths done here)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.network import Network


def seq(page) -> int:
    return page.evaluate("window.playground.state.frame.seq")


def options(page, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option", "os => os.map(o => o.textContent)")


def test_menus_speak_words_not_identifiers(page):
    assert "Multi-gaussian" in options(page, "#data")
    assert "multi_gaussian" not in options(page, "#data")
    assert "Linear" in options(page, "#activation") and "Leaky ReLU" in options(page, "#activation")
    assert "Log-likelihood (softmax)" in options(page, "#cost")
    features = page.text_content("#features")
    assert "x₁²" in features and "sin(x₁)" in features and "sin_x1" not in features
    assert options(page, "#engine") and options(page, "#init")  # filled from the server
    assert "frames received" not in page.text_content("body")


def test_a_refused_value_goes_back_with_its_sentence(page):
    for control, bad, good, words in (
        ("#lr", "-1", "0.1", "The learning rate"),
        ("#batch", "0", "10", "The batch size"),
    ):
        page.fill(control, bad)
        page.press(control, "Enter")
        page.wait_for_function(
            f"document.getElementById('message').textContent.startsWith('{words}')"
        )
        message = page.text_content("#message")
        assert "the previous value is back" in message
        assert page.input_value(control) == good
        assert page.get_attribute(control, "aria-invalid") == "true"
    assert page.evaluate("window.playground.state.settings.lr") == 0.1


def test_controls_are_disabled_at_their_limits(page):
    assert page.is_disabled("#remove-layer") is False
    page.goto(page.url.split("#")[0] + "#layers=8,8,8,8,8,1")
    page.reload()
    page.wait_for_function("window.playground.state.data?.sizes.length === 8")
    assert page.is_disabled("#add-layer")
    assert page.is_disabled('[data-grow="1"]') and not page.is_disabled('[data-shrink="1"]')
    assert page.is_disabled('[data-shrink="6"]') and not page.is_disabled('[data-grow="6"]')
    page.goto(page.url.split("#")[0] + "#layers=")
    page.reload()
    page.wait_for_function("window.playground.state.data?.sizes.length === 2")
    assert page.is_disabled("#remove-layer")


def test_the_sample_number_is_bounded(page):
    n = page.evaluate("window.playground.state.data.train.length")
    assert page.get_attribute("#sample", "max") == str(n - 1)
    page.fill("#sample", "9999")
    page.press("#sample", "Enter")
    page.wait_for_selector("#message:not([hidden])")
    assert page.input_value("#sample") == "0"
    assert f"0 to {n - 1}" in page.text_content("#message")


def test_csv_only_through_a_file_and_its_size_shown(page):
    assert "Your CSV file" not in options(page, "#data")
    rows = "\n".join(f"{x},{x * x - 1},{int(x > 0)}" for x in np.linspace(-2, 2, 30))
    page.set_input_files(
        "#csv", files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": rows.encode()}]
    )
    page.wait_for_function("window.playground.state.data.settings.data === 'csv'")
    assert page.input_value("#data") == "csv"
    assert "Your CSV file" in options(page, "#data")
    assert page.is_disabled("#points") and page.input_value("#points") == "30"


@pytest.mark.parametrize(
    "text, words",
    [
        (b"x1,x2,y\n1,2,0.5\n3,4,0.5\n5,6,0.5\n7,8,0.5\n", "holds one value (0.5) on every row"),
        (b"x1,x2,y\r1,2,0\r3,4,1\r5,6,0\r7,8,1\r", None),  # CR line endings: read
        (b"1,2," + b"9" * 140_000 + b"\n", "one number per cell"),
    ],
)
def test_a_strange_csv_gets_one_sentence(page, text, words):
    page.set_input_files("#csv", files=[{"name": "x.csv", "mimeType": "text/csv", "buffer": text}])
    if words is None:
        page.wait_for_function("window.playground.state.data.settings.data === 'csv'")
        assert page.evaluate("window.playground.state.data.train.length") == 2
        return
    page.wait_for_selector("#message:not([hidden])")
    message = page.text_content("#message")
    assert words in message and "internal error" not in message and "diverged" not in message


def test_switches_stay_in_the_url_and_the_guide_is_remembered(page):
    assert page.is_visible("#guide")
    page.click("#guide-close")
    page.check("#show-test")
    page.check("#discretize")
    assert "showtest=1" in page.url and "discretize=1" in page.url
    legend = page.text_content("#legend")
    assert "test point" in legend
    page.reload()
    page.wait_for_function("window.playground && window.playground.state.frame")
    assert page.is_checked("#show-test") and page.is_checked("#discretize")
    assert page.is_hidden("#guide")


def test_one_legend_entry_per_class_and_a_labelled_output(page):
    before = seq(page)
    page.select_option("#data", "multi_gaussian")
    page.wait_for_function(f"window.playground.state.frame.seq > {before}")
    legend = page.text_content("#legend")
    assert [f"class {k}" in legend for k in range(4)] == [True, True, True, False]
    assert page.text_content("#output-title") == "Output: the network's decision"
    page.dispatch_event('.neuron[data-layer="1"][data-j="0"]', "mouseover")
    page.wait_for_function(
        "document.getElementById('output-title').textContent.includes('hovered')"
    )
    assert "neuron 1 in layer 1" in page.text_content("#output-title")


def test_regression_problems_include_a_multi_gaussian_that_learns(page):
    before = seq(page)
    page.select_option("#problem", "regression")
    page.wait_for_function(f"window.playground.state.frame.seq > {before}")
    assert options(page, "#data") == ["Plane", "Multi-gaussian"]
    before = seq(page)
    page.select_option("#data", "multi_gaussian_regression")
    page.wait_for_function(f"window.playground.state.frame.seq > {before}")
    assert page.evaluate("window.playground.state.data.classes") == 0
    first = page.evaluate("window.playground.state.frame.cost")
    for _ in range(5):
        before = seq(page)
        page.click("#step")
        page.wait_for_function(f"window.playground.state.frame.seq > {before}")
    assert page.evaluate("window.playground.state.frame.cost") < first
    assert "target" in page.text_content("#legend")


def test_the_update_shows_l1_and_l2_and_its_numbers_are_right(page):
    for control, value in (("#l1", "3"), ("#l2", "2")):
        before = seq(page)
        page.fill(control, value)
        page.press(control, "Enter")
        page.wait_for_function(f"window.playground.state.frame.seq > {before}")
    page.click("#stepthrough")
    page.wait_for_selector("#stages:not([hidden])")
    page.click("#stage-prev")  # (from the first stage: nothing before it)
    while page.get_attribute("#stage-name", "data-stage") != "update":
        page.click("#stage-next")
    tex = page.get_attribute("#stage-equation", "data-tex")
    assert r"\lambda_1" in tex and r"\lambda_2" in tex
    data = page.evaluate("window.playground.state.data")
    params = page.evaluate("window.playground.state.frame.params")
    s = data["settings"]
    net = Network(data["sizes"], s["activation"], data["cost"], s["init"])
    net.set_parameters({k: np.array(v) for k, v in params.items()})
    x, label = np.array(data["train"][0]), data["y"][0]
    _, nabla_w = net.backprop(x, net.targets(np.array([label]))[0])
    n, lr = len(data["train"]), s["lr"]
    W1 = np.array(params["W1"])
    expected = W1 - lr * nabla_w[0] - lr / n * (3 * np.sign(W1) + 2 * W1)
    shown = page.eval_on_selector_all(
        "td[data-kind='new']", "cells => cells.map(c => Number(c.dataset.value))"
    )
    np.testing.assert_allclose(shown[: W1.size], expected.ravel(), rtol=1e-12)


def test_four_significant_digits_by_default_every_digit_on_request(page):
    page.dispatch_event('line.hit[data-param="W2[0,1]"]', "click")
    page.wait_for_selector("#tip-close")
    exact = float(page.get_attribute("#tip-values", "data-product"))
    short = page.get_attribute("#tip-values", "data-tex")
    assert float(short.rsplit("=", 1)[1]) == float(f"{exact:.4g}")
    page.check("#tip-full")
    page.wait_for_function(
        f"document.getElementById('tip-values').dataset.tex.length > {len(short)}"
    )
    shown = page.get_attribute("#tip-values", "data-tex").rsplit("=", 1)[1].strip()
    assert float(shown) == exact
    assert page.is_checked("#full")  # the step-through's switch follows
