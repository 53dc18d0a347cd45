"""Load a program of examples/course on either framework, and share what is random.

``load(name, "chainrule")`` runs examples/course/<name>.py as written (``import
chainrule.tensor as torch``); ``load(name, "torch")`` runs the same file with ``chainrule.tensor``
replaced by ``torch`` in its import lines and nothing else, so the SAME code runs on real
PyTorch. ``copy_into`` copies one framework's tensors into the other's, so both start from the
same weights; ``shared_randomness`` makes both draw the same dropout masks and multinomial
samples (from one seeded numpy stream per framework).
"""

from __future__ import annotations

import contextlib
import re
import sys
import types
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "course"
IMPORT_LINE = re.compile(r"^(import|from) chainrule\.tensor\b", re.MULTILINE)


def load(name: str, framework: str, path: Path | None = None) -> types.ModuleType:
    """examples/course/<name>.py as a module whose ``torch`` is ``framework``'s."""
    path = path or EXAMPLES / f"{name}.py"
    source = path.read_text()
    if framework == "torch":
        source = IMPORT_LINE.sub(r"\1 torch", source)  # "import torch as torch" is valid
    module = types.ModuleType(f"course_{name}_{framework}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses and pickling look modules up there
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def array(t) -> np.ndarray:
    """A tensor of either framework as a numpy array (a copy)."""
    return np.array(t.detach().numpy())


def copy_into(torch, targets, sources) -> None:
    """Overwrite each tensor of ``targets`` (tensors of the framework ``torch``) with the values
    of the matching one of ``sources`` (either framework), in place and outside the graph."""
    targets, sources = list(targets), list(sources)
    assert len(targets) == len(sources)
    for target, source in zip(targets, sources):
        values = array(source)
        assert tuple(target.shape) == values.shape
        target.data.copy_(torch.tensor(values, dtype=target.dtype))


@contextlib.contextmanager
def shared_randomness(torch, seed: int = 0):
    """Inside, ``torch.multinomial`` and ``F.dropout`` (so ``nn.Dropout``) draw from
    ``numpy.random.default_rng(seed)``: run once per framework with the same seed, both
    frameworks get the same samples and masks. Sampling inverts the cumulative distribution at a
    uniform draw; dropout keeps each entry with probability ``1 - p`` and scales it by
    ``1 / (1 - p)``, as PyTorch's does."""
    rng = np.random.default_rng(seed)
    F = torch.nn.functional
    multinomial, dropout = torch.multinomial, F.dropout

    def shared_multinomial(probs, num_samples=1, replacement=False, generator=None):
        p = array(probs).astype(np.float64)
        p = p / p.sum(-1, keepdims=True)
        u = rng.random(p.shape[:-1] + (num_samples,))
        picks = (p.cumsum(-1)[..., None, :] < u[..., None]).sum(-1)
        return torch.tensor(np.minimum(picks, p.shape[-1] - 1))

    def shared_dropout(input, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return input
        keep = rng.random(tuple(input.shape)) >= p
        return input * torch.tensor(keep / (1 - p), dtype=input.dtype)

    def dropout_forward(self, input):
        return shared_dropout(input, self.p, self.training)

    forward = torch.nn.Dropout.forward
    torch.multinomial, F.dropout = shared_multinomial, shared_dropout
    torch.nn.Dropout.forward = dropout_forward
    try:
        yield
    finally:
        torch.multinomial, F.dropout = multinomial, dropout
        torch.nn.Dropout.forward = forward
