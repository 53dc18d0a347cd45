"""The playground with keys alone and through a screen reader's eyes: axe-core (vendored, see
vendor/VENDORED.txt) finds no serious or critical violation, with the tooltip and the
step-through open too; a weight is reached, its chain rule pinned, read and closed with keys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrule.network import Network

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def violations(page) -> list:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(content=AXE)
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violation(page):
    assert violations(page) == []
    page.click("#stepthrough")
    page.wait_for_selector("#stages:not([hidden])")
    page.dispatch_event('line.hit[data-param="W2[0,1]"]', "click")
    page.wait_for_selector("#tip-close")
    assert violations(page) == []


def test_keys_alone_reach_a_weight_pin_its_chain_rule_and_close_it(page):
    # Tab from the top until the network's one tab stop has the focus.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement.closest && !!document.activeElement.closest('#wires')"
        ):
            break
    else:
        pytest.fail("Tab never reached the network")
    first = page.evaluate(
        "document.activeElement.dataset.param ?? document.activeElement.outerHTML.slice(0, 200)"
    )
    assert first == "W1[0,0]"
    assert page.evaluate("document.querySelectorAll('#wires [tabindex=\"0\"]').length") == 1
    # Arrows move along the weights of layer 1 (row by row), then its biases.
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.param") == "W1[0,1]"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.param") == "W1[1,0]"
    assert page.evaluate("document.querySelectorAll('#wires [tabindex=\"0\"]').length") == 1
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith("weight w¹₁₀ from input 1 to neuron 2 of layer 1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tip-close")
    page.wait_for_function("document.getElementById('tip').dataset.param === 'W1[1,0]'")
    # The typeset product is the chain rule's, computed here independently of the page.
    tex = page.get_attribute("#tip-values", "data-tex")
    shown = float(page.get_attribute("#tip-values", "data-product"))
    data = page.evaluate("window.playground.state.data")
    frame = page.evaluate("window.playground.state.frame")
    s = data["settings"]
    net = Network(data["sizes"], s["activation"], data["cost"], s["init"])
    net.set_parameters({k: np.array(v) for k, v in frame["params"].items()})
    x, label = np.array(data["train"][0]), data["y"][0]
    _, nabla_w = net.backprop(x, net.targets(np.array([label]))[0])
    assert shown == pytest.approx(nabla_w[0][1, 0], rel=1e-9, abs=1e-15)
    assert float(tex.rsplit("=", 1)[1]) == pytest.approx(shown, rel=1e-3)  # 4 digits
    assert page.evaluate("!!document.querySelector('#tip-values .katex')")
    # The pinned tooltip has the focus (a dialog); Escape closes it and gives the focus back.
    assert page.evaluate("document.activeElement.id") == "tip-close"
    page.keyboard.press("Escape")
    page.wait_for_selector("#tip", state="hidden")
    page.wait_for_function("document.activeElement.dataset.param === 'W1[1,0]'")


def test_on_a_touch_screen_a_tap_pins_the_chain_rule_and_a_tap_elsewhere_closes_it(
    browser, playground
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    tab = context.new_page()
    tab.goto(playground.url)
    tab.wait_for_function("window.playground && window.playground.state.frame")
    tab.tap('.neuron[data-param="b1[2]"] rect')
    tab.wait_for_selector("#tip-close")
    assert tab.get_attribute("#tip", "data-param") == "b1[2]"
    assert tab.evaluate("document.getElementById('tip').getBoundingClientRect().right") <= 390
    tab.tap("#output-title")
    tab.wait_for_selector("#tip", state="hidden")
    context.close()
