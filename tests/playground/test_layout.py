"""The page's layout in a real Chromium at a desktop, a laptop and a phone size, for a small, the
default and the largest network, with the chain-rule tooltip, the step-through and the gradient
check open: no two panels overlap, nothing is wider than the window, every control is the
element at its own centre (nothing covers it), the tooltip is compact and beside what it
explains. Screenshots of some of these states go to docs/ (see ``screenshots.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import screenshots

SIZES = {"desktop": (1400, 900), "laptop": (1000, 700), "phone": (390, 844)}
NETWORKS = {"one-layer": "#layers=3", "default": "", "6x8": "#layers=8,8,8,8,8,8"}

CHECKS = Path(__file__).with_name("layout_checks.js").read_text()
WIRE = 'line.hit[data-param="W1[0,0]"]'


def overlapping(boxes):
    """Pairs of boxes whose interiors meet (a shared edge is fine)."""
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 and min(a[4], b[4]) - max(a[2], b[2]) > 0.5
    ]


def open_everything(tab):
    """Three epochs, the step-through at a BP stage, the gradient check, then a pinned tooltip."""
    for _ in range(3):
        before = tab.evaluate("window.playground.state.frame.seq")
        tab.click("#step")
        tab.wait_for_function(f"window.playground.state.frame.seq > {before}")
    tab.click("#stepthrough")
    tab.wait_for_selector("#stages:not([hidden])")
    L = len(tab.evaluate("window.playground.state.data.sizes")) - 1
    for _ in range(L + 1):
        tab.click("#stage-next")
    tab.click("#gradcheck")
    tab.wait_for_selector("#check-result[data-passed]")
    wire = tab.locator(WIRE)
    wire.scroll_into_view_if_needed()
    wire.dispatch_event("click")
    tab.wait_for_selector("#tip-close")
    tab.wait_for_function("document.querySelector('#tip .katex')")


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("size", SIZES)
def test_nothing_overlaps_and_every_control_can_be_reached(browser, playground, size, network):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(playground.url + NETWORKS[network])
    tab.wait_for_function("window.playground && window.playground.state.frame")
    tab.add_script_tag(content=CHECKS)
    open_everything(tab)

    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    boxes = tab.evaluate("layoutBoxes()")
    assert overlapping(boxes["panels"]) == []
    assert overlapping(boxes["parts"]) == []
    panel = boxes["panel"]
    for name, left, _, right, _ in boxes["parts"]:  # inside their panel's width
        assert left >= panel[1] - 0.5 and right <= panel[3] + 0.5, name

    tip = tab.evaluate(f"tipPlacement('{WIRE}')")
    assert tip["width"] <= 360
    assert tip["inside"]
    assert not tip["overWire"]  # beside the wire, not over it
    for control in ("#tip-value", "#tip-close", "#tip summary"):
        assert tab.evaluate(f"atItsCentre(document.querySelector('{control}'))"), control
    screenshots.keep(tab, f"layout-{size}-{network}")

    tab.keyboard.press("Escape")
    tab.wait_for_selector("#tip", state="hidden")
    assert tab.evaluate("coveredControls()") == []
    context.close()
    assert errors == []
