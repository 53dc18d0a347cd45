"""What ``chainrule.explain`` found, and how it reads: as plain text, Markdown or HTML (a notebook
shows the HTML). The explanation is a list of blocks — a title, paragraphs, equations, tables —
that each format writes out in its own way."""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

__all__ = ["Explanation"]


@dataclass
class Explanation:
    """The chain rule for one parameter on one sample. ``text()``, ``markdown()``, ``html()``.

    ``factors``: ``(name, value)`` pairs whose product is ``product``; ``gradient``: the engine's
    ``dC/dw`` from ``Network.backprop``; ``numeric``: the central finite difference; ``paths``
    (earlier layers only): ``(i, w^{l+1}_ij, delta^{l+1}_i, product)`` largest first."""

    param: str
    product: float
    gradient: float
    numeric: float
    factors: list[tuple[str, float]]
    paths: list[tuple[int, float, float, float]] = field(default_factory=list)
    blocks: list[tuple] = field(default_factory=list, repr=False)

    def text(self) -> str:
        """Plain text, equations indented, tables aligned."""
        out = []
        for kind, *body in self.blocks:
            if kind == "title":
                out += [body[0], "=" * len(body[0])]
            elif kind == "heading":
                out += ["", body[0]]
            elif kind == "para":
                out += ["", *textwrap.wrap(body[0], 100)]
            elif kind == "math":
                out += ["    " + line for line in body[0]]
            elif kind == "table":
                out += ["    " + line for line in _aligned(*body)]
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        """Markdown: headings, equations in code blocks, tables as Markdown tables."""
        out = []
        for kind, *body in self.blocks:
            if kind == "title":
                out += [f"### {body[0]}", ""]
            elif kind == "heading":
                out += [f"**{body[0]}**", ""]
            elif kind == "para":
                out += [body[0], ""]
            elif kind == "math":
                out += ["```", *body[0], "```", ""]
            elif kind == "table":
                header, rows = body
                out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                out += ["| " + " | ".join(row) + " |" for row in rows] + [""]
        return "\n".join(out)

    def html(self) -> str:
        """HTML for a notebook or a page: headings, equations in <pre>, tables."""
        e = html.escape
        out = ['<div class="chainrule-explain">']
        for kind, *body in self.blocks:
            if kind == "title":
                out.append(f"<h3>{e(body[0])}</h3>")
            elif kind == "heading":
                out.append(f"<h4>{e(body[0])}</h4>")
            elif kind == "para":
                out.append(f"<p>{e(body[0])}</p>")
            elif kind == "math":
                out.append("<pre>" + e("\n".join(body[0])) + "</pre>")
            elif kind == "table":
                header, rows = body
                cells = "".join(f"<th>{e(h)}</th>" for h in header)
                lines = [f"<tr>{cells}</tr>"]
                lines += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
                out.append("<table>" + "".join(lines) + "</table>")
        return "\n".join(out + ["</div>"])

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.text()


def _aligned(header, rows) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
