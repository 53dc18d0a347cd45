"""Drawing a Value's graph: every value a record with label, data and grad; every op its own
node; a picture where Graphviz's dot exists, DOT text and a how-to otherwise."""

import re

import pytest

from chainrule import Value
from chainrule.errors import InputError
from chainrule.viz import GraphvizMissing, draw, render
from chainrule.viz import graph as graph_module


def _lecture_graph():
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def test_every_value_shows_label_data_and_grad_and_every_op_is_a_node():
    dot = draw(_lecture_graph()).source
    records = re.findall(r'label="\{ (\w+) \| data (-?[\d.]+) \| grad (-?[\d.]+) \}"', dot)
    # L = (a*b + c) * f = (-6 + 10) * -2 = -8; dL/da = f*b = 6, dL/db = f*a = -4, dL/dc = f = -2.
    assert sorted(records) == sorted(
        [
            ("a", "2.0000", "6.0000"),
            ("b", "-3.0000", "-4.0000"),
            ("c", "10.0000", "-2.0000"),
            ("f", "-2.0000", "4.0000"),
            ("e", "-6.0000", "-2.0000"),
            ("d", "4.0000", "-2.0000"),
            ("L", "-8.0000", "1.0000"),
        ]
    )
    ops = re.findall(r'label="([*+])" shape=ellipse', dot)
    assert sorted(ops) == ["*", "*", "+"]
    assert dot.count("->") == 3 + 6  # op -> its output, and each input -> its op


def test_render_without_dot_writes_dot_text_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    L = _lecture_graph()
    with pytest.warns(GraphvizMissing, match=r"dot -Tsvg .*L\.dot -o .*L\.svg"):
        written = render(L, tmp_path / "L.svg")
    assert written == tmp_path / "L.dot"
    assert written.read_text() == draw(L).source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["L.dot"]  # no temporary left behind
    assert L._repr_mimebundle_() == {
        "text/plain": repr(L) + "\n(install Graphviz's dot program to see the graph)"
    }


@pytest.mark.skipif(not graph_module.has_dot(), reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_render_with_dot_writes_a_picture(tmp_path, fmt, magic):
    written = render(_lecture_graph(), tmp_path / f"L.{fmt}")
    assert written.suffix == "." + fmt and written.read_bytes().startswith(magic)


def test_grads_that_are_values_are_drawn_by_their_data():
    x = Value(0.5, "x")
    (x**3).backward(create_graph=True)
    assert "grad 0.7500" in draw(x).source


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(InputError, match="svg, png, dot"):
        render(Value(1.0), tmp_path / "g.gif")
    assert list(tmp_path.iterdir()) == []


def test_jupyter_shows_big_graphs_as_text_not_a_minutes_long_drawing():
    x = Value(1.0, "x")
    v = x
    for _ in range(600):
        v = v * 1.0
    bundle = v._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "too big to draw here" in bundle["text/plain"]
