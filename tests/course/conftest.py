"""examples/course on sys.path, as when a program runs from its folder: the programs import
``makemore_data`` (the names data as Python lists) from beside them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "course"))
