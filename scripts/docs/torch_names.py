"""The table of docs/from-pytorch.md: every ``torch`` name the course's code uses, and whether
``chainrule.tensor`` has it.

The code read: the programs of examples/course (and examples/makemore_backprop.py), and the code
cells of the makemore notebooks kept in tests/fixtures/zero_to_hero. Names are collected from the
syntax tree, not by running anything:

* ``torch.a.b``, ``nn.X``, ``F.x``, ``optim.X`` ... : every attribute chain that starts at a name
  bound by an import of ``torch`` (or of ``chainrule.tensor``, which the programs import in its
  place), and every name imported from it (``from torch.utils.data import DataLoader``), written
  with its full path (``torch.nn.functional.cross_entropy``);
* ``.x`` on anything else (``t.view(...)``, ``model.train()``): a method or attribute, given to the
  first of the classes in ``CLASSES`` whose PyTorch version has it (``Tensor.view``,
  ``nn.Module.train``); names that Python's str, list, dict and numpy's ndarray have and none of
  those classes has (``.join``, ``.astype``) are not PyTorch's and are left out.

Supported means chainrule has the same name at the same place (``chainrule.tensor.nn.functional.
cross_entropy``, ``chainrule.tensor.Tensor.view``); the tests in tests/course run every program
and notebook on chainrule and compare it with PyTorch.

Run: python scripts/docs/torch_names.py (rewrites the table in docs/from-pytorch.md);
--check exits 1 when the page's table is not what the code gives today.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

import torch

import chainrule.tensor as chainrule_torch

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "from-pytorch.md"
START, END = "<!-- torch-names: start -->", "<!-- torch-names: end -->"
PROGRAMS = sorted((ROOT / "examples" / "course").glob("*.py")) + [
    ROOT / "examples" / "makemore_backprop.py"
]
NOTEBOOKS = sorted((ROOT / "tests" / "fixtures" / "zero_to_hero").glob("*.ipynb"))
# (label, PyTorch's object, chainrule's): ``.x`` goes to the first whose PyTorch object has it
CLASSES = [
    ("Tensor.max(dim)", torch.tensor([[1.0]]).max(1), chainrule_torch.tensor([[1.0]]).max(1)),
    ("Tensor", torch.Tensor, chainrule_torch.Tensor),
    ("nn.Module", torch.nn.Module, chainrule_torch.nn.Module),
    ("optim.Optimizer", torch.optim.Optimizer, chainrule_torch.optim.Optimizer),
    (
        "lr_scheduler.StepLR",
        torch.optim.lr_scheduler.StepLR,
        chainrule_torch.optim.lr_scheduler.StepLR,
    ),
    ("utils.data.DataLoader", torch.utils.data.DataLoader, chainrule_torch.utils.data.DataLoader),
    ("Generator", torch.Generator, chainrule_torch.Generator),
]
PLAIN = set(dir(str)) | set(dir(list)) | set(dir(dict))  # str.split, list.sort: not counted
NOTES = {  # each backed by tests/course/test_torch_names.py
    "torch.Generator": "chainrule's generator (numpy's PCG64): other numbers than PyTorch's",
    "torch.manual_seed": "seeds chainrule's generator: other numbers than PyTorch's",
    "torch.cuda.is_available": "False: chainrule runs on the CPU",
    "torch.load": "reads chainrule's own files; a file PyTorch wrote is refused",
}


def sources() -> dict[str, str]:
    """{label: Python source} for every program and notebook the table covers."""
    found = {f"examples/{p.relative_to(ROOT / 'examples')}": p.read_text() for p in PROGRAMS}
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        lines = [line for cell in code for line in cell.split("\n")]
        found[path.stem] = "\n".join(x for x in lines if not x.lstrip().startswith("%"))
    return found


def _torch_path(module: str) -> str | None:
    """``torch.nn`` for ``torch.nn`` or ``chainrule.tensor.nn``; None for other modules."""
    for prefix in ("torch", "chainrule.tensor"):
        if module == prefix or module.startswith(prefix + "."):
            return "torch" + module[len(prefix) :]
    return None


def _chain(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None when it does not start at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def _method_name(node: ast.Attribute, called: bool) -> str | None:
    """``Tensor.view`` for ``t.view``: the first class of ``CLASSES`` that has the attribute
    (``Optimizer`` first when the receiver's name starts with ``opt``); None for a name of
    ``PLAIN`` and for a method named without being called (``args.seed`` is no Generator's)."""
    attr = node.attr
    if attr.startswith("__"):
        return None
    order = sorted(CLASSES, key=lambda c: not (c[0] == "optim.Optimizer" and _opt(node)))
    for label, theirs, _ in order:
        if attr in PLAIN and label != "Tensor.max(dim)":
            return None
        if hasattr(theirs, attr):
            method = callable(getattr(theirs, attr)) and not isinstance(theirs, tuple)
            return f"{label}.{attr}" if called or not method else None
    return None


def _opt(node: ast.Attribute) -> bool:
    return (_root(node) or "").startswith("opt")


def _root(node: ast.AST) -> str | None:
    """The name an expression like ``np.frombuffer(b).reshape`` starts from (``np``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def collect(source: str) -> set[str]:
    """The torch names ``source`` uses (see the module docstring)."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    others: set[str] = set()  # names bound by other imports: np, plt, random, ...
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                path = _torch_path(a.name)
                bound = a.asname or a.name.split(".")[0]
                if path is None:
                    others.add(bound)
                else:
                    aliases[bound] = path if a.asname else "torch"
        elif isinstance(node, ast.ImportFrom) and node.module:
            path = _torch_path(node.module)
            for a in node.names:
                if path is None:
                    others.add(a.asname or a.name)
                else:
                    aliases[a.asname or a.name] = f"{path}.{a.name}"
    # a program's own attributes (self.tril, self.dropout): assigned, or registered by name
    own = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and _assigned(n)}
    own |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _chain(node)
            if chain and chain[0] in aliases:
                if id(node) not in inner:  # the whole chain, once
                    names.add(".".join([aliases[chain[0]], *chain[1:]]))
            elif _root(node) in others or (_root(node) == "self" and node.attr in own):
                continue
            elif method := _method_name(node, id(node) in called):
                names.add(method)
        elif isinstance(node, ast.Name) and node.id in aliases:
            names.add(aliases[node.id])
    return {n for n in names if not _is_module(n)}


def _assigned(node: ast.Attribute) -> bool:
    """``self.x`` in ``self.x = ...``."""
    return isinstance(node.ctx, ast.Store) and _root(node) == "self"


def _lookup(name: str, framework: int):
    """``name`` looked up in PyTorch (``framework`` 0) or chainrule (1); None if absent."""
    parts = name.split(".")
    if parts[0] == "torch":
        target, parts = (torch, chainrule_torch)[framework], parts[1:]
    else:
        label, parts = name.rsplit(".", 1)[0], parts[-1:]
        target = next(objects[framework] for lbl, *objects in CLASSES if lbl == label)
    for part in parts:
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _is_module(name: str) -> bool:
    return type(_lookup(name, 0)).__name__ == "module"


def supported(name: str) -> bool:
    """chainrule has ``name`` at the same place."""
    return _lookup(name, 1) is not None


def rows() -> list[tuple[str, bool, list[str]]]:
    """(name, supported, the programs and notebooks that use it), sorted by name."""
    users: dict[str, list[str]] = {}
    for label, source in sources().items():
        for name in collect(source):
            users.setdefault(name, []).append(label)
    return [(name, supported(name), sorted(users[name])) for name in sorted(users)]


def table() -> str:
    found = rows()
    count = sum(ok for _, ok, _ in found)
    lines = [
        START,
        "",
        f"{len(found)} names, {count} supported, {len(found) - count} not.",
        "",
        "| name | supported | used by | note |",
        "| --- | --- | --- | --- |",
    ]
    for name, ok, users in found:
        short = ", ".join(Path(u).stem for u in users)
        lines.append(
            f"| `{name}` | {'yes' if ok else '**no**'} | {short} | {NOTES.get(name, '')} |"
        )
    return "\n".join([*lines, "", END])


def page(text: str) -> str:
    """``text`` (the page) with the part between the markers replaced by today's table."""
    before, rest = text.split(START, 1)
    return before + table() + rest.split(END, 1)[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    text = PAGE.read_text()
    fresh = page(text)
    if args.check:
        if fresh != text:
            print("docs/from-pytorch.md: the table is stale; run scripts/docs/torch_names.py")
            return 1
        return 0
    PAGE.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
