"""The screenshots in docs/: taken by the browser tests, written only when asked.

    CHAINRULE_SCREENSHOTS=1 pytest -p no:cacheprovider tests/playground/test_layout.py \
        tests/playground/test_screenshots.py

``keep(tab, name)`` saves the tab as ``docs/playground-<doc name>.png`` when ``name`` is one of
``SHOTS`` and ``CHAINRULE_SCREENSHOTS=1``: written to a temporary file in docs/ and moved over
the old one (``os.replace``), so tests running in parallel (pytest-xdist) never leave half a file,
and squeezed to 256 colours (a third of the bytes; the page has few colours).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
# test state -> the docs' file (docs/playground-<name>.png)
SHOTS = {
    "layout-desktop-default": "desktop",
    "layout-laptop-6x8": "laptop",
    "layout-phone-default": "phone",
    "training": "training",
    "front": "front",
    "chain-rule": "chain-rule",
    "step-through": "step-through",
}
WANTED = os.environ.get("CHAINRULE_SCREENSHOTS") == "1"


def keep(tab, name: str, clip: dict | None = None) -> Path | None:
    """Save the tab's viewport (or ``clip``) as the docs' screenshot for ``name``, if wanted."""
    if not WANTED or name not in SHOTS:
        return None
    from PIL import Image  # (a test-only dependency, needed only when writing)

    target = DOCS / f"playground-{SHOTS[name]}.png"
    handle, temporary = tempfile.mkstemp(dir=DOCS, prefix=f".{target.stem}-", suffix=".png")
    os.close(handle)
    try:
        tab.screenshot(path=temporary, clip=clip)
        with Image.open(temporary) as image:
            small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
        small.save(temporary, optimize=True)
        os.chmod(temporary, 0o644)  # (mkstemp makes it private)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return target
