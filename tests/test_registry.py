"""The registry tells the truth: an engine is one entry (``Engine``: the class and what it can
do), and everything else follows from it. A fourth engine registered in one place here trains
(the API and ``chainrule train``), passes ``check``, survives a model file and a checkpoint, and
plays in the playground; and no module outside the registry compares an engine's name."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.check import gradcheck
from chainrule.cli.app import run
from chainrule.errors import InputError
from chainrule.models import ENGINES, Engine, build, registered
from chainrule.models.registry import as_explainer, inits
from chainrule.network import Network
from chainrule.playground.session import Session
from chainrule.runs import load_checkpoint
from chainrule.train import train

SRC = Path(chainrule.__file__).parent
REGISTRY = SRC / "models" / "registry.py"
ENGINE_WORDS = ("engine", "--engine")


class ToyNetwork(Network):
    """A fourth engine for the tests: the book's network under another name, which does not
    explain per layer (so the playground and ``explain`` must mirror it)."""

    engine = "toy"


TOY = Engine(
    "toy", ToyNetwork, "a toy for the tests", ("scaled", "normal"), "scaled", options=("form",)
)


@pytest.fixture
def toy():
    with registered(TOY) as engine:  # the one place the toy engine is added
        yield engine
    assert "toy" not in ENGINES


def test_a_fourth_engine_builds_trains_and_round_trips(toy, tmp_path):
    net = build("toy", [2, 4, 1], "tanh", "quadratic", "scaled", seed=1)
    assert type(net) is ToyNetwork and net.engine == "toy"
    X = np.random.default_rng(0).uniform(-1, 1, (64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    history = train(net, X, y, epochs=15, batch_size=8, lr=0.5, seed=0)
    assert history.epochs[-1].cost < history.epochs[0].cost
    path = chainrule.save(net, tmp_path / "toy.npz")
    again = chainrule.load(path)
    assert type(again) is ToyNetwork and again.describe() == net.describe()
    for name, array in net.parameters().items():
        assert again.parameters()[name].tobytes() == array.tobytes()
    # Mirrored in an engine that explains per layer, with the very same weights.
    mirror = as_explainer(net)
    assert mirror is not net and ENGINES[mirror.engine].explains_per_layer
    np.testing.assert_array_equal(mirror.outputs(X), net.outputs(X))


def test_the_command_line_trains_checks_and_checkpoints_the_fourth_engine(toy, tmp_path, capsys):
    out = tmp_path / "run"
    train_toy = ["train", "xor", "--engine", "toy", "--epochs", "2", "--checkpoint-every", "1"]
    assert run([*train_toy, "--out", str(out)]) == 0
    settings, model, position, _ = load_checkpoint(out)
    assert settings["engine"] == "toy" and type(model) is ToyNetwork and position.epoch == 3
    assert type(chainrule.load(out / "model.npz")) is ToyNetwork
    assert run(["check", str(out), "--dataset", "xor"]) == 0
    assert "passed" in capsys.readouterr().out.lower()
    assert run(["check", "--engine", "toy", "--dataset", "xor", "--layers", "2", "3", "1"]) == 0
    assert "toy" in run_help(capsys, "train")


def run_help(capsys, command: str) -> str:
    """A command's --help text."""
    with pytest.raises(SystemExit):
        run([command, "--help"])
    return capsys.readouterr().out


def test_the_playground_plays_the_fourth_engine(toy):
    session = Session({"engine": "toy", "data": "xor", "init": "scaled"})
    assert type(session.model) is ToyNetwork
    for _ in range(3):
        assert session.train_epoch()
    frame = session.frame()
    assert frame["epoch"] == 3 and len(frame["neurons"]) == len(session.sizes)
    rows = {row["engine"]: row for row in session.agreement()["engines"]}
    assert set(rows) == set(ENGINES) and rows["toy"]["max_diff"] == 0.0
    assert rows["network"]["max_diff"] < 1e-12  # the same weights on another engine
    assert session.gradcheck()["passed"]
    with pytest.raises(InputError, match="the toy engine has no init 'he'"):
        build("toy", [2, 3, 1], init="he")


