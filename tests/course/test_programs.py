"""Each program of examples/course runs on chainrule and on real PyTorch, the same file with only
the import lines changed (tests/course/programs.py), from the same initial weights (PyTorch's,
copied into chainrule), on the same minibatches, dropout masks and samples: the loss of every
step agrees to 1e-10 relative in float64 and to 1e-5 in float32."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import torch as real_torch
from makemore_data import read_words, splits

import chainrule.tensor as chainrule_torch
from course.programs import array, copy_into, load, shared_randomness

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"chainrule": chainrule_torch, "torch": real_torch}
RTOL = {"float64": 1e-10, "float32": 1e-5}


@contextlib.contextmanager
def default_dtype(name):
    """Both frameworks create floating tensors as ``name`` inside."""
    before = {k: t.get_default_dtype() for k, t in FRAMEWORKS.items()}
    for t in FRAMEWORKS.values():
        t.set_default_dtype(getattr(t, name))
    try:
        yield
    finally:
        for k, t in FRAMEWORKS.items():
            t.set_default_dtype(before[k])


def both(name, path=None):
    """The program on each framework: {"chainrule": module, "torch": module}."""
    return {k: load(name, k, path) for k in FRAMEWORKS}


def close(ours, theirs, rtol, atol=0.0):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol, atol)


def makemore(block_size=3, words=300):
    """The first ``words`` names' training and dev examples, as Python lists."""
    chosen, stoi, itos = read_words(count=words)
    (X, Y), (Xd, Yd), _ = splits(chosen, stoi, block_size)
    return X, Y, Xd, Yd, stoi, itos


def minibatches(n, steps, size=32, seed=0):
    return [np.random.default_rng(seed + i).integers(0, n, size).tolist() for i in range(steps)]


def on(torch, batches):
    return [torch.tensor(ix) for ix in batches]


def test_bigram_counts_and_the_neural_bigram_agree():
    programs = both("bigram")
    words, stoi, itos = read_words(count=300)
    results = {}
    for k, program in programs.items():
        N = program.count(words, stoi)
        P = program.counting_model(N)
        xs, ys = program.bigrams(words, stoi)
        results[k] = {"N": array(N), "P": array(P), "nll": program.nll(P, words, stoi).item()}
        results[k]["W"] = program.init_weights()
        results[k]["data"] = xs, ys
        with shared_randomness(FRAMEWORKS[k], seed=3):
            results[k]["samples"] = program.sample(P, itos, count=5)
    ours, theirs = results["chainrule"], results["torch"]
    assert (ours["N"] == theirs["N"]).all() and ours["N"].sum() == sum(len(w) + 1 for w in words)
    close(ours["P"], theirs["P"], 1e-6)
    close(ours["nll"], theirs["nll"], 1e-5)
    assert ours["samples"] == theirs["samples"]
    copy_into(chainrule_torch, [ours["W"]], [theirs["W"]])
    losses = {k: programs[k].train(r["W"], *r["data"], steps=20) for k, r in results.items()}
    close(losses["chainrule"], losses["torch"], RTOL["float32"])
    assert losses["torch"][-1] < losses["torch"][0] - 0.5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_mlp_agrees_step_by_step(dtype):
    programs = both("mlp")
    X, Y, Xd, Yd, _, itos = makemore()
    batches = minibatches(len(X), 30)
    losses, sweep, dev, samples, params = {}, {}, {}, {}, {}
    with default_dtype(dtype):
        for k, program in programs.items():
            params[k] = program.init_parameters(n_hidden=64)
        copy_into(chainrule_torch, params["chainrule"], params["torch"])
        for k, program in programs.items():
            torch = FRAMEWORKS[k]
            Xt, Yt = torch.tensor(X), torch.tensor(Y)
            losses[k] = program.train(params[k], Xt, Yt, 30, on(torch, batches))
            dev[k] = program.split_loss(params[k], torch.tensor(Xd), torch.tensor(Yd))
            lrs = 10 ** torch.linspace(-3, 0, 10)
            fresh = [p.detach().clone().requires_grad_() for p in params[k]]
            sweep[k] = program.train(fresh, Xt, Yt, 10, on(torch, batches), lrs=lrs)
            with shared_randomness(torch, seed=5):
                samples[k] = program.sample(params[k], itos, count=5)
    for results in (losses, sweep, dev):
        close(results["chainrule"], results["torch"], RTOL[dtype])
    assert samples["chainrule"] == samples["torch"]
    assert losses["torch"][-1] < losses["torch"][0]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batchnorm_and_its_statistics_agree(dtype):
    programs = both("batchnorm")
    X, Y, *_ = makemore()
    batches = minibatches(len(X), 20)
    models, losses, ud, stats = {}, {}, {}, {}
    with default_dtype(dtype):
        for k, program in programs.items():
            models[k] = program.build(n_hidden=32, depth=3)
        copy_into(chainrule_torch, models["chainrule"][2], models["torch"][2])
        for k, program in programs.items():
            torch = FRAMEWORKS[k]
            _, layers, parameters = models[k]
            losses[k], ud[k] = program.train(
                models[k], torch.tensor(X), torch.tensor(Y), 20, on(torch, batches)
            )
            rows, ratios = program.statistics(layers, parameters)
            stats[k] = [[*row[:6], *array(row[6]), *array(row[7])] for row in rows], ratios
    rtol = RTOL[dtype]
    atol = 1e-12 if dtype == "float64" else 1e-6  # for the quantities that are 0 up to rounding
    close(losses["chainrule"], losses["torch"], rtol)
    # after the first step a gamma's or beta's spread is the update's own: log10(1) = 0, rounded
    close(ud["chainrule"], ud["torch"], rtol, atol)
    (ours, our_ratios), (theirs, their_ratios) = stats["chainrule"], stats["torch"]
    assert [shape for shape, _ in our_ratios] == [shape for shape, _ in their_ratios]
    close([r for _, r in our_ratios], [r for _, r in their_ratios], rtol)
    # activation and gradient means are near 0: compared with an absolute floor
    close(ours, theirs, rtol * 10, atol)


