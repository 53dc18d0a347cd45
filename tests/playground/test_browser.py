"""The playground in a real browser (headless Chromium via Playwright): what a user clicks, and
the numbers on the page checked against the library computed independently here."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import chainrule
from chainrule.explain import explain
from chainrule.models import build
from chainrule.network import Network
from chainrule.runs import read_history
from playground import screenshots

MAX_EPOCHS = 150  # "a bounded number of steps": 150 epochs of 25 mini-batches


def frame(page):
    return page.evaluate("window.playground.state.frame")


def network_of(page) -> Network:
    """A Network built here with the page's settings and the weights its last frame showed."""
    data = page.evaluate("window.playground.state.data")
    s = data["settings"]
    net = Network(data["sizes"], s["activation"], data["cost"], s["init"])
    net.set_parameters({k: np.array(v) for k, v in frame(page)["params"].items()})
    return net


def first_sample(page):
    """Training sample 0 as the features x1, x2 and its label."""
    data = page.evaluate("window.playground.state.data")
    return np.array(data["train"][0]), data["y"][0]


def step(page, times: int = 1):
    for _ in range(times):
        before = frame(page)["seq"]
        page.click("#step")
        page.wait_for_function(f"window.playground.state.frame.seq > {before}")


def choose(page, selector: str, value: str):
    before = page.evaluate("window.playground.state.frame.seq")
    page.select_option(selector, value)
    page.wait_for_function(f"window.playground.state.frame.seq > {before}")


def test_page_loads_and_learns_the_circle(page):
    assert page.title() == "chainrule playground"
    assert page.evaluate("window.playground.state.settings.data") == "circle"
    page.click("#play")
    page.wait_for_function(
        "window.playground.state.frame.test_accuracy >= 0.95", timeout=60_000, polling=50
    )
    page.click("#play")  # pause
    page.wait_for_selector('#play[data-playing="no"]')
    f = frame(page)
    assert f["epoch"] <= MAX_EPOCHS
    assert f["test_accuracy"] >= 0.95
    curve = page.evaluate("window.playground.state.curve")
    assert curve[-1][1] < 0.5 * curve[0][1]  # the training cost fell
    # The browser kept up: every frame the server sent arrived.
    stats = page.evaluate("window.playground.request('stats')")
    page.wait_for_function(f"window.playground.state.received >= {stats['sent']}")
    assert page.evaluate("window.playground.state.received") == stats["sent"]
    assert page.text_content("#test-accuracy").endswith("%")
    screenshots.keep(page, "training")
    # The front door's picture: the learned circle, BP1 of one update, one weight's chain rule.
    page.check("#show-test")
    page.click("#stepthrough")
    page.wait_for_selector("#stages:not([hidden])")
    while page.get_attribute("#stage-name", "data-stage") != "BP1":
        page.click("#stage-next")
    page.dispatch_event('line.hit[data-param="W3[0,1]"]', "click")
    page.wait_for_selector("#tip-close")
    page.evaluate("window.scrollTo(0, 0)")
    screenshots.keep(page, "front")


def test_hovering_a_weight_shows_its_chain_rule(page):
    step(page, 3)
    page.dispatch_event('line.hit[data-param="W2[0,1]"]', "mouseover")
    page.wait_for_function("document.getElementById('tip').dataset.param === 'W2[0,1]'")
    tip = page.evaluate("({...document.getElementById('tip').dataset})")
    product, gradient, numeric = (float(tip[k]) for k in ("product", "gradient", "numeric"))
    assert abs(product - gradient) <= 1e-6 * max(1.0, abs(gradient))
    assert abs(numeric - gradient) <= 1e-6
    x, label = first_sample(page)
    expected = explain(network_of(page), x, label, "W2[0,1]")
    assert product == pytest.approx(expected.product, rel=1e-12, abs=1e-15)
    assert gradient == pytest.approx(expected.gradient, rel=1e-12, abs=1e-15)
    assert "The chain rule for W2[0,1]" in page.text_content("#tip")
    # A weight edited in place changes the network.
    page.dispatch_event('line.hit[data-param="W2[0,1]"]', "click")  # (its centre is a crossing)
    page.wait_for_selector("#tip-close")  # pinned
    screenshots.keep(page, "chain-rule")
    page.fill("#tip-value", "0.25")
    page.press("#tip-value", "Enter")
    page.wait_for_function("window.playground.state.frame.params.W2[0][1] === 0.25")


def test_step_through_visits_forward_then_backward(page):
    step(page, 2)
    page.click("#stepthrough")
    page.wait_for_selector("#stages:not([hidden])")
    net = network_of(page)
    x, label = first_sample(page)
    nabla_b, nabla_w = net.backprop(x, net.targets(np.array([label]))[0])
    L = len(net.sizes) - 1
    seen = []
    while True:
        name = page.get_attribute("#stage-name", "data-stage")
        layer = (
            page.text_content("#stage-name").split("layer ")[-1]
            if "layer" in page.text_content("#stage-name")
            else None
        )
        seen.append((name, int(layer) if layer else None))
        if name in ("BP1", "BP2"):
            shown = page.eval_on_selector_all(
                'td[data-kind="delta"]', "cells => cells.map(c => Number(c.dataset.value))"
            )
            np.testing.assert_allclose(shown, nabla_b[seen[-1][1] - 1], rtol=1e-12, atol=1e-15)
            on_drawing = page.eval_on_selector_all(
                "#wires text.val.hl", "spans => spans.map(s => Number(s.dataset.value))"
            )
            np.testing.assert_allclose(on_drawing, nabla_b[seen[-1][1] - 1], rtol=1e-12)
            if name == "BP2":
                screenshots.keep(page, "step-through")
        if name == "BP3/BP4":
            rows = page.eval_on_selector_all(
                "td[data-kind^='dC/dW']", "cells => cells.map(c => Number(c.dataset.value))"
            )
            np.testing.assert_allclose(rows, nabla_w[seen[-1][1] - 1].ravel(), rtol=1e-12)
        if name == "update":
            break
        page.click("#stage-next")
    forward = [("forward", l) for l in range(1, L + 1)]
    backward = [("BP1", L)] + [("BP2", l) for l in range(L - 1, 0, -1)]
    assert seen[:L] == forward
    assert seen[L] == ("cost", L)
    assert seen[L + 1 : 2 * L + 1] == backward
    assert seen[-1] == ("update", None)


