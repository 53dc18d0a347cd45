"""The backward pass frame by frame: one node per frame in reverse topological order, the
gradients those of Value.backward, written as a GIF (no Graphviz needed) and as one HTML page
of SVG frames (with Graphviz or without)."""

import re
from xml.etree import ElementTree

import pytest
from image_files import gif_size
from PIL import Image

from chainrule import Value
from chainrule.errors import InputError
from chainrule.scalar.engine import topological_order
from chainrule.viz import animate
from chainrule.viz import graph as graph_module
from chainrule.viz.animate import backward_frames, example, save_gif, save_html


def _grads_by_backward(name):
    root = example(name)
    root.backward()
    return {v.label: v.grad for v in topological_order(root)}


@pytest.mark.parametrize("name", ["lecture", "neuron", "reuse"])
def test_frames_visit_one_node_each_outputs_first_and_end_with_backwards_gradients(name):
    root = example(name)
    order, frames = backward_frames(root)
    assert order == topological_order(root)
    assert len(frames) == len(order) + 2  # forward only, one per node, finished
    assert frames[0].current is None and not frames[0].grads and not frames[0].done
    visited = [f.current for f in frames[1:-1]]
    assert visited == list(reversed(order))
    for k, frame in enumerate(frames[1:-1], start=1):
        assert len(frame.done) == k  # exactly one more gradient complete per frame
    final = {v.label: frames[-1].grads[id(v)] for v in order}
    assert final == pytest.approx(_grads_by_backward(name), rel=1e-15)
    assert all(v.grad == 0.0 for v in order)  # the graph's own grads are not touched


def test_a_value_used_three_times_collects_every_contribution():
    order, frames = backward_frames(example("reuse"))  # y = x*x + x at x = 3
    x = next(v for v in order if v.label == "x")
    seen = [f.grads.get(id(x)) for f in frames]
    assert seen[:2] == [None, 1.0]  # after y: only the "+ x" path so far
    assert seen[-1] == 7.0  # 2x + 1
    assert "x.grad += 1 x 3 = 3; x.grad += 1 x 3 = 3" in frames[2].caption


def test_lecture_captions_give_the_numbers():
    _, frames = backward_frames(example("lecture"))
    assert frames[1].caption.startswith("L: the seed, dL/dL = 1.")
    assert "d.grad += 1 x -2 = -2; f.grad += 1 x 4 = 4" in frames[1].caption
    assert any(f.caption == "a: a leaf; its gradient 6 is dL/da." for f in frames)


def test_the_gif_has_every_frame_at_the_size_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)  # no Graphviz needed
    root = example("lecture")
    path = save_gif(root, tmp_path / "b.gif")
    assert gif_size(path) == (1000, 600)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 7 + 2 and gif.info["loop"] == 0
    small = save_gif(root, tmp_path / "s.gif", size=(6, 4))
    assert gif_size(small) == (600, 400)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.gif", "s.gif"]


def _frames_of(page):
    return re.findall(
        r'<figure class="frame" data-frame="(\d+)"( hidden)?>(.*?)</figure>', page, re.S
    )


def test_the_html_page_without_graphviz_draws_svg_with_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    page = save_html(example("lecture"), tmp_path / "b.html").read_text()
    frames = _frames_of(page)
    assert [int(k) for k, _, _ in frames] == list(range(9))
    assert [bool(h) for _, h, _ in frames] == [False] + [True] * 8  # the first one shows
    assert all(body.count("<svg") == 1 for _, _, body in frames)
    for _, _, body in frames:  # each frame is well-formed SVG
        svg = ElementTree.fromstring(body[: body.index("</svg>") + len("</svg>")])
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r'(src|href)="(https?:|//)|<link', page)  # nothing fetched from outside
    assert "drawn with matplotlib" in page
    assert "grad ?" in frames[0][2] and "grad 6.0000" in frames[-1][2]  # a's gradient, at last
    assert "grad 6.0000" not in frames[1][2]


@pytest.mark.skipif(not graph_module.has_dot(), reason="Graphviz's dot program is not installed")
def test_the_html_page_with_graphviz(tmp_path):
    page = save_html(example("lecture"), tmp_path / "b.html").read_text()
    frames = _frames_of(page)
    assert len(frames) == 9 and "drawn with Graphviz" in page
    assert "grad 6.0000" in frames[-1][2] and "grad ?" in frames[0][2]


def test_use_dot_without_dot_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="dot program is not installed"):
        save_html(example("reuse"), tmp_path / "b.html", use_dot=True)


def test_a_big_graph_is_refused_with_advice(tmp_path):
    x = Value(1.0, "x")
    y = x
    for _ in range(animate.MAX_NODES):
        y = y * 1.0001
    with pytest.raises(InputError, match="animate a smaller part"):
        save_gif(y, tmp_path / "big.gif")
    assert not (tmp_path / "big.gif").exists()
    with pytest.raises(InputError, match="unknown example 'mlp'"):
        example("mlp")
