"""The documentation site builds strictly, documents every public name, and its code runs.

* ``mkdocs build --strict`` (once per session): a broken link, a missing page, an unresolved
  cross-reference or a docstring mkdocstrings cannot render fails it;
* every module under src/chainrule has its generated reference page, and the command reference
  names every subcommand and flag of ``chainrule.cli.build_parser()``;
* the BP1-BP4 equations of network.py reach the page as maths, typeset offline (no CDN);
* every public module, class, function and method has a docstring;
* every ```python block in docs/**/*.md runs: the blocks of one page in order, in one namespace,
  in a fresh folder;
* the command outputs shown on the guides are what the commands print today.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import griffe  # the docs extra: pip install ".[test,docs]"
import pytest

from chainrule.cli import build_parser
from chainrule.viz.graph import has_dot

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SRC = ROOT / "src"
LOG_LINE = re.compile(r"^(INFO|DEBUG) +- ")  # mkdocs' own log: `INFO    -  Building ...`
# The fence of a Python block that runs; ```text, ```console, ```pycon blocks are only shown.
PYTHON_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)


def load_script(name: str):
    """scripts/docs/<name>.py as a module (the scripts folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if "MKDOCS_2_WARNING" not in k},
    )
    problems = [line for line in done.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert done.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems)
    # It prints its own log and nothing else: no plugin's notice (about MkDocs 2.0) above it.
    notices = [line for line in done.stderr.splitlines() if line and not LOG_LINE.match(line)]
    assert not notices, "mkdocs build printed more than its log:\n" + "\n".join(notices[:5])
    return out


def test_every_page_of_the_nav_is_built(site):
    for page in [
        "index.html",
        "learn/tour.html",
        "learn/see-and-check.html",
        "guides/training-cli.html",
        "guides/model-files.html",
        "guides/benchmarks.html",
        "reference/cli.html",
        "architecture.html",
    ]:
        assert (site / page).is_file(), page


def public_modules() -> list[str]:
    """Every module under src/chainrule whose dotted path has no part starting with ``_``."""
    names = []
    for path in sorted((SRC / "chainrule").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return names


def test_every_module_has_its_reference_page(site):
    missing = []
    for name in public_modules():
        parts = name.split(".")
        package = (SRC / Path(*parts) / "__init__.py").is_file()
        page = Path(*parts, "index.html") if package else Path(*parts).with_suffix(".html")
        html = site / "reference" / page
        # The page holds the module's own heading (its id is the dotted path).
        if not html.is_file() or f'id="{name}"' not in html.read_text():
            missing.append(name)
    assert not missing, f"modules without a reference page: {missing}"


def test_the_command_reference_names_every_subcommand_and_flag(site):
    page = (site / "reference" / "cli.html").read_text()
    pending = [("chainrule", build_parser())]
    seen = 0
    while pending:
        command, parser = pending.pop()
        assert f"<code>{command}</code>" in page, command
        for action in parser._actions:  # argparse lists subcommands only here
            for flag in action.option_strings:
                assert flag in page, f"{command} {flag}"
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{command} {n}", p) for n, p in action.choices.items()]
        seen += 1
    assert seen > 7  # chainrule, its six commands and the kinds of `chainrule plot`


def test_the_backprop_equations_are_maths_typeset_offline(site):
    page = (site / "reference" / "chainrule" / "network.html").read_text()
    for equation in ["BP1", "BP2", "BP3", "BP4"]:
        assert equation in page
    # pymdownx.arithmatex hands \( ... \) to KaTeX; BP2 for one sample, as LaTeX.
    assert r"\(\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)\)" in page
    assert (site / "assets" / "katex" / "katex.min.js").is_file()
    for html in site.rglob("*.html"):
        text = html.read_text()
        # Plain links may leave the site; nothing a page loads may.
        loaded = re.findall(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="(https?:[^"]+)"', text)
        assert not loaded, f"{html.relative_to(site)} loads {loaded}"
    for css in site.rglob("*.css"):
        assert not re.search(r"@import|url\(\s*['\"]?https?:", css.read_text()), css


def undocumented() -> tuple[int, list[str]]:
    """(how many public objects, the paths of those without a docstring) under src/chainrule.

    Public: every module not named ``_x``; in it, every class and function its ``__all__`` lists
    (or, without ``__all__``, whose name has no leading underscore) defined there; in a public
    class, every method without a leading underscore. Special methods (``__init__``,
    ``__add__``, ...) are documented by their class. A method overriding a documented one
    inherits its docstring, as in ``help()`` and on the reference pages.
    """
    extensions = griffe.load_extensions("griffe_inherited_docstrings")
    package = griffe.load("chainrule", search_paths=[str(SRC)], extensions=extensions)
    count, missing = 0, []

    def visit(obj) -> None:
        nonlocal count
        count += 1
        if not obj.docstring:
            missing.append(obj.path)
        for member in obj.members.values():
            if member.is_alias or member.is_attribute:
                continue
            if member.is_module or obj.is_class:
                if not member.name.startswith("_"):
                    visit(member)
            elif member.is_public and not member.name.startswith("_"):
                visit(member)

    visit(package)
    return count, missing


