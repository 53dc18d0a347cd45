"""`chainrule check | explain | plot | graph`, through a parser built the way the main command
builds its own (subparsers plus a --debug parent), as a user types them."""

import pytest
from image_files import gif_size, png_size

from chainrule.cli import main as chainrule_main
from chainrule.cli.app import build_parser
from chainrule.errors import InputError
from chainrule.network import Network


def run(*argv):
    """Run a command as the real parser parses it, errors raised (not turned into exit 2)."""
    args = build_parser().parse_args([str(a) for a in argv])
    return args.run(args)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert chainrule_main(["train", "digits", "--epochs", "2", "--json", "--out", str(out)]) == 0
    return out


def test_check_a_fresh_network_prints_a_passing_table(capsys, tmp_path):
    assert run("check", "--layers", "64", "6", "10", "--out", tmp_path / "t.txt") == 0
    out = capsys.readouterr().out
    assert "gradcheck of Network([64, 6, 10]" in out and "passed: every group within 1e-06" in out
    for group in ("W1", "b1", "W2", "b2"):
        assert f"\n{group} " in out
    assert (tmp_path / "t.txt").read_text().startswith("gradcheck of Network([64, 6, 10]")


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_check_other_engines(engine, capsys):
    assert run("check", "--engine", engine, "--layers", "64", "3", "10", "--samples", "3") == 0
    out = capsys.readouterr().out
    assert {"tensor": "TensorNetwork", "value": "ValueNetwork"}[engine] in out and "passed" in out


def test_check_a_trained_run_in_float64_and_in_float32(run_dir, capsys):
    assert run("check", run_dir, "--max-params", "50") == 0
    out = capsys.readouterr().out
    assert "Network([64, 30, 10]" in out and "dtype=float64" in out and "50/1920" in out
    assert run("check", run_dir, "--float32", "--max-params", "20") == 0
    captured = capsys.readouterr()
    assert "central differences in float32" in captured.out
    assert captured.err.startswith("warning: float32 finite differences are only good to ~1e-3")


def test_check_exits_1_when_the_gradient_is_wrong(monkeypatch, capsys):
    honest = Network.backprop_batch

    def broken(self, X, Y, scale=None):
        nabla_b, nabla_w = honest(self, X, Y, scale)
        return nabla_b, [2 * nw for nw in nabla_w]  # every weight gradient doubled

    monkeypatch.setattr(Network, "backprop_batch", broken)
    assert run("check", "--layers", "64", "4", "10") == 1
    assert "FAILED: W1, W2 off by more than 1e-06" in capsys.readouterr().out


def test_explain_a_fresh_network(capsys):
    assert run("explain", "W1[0,1]") == 0
    out = capsys.readouterr().out
    assert out.startswith("The chain rule for W1[0,1] on one sample")
    assert "The network [2, 3, 2]" in out and "finite difference (eps 1e-06)" in out


def test_explain_the_one_neuron_chain_given_by_hand(capsys):
    argv = ["explain", "W1[0,0]", "--layers", "1", "1", "1", "--input", "1.5", "--target", "0"]
    assert run(*argv) == 0
    out = capsys.readouterr().out
    assert "sample x = [1.5], target y = [0]" in " ".join(out.split()) and "(BP2;" in out


def test_explain_a_trained_run_to_markdown_and_html(run_dir, capsys, tmp_path):
    assert run("explain", "W2[3,7]", "--model", run_dir, "--out", tmp_path / "e.md") == 0
    out = capsys.readouterr().out
    assert "The network [64, 30, 10]" in out and f"markdown written to {tmp_path / 'e.md'}" in out
    assert (tmp_path / "e.md").read_text().startswith("### The chain rule for W2[3,7]")
    assert run("explain", "b1[0]", "--model", run_dir, "--split", "test", "--format", "html") == 0
    assert capsys.readouterr().out.startswith('<div class="chainrule-explain">')


def test_explain_refuses_bad_names_and_samples(run_dir):
    with pytest.raises(InputError, match=r"has no parameter 'W9\[0,0\]'; name a weight W1\[j,k\]"):
        run("explain", "W9[0,0]", "--model", run_dir)
    with pytest.raises(InputError, match="--sample must be 0 to 1346"):
        run("explain", "W1[0,0]", "--model", run_dir, "--sample", "5000")


def test_plots_over_a_run_folder(run_dir, capsys, tmp_path):
    assert run("plot", "history", run_dir, "--out", tmp_path / "h.png") == 0
    assert png_size(tmp_path / "h.png") == (1000, 400)
    assert run("plot", "weights", run_dir) == 0
    assert png_size(run_dir / "weights.png") == (800, 800)
    assert run("plot", "misclassified", run_dir, "--out", tmp_path / "m.png") == 0
    assert png_size(tmp_path / "m.png") == (800, 800)
    assert run("plot", "gradnorms", run_dir, "--out", tmp_path / "g.png") == 0
    assert png_size(tmp_path / "g.png") == (800, 500)
    out = capsys.readouterr().out
    assert "test samples misclassified; grid written to" in out
    assert "first-layer weights (30 hidden neurons)" in out


def test_plots_from_fresh_runs(capsys, tmp_path):
    small = ["--train-samples", "300", "--epochs", "2"]
    assert run("plot", "sweep", *small, "--rates", "0.3", "3", "--out", tmp_path / "s.png") == 0
    out = capsys.readouterr().out
    assert "lr = 3        diverged in epoch 1" in out and "diverged: 3\n" in out
    assert png_size(tmp_path / "s.png") == (800, 500)
    assert run("plot", "gradnorms", *small, "--out", tmp_path / "g.png") == 0
    assert "the first layer's gradient is" in capsys.readouterr().out
    assert png_size(tmp_path / "g.png") == (800, 500)
    assert run("plot", "descent", *small, "--out", tmp_path / "d.png") == 0
    out = capsys.readouterr().out
    assert "stochastic (1 per step)" in out and "after 600 examples" in out
    assert png_size(tmp_path / "d.png") == (1200, 500)


def test_plot_needs_a_run_folder_that_exists(tmp_path):
    with pytest.raises(InputError, match="give a run folder written by `chainrule train"):
        run("plot", "weights", tmp_path / "nowhere")
    with pytest.raises(InputError, match="history.json does not exist"):
        run("plot", "history", tmp_path)


def test_graph_writes_the_gif_and_the_page(capsys, tmp_path):
    assert run("graph", "lecture", "--out", tmp_path, "--no-dot") == 0
    assert "the backward pass of the lecture example in 9 frames" in capsys.readouterr().out
    assert gif_size(tmp_path / "backward.gif") == (1000, 600)
    assert (tmp_path / "backward.html").read_text().count('<figure class="frame"') == 9


def test_every_command_takes_out_and_debug():
    for argv in (
        ["check", "--out", "x", "--debug"],
        ["explain", "W1[0,0]", "--out", "x", "--debug"],
        ["graph", "--out", "x", "--debug"],
        *(["plot", kind, "--out", "x", "--debug"] for kind in ("sweep", "descent", "gradnorms")),
        *(["plot", kind, "RUN", "--out", "x"] for kind in ("history", "weights", "misclassified")),
    ):
        args = build_parser().parse_args(argv)
        assert args.out == "x" and callable(args.run)