def test_an_entry_must_be_its_class_and_offer_its_default(toy):
    mislabelled = Engine("other", ToyNetwork, "mislabelled", ("normal",))
    with pytest.raises(InputError, match="its class's `engine` attribute"), registered(mislabelled):
        pass
    no_default = Engine("toy", ToyNetwork, "no default", ("normal",), "he")
    with pytest.raises(InputError, match="default init"), registered(no_default):
        pass
    assert set(inits()) >= set(TOY.inits)


def test_gone_when_unregistered():
    assert "toy" not in ENGINES
    with pytest.raises(InputError, match="unknown engine 'toy'"):
        build("toy", [2, 3, 1])
    net = Network([2, 3, 1], seed=0)
    assert gradcheck(net, np.zeros((2, 2)), np.array([0, 1])).passed


# ------------------------------------------------------------------------------ no name branches
def name_comparisons(source: str, names) -> list[str]:
    """The lines of Python ``source`` whose code (not a docstring or comment) compares with an
    engine's name or passes one as a literal: ``x == "n"``, ``"n" != x``, ``x in ("n", ...)``,
    ``f(engine="n")``, ``{"engine": "n"}``, ``build("n", ...)``, and a name given next to the word
    ``engine`` (``add_argument("--engine", default="n")``, ``getattr(args, "engine", "n")``)."""

    def named(node) -> bool:
        return isinstance(node, ast.Constant) and node.value in names

    def holds(node) -> bool:
        elements = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
        return any(named(e) for e in elements)

    def branches(node) -> bool:
        if isinstance(node, ast.Compare):
            return any(map(holds, [node.left, *node.comparators]))
        if isinstance(node, ast.keyword):
            return node.arg == "engine" and named(node.value)
        if isinstance(node, ast.Dict):
            return any(
                isinstance(k, ast.Constant) and k.value == "engine" and named(v)
                for k, v in zip(node.keys, node.values)
            )
        if isinstance(node, ast.Call):
            callee = getattr(node.func, "id", getattr(node.func, "attr", ""))
            values = [*node.args, *(k.value for k in node.keywords)]
            about_engine = any(
                isinstance(a, ast.Constant) and a.value in ENGINE_WORDS for a in values
            )
            return any(map(named, values)) and (
                about_engine or callee in ("build", "engine_info", "engine_class")
            )
        return False

    lines = {node.lineno for node in ast.walk(ast.parse(source)) if branches(node)}
    text = source.splitlines()
    return [text[n - 1].strip() for n in sorted(lines)]


def test_the_search_finds_each_kind_of_name_branch():
    planted = [
        'if model.engine == "value": pass',
        "if 'tensor' != kind: pass",
        'if engine in ("network", "tensor"): pass',
        'twin(model, engine="network")',
        'DEFAULTS = {"engine": "network"}',
        'registry.build("tensor", sizes)',
        'p.add_argument("--engine", choices=list(ENGINES), default="network")',
        'kind = getattr(args, "engine", "value")',
    ]
    assert name_comparisons("\n".join(planted), ENGINES) == planted
    harmless = [
        '"""build("tensor", ...) in a docstring"""',
        'engine = "network"  # a class naming its own engine',
        'kind = {"kind": "value"}',
        'x = message["value"]',
    ]
    assert name_comparisons("\n".join(harmless), ENGINES) == []


def test_no_module_outside_the_registry_compares_an_engine_name():
    found = {
        str(path.relative_to(SRC)): lines
        for path in sorted(SRC.rglob("*.py"))
        if path != REGISTRY and (lines := name_comparisons(path.read_text(), ENGINES))
    }
    assert found == {}, f"ask the registry (ENGINES[name].capability) instead: {found}"


def test_the_playground_offers_each_engine_its_own_inits(toy):
    session = Session({"engine": "tensor", "init": "he"})
    session.configure({"engine": "toy"})  # no "he" on the toy: its own default init instead
    assert session.settings["init"] == "scaled" and type(session.model) is ToyNetwork
    with pytest.raises(InputError, match="unknown initial weights 'he': choose one of scaled"):
        session.configure({"init": "he"})
