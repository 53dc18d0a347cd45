"""Where tests find the real MNIST files: $CHAINRULE_DATA, else the shared/ folder by the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A data root whose ``mnist`` subfolder holds MNIST's four ``.gz`` files."""
    env = os.environ.get("CHAINRULE_DATA")
    root = (Path(env) if env else Path(__file__).parents[3] / "shared" / "data").resolve()
    assert (root / "mnist").is_dir(), f"no MNIST at {root / 'mnist'}; set CHAINRULE_DATA"
    return root
