"""Write the reference pages at build time (run by the mkdocs-gen-files plugin, see mkdocs.yml).

* ``reference/<module path>.md``: one page per module under src/chainrule, holding only
  ``::: chainrule.module`` for mkdocstrings, so a new or renamed module appears with no edit;
* ``reference/cli.md``: the ``chainrule`` command, every subcommand with its flags, written from
  ``chainrule.cli.build_parser()`` itself so the page cannot drift from the parser;
* ``reference/SUMMARY.md``: the navigation of both, for mkdocs-literate-nav.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
from pathlib import Path

import mkdocs_gen_files

from chainrule.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
# The help text is wrapped by argparse at $COLUMNS; pin it so every build writes the same page.
HELP_WIDTH = 100


def modules() -> list[tuple[tuple[str, ...], bool]]:
    """(module path as parts, is a package) for every public module under src/chainrule."""
    found = []
    for path in sorted((SRC / "chainrule").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            found.append((parts, package))
    return found


def package_page(name: str) -> str:
    """A package's docstring, then what it exports, each linked to the page that defines it
    (rendering them here again would document every class twice)."""
    package = importlib.import_module(name)
    own = [
        export
        for export in getattr(package, "__all__", [])
        if getattr(getattr(package, export), "__module__", None) == name
    ]  # defined in the package itself (chainrule.cli.main): rendered here
    members = f"[{', '.join(own)}]" if own else "false"
    lines = [f"::: {name}", "    options:", f"      members: {members}", "", "Exported here:", ""]
    for export in getattr(package, "__all__", []):
        obj = getattr(package, export)
        where = getattr(obj, "__module__", None)
        if inspect.ismodule(obj):
            lines.append(f"- [`{export}`][{obj.__name__}]")
        elif "<locals>" in getattr(
            obj, "__qualname__", ""
        ):  # made by a factory: no page of its own
            summary = (inspect.getdoc(obj) or "").split("\n", 1)[0]
            lines.append(f"- `{export}`: {summary}")
        elif where and hasattr(obj, "__qualname__"):
            lines.append(f"- [`{export}`][{where}.{obj.__qualname__}]")
        else:  # a constant: its value is on the package's page above
            lines.append(f"- `{export}`")
    return "\n".join(lines) + "\n"


def subcommands(parser: argparse.ArgumentParser, prefix: str):
    """Yield (full command, parser) for ``parser`` and, depth first, every subcommand below it."""
    yield prefix, parser
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from subcommands(sub, f"{prefix} {name}")


def help_text(parser: argparse.ArgumentParser) -> str:
    """What ``--help`` prints for ``parser``, wrapped at HELP_WIDTH whatever the terminal."""
    parser.formatter_class = functools.partial(parser.formatter_class, width=HELP_WIDTH)
    return parser.format_help().rstrip()


def cli_page() -> str:
    lines = [
        "# The `chainrule` command",
        "",
        "Written at build time from `chainrule.cli.build_parser()`: each section is exactly what "
        "`--help` prints for that command.",
        "",
    ]
    for command, parser in subcommands(build_parser(), "chainrule"):
        lines += [f"## `{command}`", "", "```text", help_text(parser), "```", ""]
    return "\n".join(lines)


def main() -> None:
    nav = mkdocs_gen_files.Nav()
    nav["The chainrule command"] = "cli.md"
    with mkdocs_gen_files.open("reference/cli.md", "w") as page:
        page.write(cli_page())
    for parts, package in modules():
        # A package's page is its folder's index.md, so its section title links to it.
        doc = Path(*parts, "index.md") if package else Path(*parts).with_suffix(".md")
        nav[parts] = doc.as_posix()
        with mkdocs_gen_files.open(Path("reference", doc), "w") as page:
            page.write(package_page(".".join(parts)) if package else f"::: {'.'.join(parts)}\n")
    with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as summary:
        summary.writelines(nav.build_literate_nav())


main()
