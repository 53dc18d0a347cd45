"""Write the tour's pages at build time (run by the mkdocs-gen-files plugin, see mkdocs.yml).

The tour's page is docs/tour/README.md exactly as ``python examples/run_tour.py`` wrote it (its
numbers are that run's output, never typed), with its links made to work inside the site:

* ``learn/tour.md``: that page, each picture linked from docs/tour/ and each example's link
  pointing to a page of the site that shows the example's source;
* ``learn/examples/NN_name.md``: the source of examples/tour/NN_name.py, one page each.
"""

from __future__ import annotations

import re
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[2]
TOUR_PAGE = ROOT / "docs" / "tour" / "README.md"
EXAMPLES = ROOT / "examples" / "tour"

# run_tour.py links each example as ../../examples/tour/NAME.py and each picture as NAME.png,
# both relative to docs/tour/.
EXAMPLE_LINK = re.compile(r"\]\(\.\./\.\./examples/tour/(\w+)\.py\)")
PICTURE = re.compile(r"!\[([^\]]*)\]\((\w+\.png)\)")


def tour_page(text: str) -> str:
    text = EXAMPLE_LINK.sub(r"](examples/\1.md)", text)
    return PICTURE.sub(r"![\1](../tour/\2)", text)


def example_page(path: Path) -> str:
    return "\n".join(
        [
            f"# `examples/tour/{path.name}`",
            "",
            "Back to [the tour](../tour.md). Run it with `python examples/run_tour.py`, which "
            "runs every example and writes what it prints to the tour's page.",
            "",
            "```python",
            path.read_text().rstrip(),
            "```",
            "",
        ]
    )


def main() -> None:
    with mkdocs_gen_files.open("learn/tour.md", "w") as page:
        page.write(tour_page(TOUR_PAGE.read_text()))
    for path in sorted(EXAMPLES.glob("[0-9][0-9]_*.py")):
        with mkdocs_gen_files.open(f"learn/examples/{path.stem}.md", "w") as page:
            page.write(example_page(path))


main()
