"""The makemore data, without a tensor library: the names, the letters' numbering and the
(context, next letter) examples as Python lists, so every course program (on chainrule or on
PyTorch) turns them into its own tensors with ``torch.tensor``."""

from __future__ import annotations

import random
from pathlib import Path

NAMES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "zero_to_hero" / "names.txt"


def read_words(path=NAMES, count=None):
    """The names (the first ``count``), ``stoi`` (letter -> 1..26, "." -> 0) and ``itos``."""
    with open(path) as f:
        words = f.read().splitlines()[:count]
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return words, stoi, itos


def build_dataset(words, stoi, block_size=3):
    """Every (``block_size`` letters of context, next letter) pair: lists ``X``, ``Y``."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    return X, Y


def splits(words, stoi, block_size=3):
    """The words shuffled (seed 42) and split 80/10/10: training, dev and test examples."""
    words = list(words)
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    parts = (words[:n1], words[n1:n2], words[n2:])
    return [build_dataset(part, stoi, block_size) for part in parts]