def test_every_public_name_has_a_docstring():
    count, missing = undocumented()
    assert count > 100  # the walk found the package, not an empty stand-in
    assert not missing, (
        f"{len(missing)} of {count} public names have no docstring:\n  " + "\n  ".join(missing)
    )


def pages_with_python() -> list[Path]:
    return [p for p in sorted(DOCS.rglob("*.md")) if PYTHON_BLOCK.search(p.read_text())]


@pytest.mark.parametrize("page", pages_with_python(), ids=lambda p: str(p.relative_to(DOCS)))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    data = os.environ.get("CHAINRULE_DATA")
    if data:  # kept, made absolute first (the README's is relative to the checkout)
        monkeypatch.setenv("CHAINRULE_DATA", str(Path(data).resolve()))
    monkeypatch.chdir(tmp_path)  # files the examples write land here
    namespace = {"__name__": "__docs__"}
    for number, block in enumerate(PYTHON_BLOCK.findall(page.read_text()), 1):
        # A warning an example causes (no Graphviz, say) is shown to a reader, not an error.
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            try:
                exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{page.relative_to(DOCS)}, python block {number}: {error!r}")


def test_the_python_block_extractor_sees_every_block():
    text = 'x\n```python\na = 1\n```\n```text\nnot run\n```\n```python exec="on"\nb = a\n```\n'
    assert PYTHON_BLOCK.findall(text) == ["a = 1\n", "b = a\n"]


def without_timings(text: str) -> str:
    """The text with every duration (``0.02s``, ``6.6s``) replaced: only they may differ."""
    return re.sub(r"\b\d+(\.\d+)?s\b", "<time>s", text)


def test_the_command_outputs_shown_are_regenerated(tmp_path):
    cli_outputs = load_script("cli_outputs")
    cli_outputs.main(tmp_path)
    shown = DOCS / "guides" / "cli"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in shown.iterdir())
    for fresh in tmp_path.iterdir():
        assert without_timings(fresh.read_text()) == without_timings(
            (shown / fresh.name).read_text()
        ), f"docs/guides/cli/{fresh.name} is stale: run python scripts/docs/cli_outputs.py"


def fenced_after(text: str, marker: str) -> str:
    """The first fenced block after ``marker`` in ``text``."""
    return re.search(r"```\w*\n(.*?)```", text[text.index(marker) :], re.DOTALL).group(1)


def test_the_home_page_shows_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    home = (DOCS / "index.md").read_text()
    shown = re.findall(r"```bash\n(.*?)```", home[home.index("## Two commands") :], re.DOTALL)
    assert shown[:2] == [
        fenced_after(readme, "<!-- main-command -->"),
        fenced_after(readme, "<!-- test-command -->"),
    ]


def load_example_runner():
    spec = importlib.util.spec_from_file_location("run_tour", ROOT / "examples" / "run_tour.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOUR = DOCS / "tour"
# Examples whose shown output is not compared with a fresh run: 10, 13 and 16 print timings;
# 07, 14 and 15 take seconds each (tests/test_tour.py checks their claims); 01 prints where its
# picture went, which depends on Graphviz being installed.
NOT_RERUN = {"07_learning_rate", "10_matrix_pass", "13_descent_kinds", "14_xor", "15_digits"}
NOT_RERUN |= {"16_parallelism"} | (set() if has_dot() else {"01_graph"})


def test_the_tour_page_shows_each_examples_output():
    page = (TOUR / "README.md").read_text()
    examples = load_example_runner().examples()
    assert len(examples) == 16
    for path in examples:
        shown = (TOUR / f"{path.stem}.txt").read_text()
        assert f"```\n{shown.rstrip()}\n```" in page, path.stem


@pytest.mark.parametrize(
    "name",
    sorted({p.stem for p in (ROOT / "examples" / "tour").glob("[0-9][0-9]_*.py")} - NOT_RERUN),
)
def test_the_tour_output_shown_is_a_fresh_runs(name, tmp_path):
    runner = load_example_runner()
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        text, _, _ = runner.run(ROOT / "examples" / "tour" / f"{name}.py", tmp_path)
    assert text == (TOUR / f"{name}.txt").read_text(), (
        f"docs/tour/{name}.txt is stale: run python examples/run_tour.py"
    )
