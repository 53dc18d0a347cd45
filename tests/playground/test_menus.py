"""The page's engine menus come from the registry: the server's hello carries every engine's
name, label, inits, default init and capabilities, a newly registered engine among them, and a
tab can switch to that engine and train on it."""

from __future__ import annotations

import pytest
from test_registry import TOY

from chainrule.models import ENGINES, registered

from .conftest import need_web_stack
from .test_server import tab_on


@pytest.fixture(scope="module", autouse=True)
def web_stack():
    need_web_stack()


def test_hello_carries_the_registry_and_a_new_engine_plays(playground):
    with registered(TOY), tab_on(playground.url) as tab:
        engines = tab.hello["engines"]
        assert [e["name"] for e in engines] == list(ENGINES) and engines[-1]["name"] == "toy"
        reply = tab.ask("configure", settings={"engine": "toy"})
        assert reply["type"] == "frame" and tab.ask("step")["epoch"] == 1
    assert all(
        set(e) == {"name", "label", "description", "inits", "default_init", "capabilities"}
        for e in engines
    )
    by_name = {e["name"]: e for e in engines}
    assert by_name["toy"]["inits"] == ["scaled", "normal"]
    assert by_name["toy"]["default_init"] == "scaled"
    assert by_name["network"]["capabilities"]["explains_per_layer"] is True
    assert by_name["value"]["capabilities"]["costs"] == ["quadratic"]
    assert "he" in by_name["tensor"]["inits"] and "he" not in by_name["network"]["inits"]
