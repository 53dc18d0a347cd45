"""The code passes ruff (configured in pyproject.toml): lint rules and formatting; the
playground's JavaScript parses as ES modules (node) and keeps ruff's line length."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args):
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_check_passes():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------- the page's JavaScript
# The same rules for the playground's ES modules: they parse as modules, and no line is longer
# than ruff's 100. `node --check page.js` would read a .js file as CommonJS and, on Node 20, pass
# a module with a syntax error in silence; the source goes in on stdin with --input-type=module.
STATIC = ROOT / "src" / "chainrule" / "playground" / "static"
SCRIPTS = sorted(STATIC.glob("*.js"))
LINE_LENGTH = 100


def node_check(source: str) -> subprocess.CompletedProcess:
    """``node --check`` of ``source`` as an ES module (Node: `apt-get install -y nodejs`)."""
    node = shutil.which("node")
    assert node, "node is missing: apt-get install -y nodejs (the lint test checks the page's JS)"
    return subprocess.run(
        [node, "--input-type=module", "--check"],
        input=source, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_page_has_scripts_to_check():
    assert len(SCRIPTS) >= 3, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_parses_as_an_es_module(script):
    result = node_check(script.read_text())
    assert result.returncode == 0, f"{script.name}: {result.stderr}"


def test_the_module_check_fails_on_a_syntax_error_a_commonjs_check_misses():
    broken = 'import { a } from "./a.js";\nexport const b = ;\n'
    assert node_check(broken).returncode != 0
    assert node_check("await Promise.resolve();\nexport const b = 1;\n").returncode == 0


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_keeps_to_the_line_length(script):
    long = [
        f"{script.name}:{number}: {len(line)} characters"
        for number, line in enumerate(script.read_text().splitlines(), 1)
        if len(line) > LINE_LENGTH
    ]
    assert not long, f"lines over {LINE_LENGTH}: " + "; ".join(long)
