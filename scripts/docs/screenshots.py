"""Photograph the built site in a real headless browser: python scripts/docs/screenshots.py [SITE]

Builds the site (``mkdocs build``) into a temporary folder unless SITE names a built one, serves
it on a local port, opens it in Chromium (Debian's, driven by Playwright) and writes
docs/site-home.png (the home page) and docs/site-network.png (the BP1-BP4 equations on the
reference page of chainrule.network), reduced to a 256-colour palette to keep them small.
Needs the `docs` extra, `pip install playwright` and a `chromium` on PATH (`apt-get install
chromium`; Playwright's own browser download is not needed).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}


def build(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        check=True,
    )


def shrink(path: Path) -> None:
    """Rewrite ``path`` with a 256-colour palette: a third of the bytes, text as sharp."""
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per file fetched is noise here
        pass


def photograph(site: Path, out: Path) -> list[Path]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{base}/index.html")
            page.wait_for_load_state("networkidle")
            written.append(out / "site-home.png")
            page.screenshot(path=written[-1])

            page.goto(f"{base}/reference/chainrule/network.html")
            page.wait_for_selector(".katex")  # the equations have been typeset
            # One scroll down (scrolling back up would call up the "back to top" button) to
            # the page's title, just below the fixed header, and all of both tables below it.
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 1060})
            page.locator("h1").first.evaluate(
                "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 64)"
            )
            written.append(out / "site-network.png")
            page.screenshot(path=written[-1])
            browser.close()
    finally:
        server.shutdown()
    for path in written:
        shrink(path)
    return written


def main(argv: list[str]) -> None:
    if argv:
        site = Path(argv[0])
    else:
        site = Path(tempfile.mkdtemp()) / "site"
        build(site)
    for path in photograph(site, ROOT / "docs"):
        print("wrote", path, path.stat().st_size // 1024, "KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
