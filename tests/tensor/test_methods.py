"""Where each Tensor method lives: the list in ``Tensor``'s docstring is generated from the class
itself and checked here, so it cannot rot; and every method outside the class body was attached
by ``core.method`` (the one way an ops module adds a method)."""

from __future__ import annotations

import inspect
import textwrap

import chainrule.tensor  # noqa: F401 - importing the package attaches every op
from chainrule.tensor.core import METHODS, Tensor

HEADING = "Methods, by the module that defines them"


def methods_by_module() -> dict[str, list[str]]:
    """{module: method names} read off the class: public names and operators (``__add__``)."""
    found: dict[str, list[str]] = {}
    for name, value in vars(Tensor).items():
        private = name.startswith("_") and not name.startswith("__")
        if private or name in ("__init__", "__hash__"):
            continue
        if not (inspect.isfunction(value) or isinstance(value, property)):
            continue
        found.setdefault(METHODS.get(name, "core"), []).append(name)
    return {
        module: sorted(names, key=lambda n: (n.strip("_").lower(), n))
        for module, names in sorted(found.items(), key=lambda item: (item[0] != "core", item[0]))
    }


def docstring_block() -> str:
    """The block Tensor's docstring must hold, as it should be pasted there."""
    lines = [f"    {HEADING}:", ""]
    for module, names in methods_by_module().items():
        lines += textwrap.wrap(
            f"``{module}``: " + ", ".join(names),
            width=100,
            initial_indent="    - ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
    return "\n".join(lines)


def test_the_docstring_lists_each_method_under_the_module_that_defines_it():
    block = docstring_block()
    assert block in Tensor.__doc__, (
        f"run `python tests/tensor/test_methods.py` to write this into Tensor's docstring:\n{block}"
    )


def test_every_method_outside_the_class_body_was_attached_by_core_method():
    for name, value in vars(Tensor).items():
        fn = getattr(value, "fget", value)
        if name in METHODS or not inspect.isfunction(fn):
            continue
        assert fn.__qualname__.startswith("Tensor."), f"Tensor.{name} was attached by hand"


if __name__ == "__main__":  # python tests/tensor/test_methods.py: rewrite the list in core.py
    import re
    from pathlib import Path

    import chainrule.tensor.core as core

    path = Path(core.__file__)
    pattern = rf"    {HEADING}:\n.*?(?=\n\n    \(tests/tensor/test_methods.py)"
    text, n = re.subn(pattern, lambda _: docstring_block(), path.read_text(), flags=re.S)
    assert n == 1, "the list's heading or closing line is gone from Tensor's docstring"
    path.write_text(text)