def test_the_backprop_ninja_exercise_agrees_with_pytorch():
    programs = both("makemore_backprop", ROOT / "examples" / "makemore_backprop.py")
    X, Y = programs["torch"].build_dataset(programs["torch"].names())
    ix = np.random.default_rng(7).integers(0, X.shape[0], 32)
    found = {}
    P = {k: program.init_parameters() for k, program in programs.items()}
    names = list(P["torch"])
    copy_into(chainrule_torch, [P["chainrule"][n] for n in names], [P["torch"][n] for n in names])
    for k, program in programs.items():
        torch = FRAMEWORKS[k]
        Xb, Yb = torch.tensor(array(X)[ix]), torch.tensor(array(Y)[ix])
        t = program.forward(P[k], Xb, Yb)
        t["loss"].backward()
        found[k] = t["loss"].item(), program.manual_backward(P[k], t, Xb, Yb)
    (our_loss, ours), (their_loss, theirs) = found["chainrule"], found["torch"]
    close(our_loss, their_loss, 1e-12)
    assert set(ours) == set(theirs)
    for name in ours:
        close(array(ours[name]), array(theirs[name]), 1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_wavenet_hierarchy_agrees_step_by_step(dtype):
    programs = both("wavenet")
    X, Y, Xd, Yd, *_ = makemore(block_size=8)
    batches = minibatches(len(X), 20)
    models, losses, dev = {}, {}, {}
    with default_dtype(dtype):
        for k, program in programs.items():
            models[k] = program.build(n_embd=10, n_hidden=32)
        copy_into(chainrule_torch, models["chainrule"].parameters(), models["torch"].parameters())
        for k, program in programs.items():
            torch = FRAMEWORKS[k]
            losses[k] = program.train(
                models[k], torch.tensor(X), torch.tensor(Y), 20, on(torch, batches)
            )
            dev[k] = program.split_loss(models[k], torch.tensor(Xd), torch.tensor(Yd))
    close(losses["chainrule"], losses["torch"], RTOL[dtype])
    close(dev["chainrule"], dev["torch"], RTOL[dtype])  # the running statistics, in eval mode
    assert losses["torch"][-1] < losses["torch"][0]


def state_dict_into(torch, model, source):
    """Load ``source``'s state dict (either framework) into ``model`` (framework ``torch``)."""
    model.load_state_dict({k: torch.tensor(array(v)) for k, v in source.state_dict().items()})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gpt_agrees_step_by_step_with_dropout(dtype):
    programs = both("gpt")
    sizes = {"batch_size": 4, "block_size": 8, "n_embd": 16, "n_head": 4, "n_layer": 2}
    models, losses, bigram, generated, data = {}, {}, {}, {}, {}
    with default_dtype(dtype):
        for k, program in programs.items():
            config = program.Config()
            vars(config).update(sizes)
            train_data, _, vocab_size, decode = program.read_text()
            data[k] = config, train_data, vocab_size, decode
            models[k] = program.GPTLanguageModel(config, vocab_size)
            bigram[k] = program.BigramLanguageModel(vocab_size)
        for model in (models, bigram):
            state_dict_into(chainrule_torch, model["chainrule"], model["torch"])
        n = len(data["torch"][1]) - sizes["block_size"]
        batches = minibatches(n, 12, size=sizes["batch_size"])
        for k, program in programs.items():
            torch = FRAMEWORKS[k]
            config, train_data, vocab_size, decode = data[k]
            with shared_randomness(torch, seed=11):
                losses[k] = program.train(models[k], train_data, config, 12, batches)
                bigram[k] = program.train(bigram[k], train_data, config, 12, batches)
                models[k].eval()
                start = torch.zeros((1, 1), dtype=torch.long)
                generated[k] = decode(models[k].generate(start, max_new_tokens=20)[0].tolist())
    close(losses["chainrule"], losses["torch"], RTOL[dtype])
    close(bigram["chainrule"], bigram["torch"], RTOL[dtype])
    assert generated["chainrule"] == generated["torch"]


def test_the_attention_trick_three_ways_agree():
    xbow, xbow2, xbow3 = load("gpt", "chainrule").averages_of_the_past()
    close(array(xbow2), array(xbow), 1e-5, atol=1e-6)  # the loop is the oracle
    close(array(xbow3), array(xbow), 1e-5, atol=1e-6)


def test_the_mnist_mlp_agrees_and_its_saved_weights_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    programs = both("mnist")
    args = programs["torch"].parse_args(["--log-interval", "1000"])
    models, losses, tested, lr = {}, {}, {}, {}
    for k, program in programs.items():
        models[k] = program.Net()
    state_dict_into(chainrule_torch, models["chainrule"], models["torch"])
    for k, program in programs.items():
        torch = FRAMEWORKS[k]
        train_loader = program.DataLoader(program.mnist(True, 320), batch_size=64)
        test_loader = program.DataLoader(program.mnist(False, 200), batch_size=100)
        optimizer = program.optim.SGD(models[k].parameters(), lr=0.01, momentum=0.9)
        scheduler = program.StepLR(optimizer, step_size=1, gamma=0.7)
        losses[k], tested[k] = [], []
        with shared_randomness(torch, seed=13):
            for epoch in (1, 2):
                losses[k] += program.train(args, models[k], "cpu", train_loader, optimizer, epoch)
                tested[k].append(program.test(models[k], "cpu", test_loader))
                scheduler.step()
        lr[k] = optimizer.param_groups[0]["lr"]
    close(losses["chainrule"], losses["torch"], RTOL["float32"])
    close([t[0] for t in tested["chainrule"]], [t[0] for t in tested["torch"]], RTOL["float32"])
    assert [t[1] for t in tested["chainrule"]] == [t[1] for t in tested["torch"]]
    assert lr["chainrule"] == pytest.approx(0.01 * 0.7**2)
    # the program's own main on chainrule: what torch.load gives back classifies as trained
    steps, trained, loaded = programs["chainrule"].main(
        ["--train-size", "256", "--test-size", "100", "--epochs", "1", "--log-interval", "1000"]
    )
    assert len(steps) == 4 and trained == loaded
    assert (tmp_path / "mnist_mlp.pt").exists()
