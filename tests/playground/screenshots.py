"""Regenerate docs/playground-*.png: the page training, the chain-rule tooltip, the step-through.

    python tests/playground/screenshots.py

Serves the playground on a free loopback port and drives Debian's chromium with Playwright.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from chainrule.playground.serve import bind, server, url_of

DOCS = Path(__file__).resolve().parents[2] / "docs"
SPIRAL = "#data=spiral&features=x1,x2,x1%5E2,x2%5E2,sin_x1,sin_x2&layers=8,6,4&lr=0.03&noise=0.1"


def main() -> int:
    sock = bind("127.0.0.1", None)
    instance = server(sock)
    threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not instance.started:
        time.sleep(0.05)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_page(viewport={"width": 1180, "height": 600})
        page.goto(url_of(sock) + SPIRAL)
        page.wait_for_function("window.playground && window.playground.state.frame")
        page.click("#play")
        page.wait_for_function("window.playground.state.frame.epoch >= 150", timeout=120_000)
        page.click("#play")
        page.wait_for_selector('#play[data-playing="no"]')
        page.screenshot(path=DOCS / "playground-training.png")

        page.close()
        page = browser.new_page(viewport={"width": 1180, "height": 700})
        page.goto(url_of(sock) + "#layers=4,2")
        page.wait_for_function("window.playground && window.playground.state.frame")
        for _ in range(20):
            page.click("#step")
        page.wait_for_function("window.playground.state.frame.epoch >= 20")
        page.click('line.hit[data-param="W2[1,0]"]', force=True)
        page.wait_for_function("document.getElementById('tip').dataset.param")
        page.mouse.move(1000, 650)
        time.sleep(0.3)  # (the hover's own reply places the tip too)
        page.evaluate(
            "Object.assign(document.getElementById('tip').style, "
            "{left: '625px', top: '84px', maxWidth: '530px'})"
        )
        page.screenshot(path=DOCS / "playground-chain-rule.png", clip=_clip(1180, 640))
        page.keyboard.press("Escape")

        page.click("#stepthrough")
        for _ in range(5):
            page.click("#stage-next")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=DOCS / "playground-step-through.png", clip=_clip(940, 600))
        browser.close()
    instance.should_exit = True
    for name in ("training", "chain-rule", "step-through"):
        shrink(DOCS / f"playground-{name}.png")
    return 0


def shrink(path: Path) -> None:
    """The screenshot in 256 colours (a third of the bytes; the page has few colours)."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _clip(width, height):
    return {"x": 0, "y": 0, "width": width, "height": height}


if __name__ == "__main__":
    sys.exit(main())