def test_bad_csv_gets_a_message_and_the_session_goes_on(page):
    page.set_input_files(
        "#csv",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"x1,x2,label\n1,2,abc\n"}],
    )
    page.wait_for_selector("#message:not([hidden])")
    assert "not a number" in page.text_content("#message")
    epoch = frame(page)["epoch"]
    step(page)
    assert frame(page)["epoch"] == epoch + 1
    good = "\n".join(f"{x},{-x},{int(x > 0)}" for x in np.linspace(-3, 3, 40)).encode()
    page.set_input_files(
        "#csv", files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.wait_for_function("window.playground.state.data.settings.data === 'csv'")
    page.wait_for_selector("#message", state="hidden")
    assert page.evaluate("window.playground.state.data.train.length") == 20


def test_a_too_large_learning_rate_pauses_with_a_message(page):
    choose(page, "#activation", "identity")
    page.fill("#lr", "10")
    page.press("#lr", "Enter")
    page.wait_for_function("window.playground.state.settings.lr === 10")
    page.click("#play")
    page.wait_for_selector("#message:not([hidden])", timeout=20_000)
    assert "diverged" in page.text_content("#message")
    page.wait_for_selector('#play[data-playing="no"]')


def test_switching_engines_keeps_the_weights_and_they_agree(page):
    step(page, 2)
    before = frame(page)["params"]
    choose(page, "#engine", "tensor")
    page.wait_for_function("document.getElementById('check-result').dataset.maxDiff !== undefined")
    assert float(page.get_attribute("#check-result", "data-max-diff")) < 1e-12
    assert frame(page)["params"] == before
    assert "value" in page.text_content("#check-result")
    page.click("#gradcheck")
    page.wait_for_selector('#check-result[data-passed="true"]')


def test_a_reloaded_url_restores_the_network_and_settings(page):
    page.click("#add-layer")
    page.wait_for_function("window.playground.state.settings.layers.length === 3")
    choose(page, "#data", "xor")
    choose(page, "#activation", "sigmoid")
    page.check('[data-feature="x1x2"]')
    page.wait_for_function("window.playground.state.frame.params.W1[0].length === 3")
    settings = page.evaluate("window.playground.state.settings")
    params = frame(page)["params"]
    page.reload()
    page.wait_for_function("window.playground && window.playground.state.frame")
    assert page.evaluate("window.playground.state.settings") == settings
    assert frame(page)["params"] == params
    assert page.input_value("#activation") == "sigmoid"


def test_exported_files_load_with_chainrule(page, tmp_path):
    step(page, 2)
    params = frame(page)["params"]
    with page.expect_download() as done:
        page.click("#export-model")
    path = tmp_path / "model.npz"
    done.value.save_as(path)
    model = chainrule.load(path)
    for name, array in model.parameters().items():
        np.testing.assert_array_equal(array, params[name])
    with page.expect_download() as done:
        page.click("#export-run")
    done.value.save_as(tmp_path / "run.zip")
    with zipfile.ZipFile(tmp_path / "run.zip") as zipped:
        zipped.extractall(tmp_path)
    assert len(read_history(tmp_path / "run" / "history.json").epochs) == 2
    # ... and a model file loads back into the page.
    other = build("network", [2, 3, 1], "sigmoid", "quadratic", "normal", seed=5)
    chainrule.save(other, tmp_path / "other.npz")
    page.set_input_files("#load-model", str(tmp_path / "other.npz"))
    page.wait_for_function("window.playground.state.data.sizes.join() === '2,3,1'")
    page.wait_for_function("window.playground.state.frame.params.W1.length === 3")
    np.testing.assert_array_equal(frame(page)["params"]["W1"], other.parameters()["W1"])


def test_more_classes_take_a_softmax_and_the_value_engine_says_it_cannot(page):
    choose(page, "#data", "multi_gaussian")
    assert page.evaluate("window.playground.state.data.sizes").pop() == 3
    assert "softmax output with the log-likelihood cost" in page.text_content("#notes")
    step(page, 3)
    assert frame(page)["output"]["kind"] == "classes"
    assert frame(page)["test_accuracy"] > 0.9
    choose(page, "#engine", "value")
    assert "only the quadratic cost" in page.text_content("#notes")
    assert page.evaluate("window.playground.state.data.cost") == "quadratic"


def test_regression_shows_costs_without_accuracy(page):
    choose(page, "#problem", "regression")
    assert page.input_value("#data") == "plane"
    first = frame(page)["cost"]
    step(page, 5)
    assert frame(page)["cost"] < first
    assert page.text_content("#test-accuracy") == "-"
