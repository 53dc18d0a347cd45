"""The architecture, checked: import-linter's contracts (pyproject.toml) hold, and they would fail
if an arrow pointed up; modules stay small; imports sit at the top of modules."""

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "chainrule"
MAX_LINES = 420  # "a few hundred lines at most"
# Imports inside functions, each for a reason said beside it in the code.
LATE_IMPORTS = {
    "cli/__init__.py": "the Ctrl-C guard is in place before numpy and the engines load",
    "distributed/collective.py": "mpi4py stays optional (the distributed extra): only under a "
    "launcher",
}


def lint_imports(root: Path, config: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    return subprocess.run(
        [exe, "--config", str(config), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def test_the_contracts_hold():
    result = lint_imports(ROOT / "src", ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    "module, bad_import, contract",
    [
        ("network.py", "import chainrule.cli.app", "Layers"),  # an engine reaching up
        ("scalar/engine.py", "import chainrule.network", "Engines independent"),  # engine to engine
        ("files.py", "import chainrule.modelfile", "Layers"),  # the floor reaching up
    ],
)
def test_a_broken_contract_fails(tmp_path, module, bad_import, contract):
    """The same check, on a copy of the package with one arrow pointing the wrong way."""
    copy = tmp_path / "chainrule"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{bad_import}  # wrong on purpose\n")
    result = lint_imports(tmp_path, ROOT / "pyproject.toml")
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert broken and any(contract in line for line in broken), result.stdout


def _modules():
    return sorted(p for p in SRC.rglob("*.py"))


def test_every_module_is_a_few_hundred_lines_at_most():
    lines = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in _modules()}
    long = {name: n for name, n in lines.items() if n > MAX_LINES}
    assert not long, f"split these modules: {long}"


def test_imports_sit_at_the_top_of_modules():
    late = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        late.add(str(path.relative_to(SRC)))
    assert late <= set(LATE_IMPORTS), (
        f"imports inside functions: {sorted(late - set(LATE_IMPORTS))}"
    )


def test_every_exported_name_exists():
    """Each module's ``__all__`` names only what it has (``from m import *`` would fail)."""
    missing = {}
    for path in _modules():
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # (importing it runs the command)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        gone = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        if gone:
            missing[name] = gone
    assert not missing
