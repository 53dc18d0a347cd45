"""``ModuleList`` and ``ModuleDict``: modules held in a list or a dict, registered so that
``parameters()``, ``state_dict()``, ``to()`` and ``print`` see them (a plain Python list of
layers would hide their parameters from the optimizer)."""

from __future__ import annotations

from chainrule.tensor.module import Module

__all__ = ["ModuleDict", "ModuleList"]


class ModuleList(Module):
    """A list of modules named ``"0"``, ``"1"``, ...; index, slice, iterate, ``append``,
    ``extend``, ``insert``. It has no forward: the owner decides how to call them."""

    def __init__(self, modules=None):
        super().__init__()
        self.extend(modules or ())

    def _renumber(self, modules) -> None:
        for name in list(self._modules):
            object.__delattr__(self, name)
        self._modules.clear()
        for module in modules:
            self.add_module(str(len(self._modules)), module)

    def __getitem__(self, i):
        modules = list(self._modules.values())
        return ModuleList(modules[i]) if isinstance(i, slice) else modules[i]

    def __setitem__(self, i, module) -> None:
        modules = list(self._modules.values())
        modules[i] = module
        self._renumber(modules)

    def __delitem__(self, i) -> None:
        modules = list(self._modules.values())
        del modules[i]
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        """Add each of ``modules`` at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def __repr__(self):
        """PyTorch's layout, runs of equal modules folded: ``(0-2): 3 x Linear(...)``."""
        groups: list[list] = []
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            if groups and groups[-1][2] == text:
                groups[-1][1] = name
                groups[-1][3] += 1
            else:
                groups.append([name, name, text, 1])
        lines = [
            f"({first}): {text}" if n == 1 else f"({first}-{last}): {n} x {text}"
            for first, last, text, n in groups
        ]
        return "ModuleList(" + "".join(f"\n  {line}" for line in lines) + ("\n)" if lines else ")")


class ModuleDict(Module):
    """Modules by name, in insertion order; ``d[name]``, ``d[name] = m``, ``keys()``,
    ``values()``, ``items()``, ``in``, ``len``, ``update``."""

    def __init__(self, modules=None):
        super().__init__()
        self.update(modules or {})

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, module)

    def __delitem__(self, name: str) -> None:
        del self._modules[name]
        object.__delattr__(self, name)

    def __contains__(self, name) -> bool:
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        """The names."""
        return self._modules.keys()

    def values(self):
        """The modules."""
        return self._modules.values()

    def items(self):
        """``(name, module)`` pairs."""
        return self._modules.items()

    def update(self, modules) -> None:
        """Add each ``(name, module)`` of a dict or of pairs."""
        for name, module in dict(modules).items():
            self.add_module(name, module)
