"""Shared test helpers: central finite differences, the judge of every gradient; and the
hypothesis profiles.

Hypothesis profiles: ``ci`` (chosen when the environment says ``CI=true``, as ``.ci/run`` does)
draws the same examples on every run (derandomized, no example database), so CI passes or fails
the same way each time; ``dev`` (any other run) explores new random examples and keeps failures in
``.hypothesis/`` to replay them. Both print the reproduction blob of a failure
(``@reproduce_failure(...)``) and set no deadline (a loaded machine is not a bug).
``HYPOTHESIS_PROFILE=ci`` (or ``dev``) overrides the choice.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", print_blob=True, deadline=None)
_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))

# The README's test command names the data folder relative to the checkout
# (CHAINRULE_DATA=../shared/data); tests that run a program in a folder of their own need it whole.
if os.environ.get("CHAINRULE_DATA"):
    os.environ["CHAINRULE_DATA"] = str(Path(os.environ["CHAINRULE_DATA"]).resolve())


def central_difference(f, x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h: error O(h^2), independent of any code under test."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric_gradient(f, xs: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of scalar ``f`` at ``xs`` by central differences, one coordinate at a time."""
    xs = np.asarray(xs, dtype=np.float64)
    grad = np.zeros_like(xs)
    for i in range(xs.size):
        up, down = xs.copy(), xs.copy()
        up.flat[i] += h
        down.flat[i] -= h
        grad.flat[i] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A data root whose ``mnist`` subfolder holds MNIST's four ``.gz`` files: $CHAINRULE_DATA,
    else the shared/ folder beside the checkout."""
    env = os.environ.get("CHAINRULE_DATA")
    root = (Path(env) if env else Path(__file__).parents[2] / "shared" / "data").resolve()
    assert (root / "mnist").is_dir(), f"no MNIST at {root / 'mnist'}; set CHAINRULE_DATA"
    return root


# --------------------------------------------------------------------- pytest-xdist groups
# The README's command runs the suite on every core (`-n auto --dist loadgroup`). Tests that
# share something expensive stay together on one worker: every test using the headless Chromium
# (one browser at a time), every test marked ``mpi`` (one mpiexec at a time: its ranks take the
# cores), and the tests of a file that build a module-scoped fixture (a docs site, a trained
# run), which would otherwise be built once per worker.
SHARED_SCOPES = {"module", "package", "class"}


def xdist_group(item: pytest.Item) -> str | None:
    """The group an item runs in under ``--dist loadgroup``, or None to let it go anywhere."""
    if item.get_closest_marker("mpi"):
        return "mpi"
    if "browser" in item.fixturenames:
        return "browser"
    fixtures = getattr(item, "_fixtureinfo", None)
    definitions = fixtures.name2fixturedefs.values() if fixtures else ()
    if any(d.scope in SHARED_SCOPES for defs in definitions for d in defs):
        return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = xdist_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
