"""The makemore backprop exercise (examples/makemore_backprop.py): every hand-written gradient
equals autograd's to 1e-12 in float64; autograd's parameter gradients equal HIPS autograd's of
the same network written in autograd.numpy; a wrong hand-written line is caught; training
brings the loss well below the uniform guess."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "makemore_backprop.py"


@pytest.fixture(scope="module")
def mm():
    spec = importlib.util.spec_from_file_location("makemore_backprop", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def batch(mm):
    Xtr, Ytr = mm.build_dataset(mm.names())
    P = mm.init_parameters()
    ix = np.random.default_rng(7).integers(0, Xtr.shape[0], 32)
    Xb, Yb = Xtr[ix], Ytr[ix]
    t = mm.forward(P, Xb, Yb)
    t["loss"].backward()
    return P, t, Xb, Yb


def test_the_data_is_name_like_and_the_same_every_run(mm):
    words = mm.names()
    assert words == mm.names() and len(words) == 600
    assert all(w and set(w) <= set(mm.LETTERS) for w in words)
    X, Y = mm.build_dataset(words[:2])
    assert X.shape == (len(words[0]) + len(words[1]) + 2, 3)
    assert X[0].tolist() == [0, 0, 0] and Y[len(words[0])].item() == 0  # "." ends each word


def test_every_hand_written_gradient_matches_autograd(mm, batch):
    P, t, Xb, Yb = batch
    d = mm.manual_backward(P, t, Xb, Yb)
    expected = set(t) - {"loss"} | set(P)
    assert set(d) == expected  # an intermediate for every step, and every parameter
    for name, g in d.items():
        autograd = ({**t, **P})[name].grad
        assert g.shape == autograd.shape, name
        np.testing.assert_allclose(g.numpy(), autograd.numpy(), rtol=0, atol=1e-12, err_msg=name)
    assert max(mm.compare(P, t, d).values()) <= 1e-12


def test_a_wrong_hand_written_line_is_caught(mm, batch):
    """Forgetting that bndiff is used twice (its second contribution) must show."""
    P, t, Xb, Yb = batch
    d = mm.manual_backward(P, t, Xb, Yb)
    d["bndiff"] = t["bnvar_inv"] * (P["bngain"] * d["hpreact"])  # the first path only
    autograd = t["bndiff"].grad
    assert (d["bndiff"] - autograd).abs().max().item() > 1e-6


def _ag_loss(C, W1, b1, W2, b2, bngain, bnbias, X, Y):
    """The same network in autograd.numpy (HIPS autograd as the independent judge)."""
    n = X.shape[0]
    h = C[X].reshape(n, -1) @ W1 + b1
    diff = h - anp.mean(h, axis=0, keepdims=True)
    var = anp.sum(diff**2, axis=0, keepdims=True) / (n - 1)
    h = anp.tanh(bngain * diff / anp.sqrt(var + 1e-5) + bnbias)
    logits = h @ W2 + b2
    z = logits - anp.max(logits, axis=1, keepdims=True)
    logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    return -anp.mean(logp[np.arange(n), Y])


def test_autograd_of_the_parameters_agrees_with_hips_autograd(mm, batch):
    P, t, Xb, Yb = batch
    names = ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"]
    arrays = [P[k].numpy().copy() for k in names]
    X, Y = Xb.numpy(), Yb.numpy()
    assert t["loss"].item() == pytest.approx(float(_ag_loss(*arrays, X, Y)), rel=1e-13)
    for i, name in enumerate(names):
        reference = ag_grad(_ag_loss, i)(*arrays, X, Y)
        np.testing.assert_allclose(P[name].grad.numpy(), reference, rtol=1e-9, atol=1e-13)


def test_training_brings_the_loss_well_below_the_uniform_guess(mm):
    before, after = mm.train(steps=1500)
    assert before > math.log(27) - 0.2  # a fresh net is about as good as guessing
    assert after < 2.0 < math.log(27) - 1.2
