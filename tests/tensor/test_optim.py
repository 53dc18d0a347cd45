"""Optimizers with parameter groups and learning-rate schedules, step by step against real
PyTorch (2.13, CPU) from the same start: float64 parameters to 1e-12 relative every step."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as real

import chainrule.tensor as torch
from chainrule.errors import InputError
from chainrule.tensor import nn
from chainrule.tensor.optim import lr_scheduler


def _twins(seed=0):
    """The same small float64 model in chainrule and in PyTorch (our weights copied over)."""
    torch.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).to(torch.float64)
    theirs = real.nn.Sequential(real.nn.Linear(3, 5), real.nn.Tanh(), real.nn.Linear(5, 2))
    theirs = theirs.double()
    theirs.load_state_dict(
        {k: real.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


def _groups(model):
    """Weights decay at one rate, biases not at all and with their own learning rate."""
    named = list(model.named_parameters())
    return [
        {"params": [p for n, p in named if n.endswith("weight")], "weight_decay": 0.1},
        {"params": [p for n, p in named if n.endswith("bias")], "weight_decay": 0.0, "lr": 0.03},
    ]


def _run(ours, theirs, opt, topt, steps=12, sched=None, tsched=None):
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
        for model, o, X, Y in (
            (ours, opt, torch.tensor(x), torch.tensor(y)),
            (theirs, topt, real.from_numpy(x), real.from_numpy(y)),
        ):
            o.zero_grad()
            loss = ((model(X) - Y) ** 2).mean()
            loss.backward()
            o.step()
        if sched is not None:
            sched.step()
            tsched.step()
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13)
        for (n, p), (m, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert n == m
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14)
    for group, theirs_group in zip(opt.param_groups, topt.param_groups):
        assert group["lr"] == pytest.approx(theirs_group["lr"], rel=1e-13)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, groups: lib.optim.AdamW(groups, lr=0.01, betas=(0.8, 0.99)),
        lambda lib, groups: lib.optim.Adam(groups, lr=0.01),
        lambda lib, groups: lib.optim.SGD(groups, lr=0.05, momentum=0.9),
    ],
    ids=["AdamW", "Adam", "SGD"],
)
def test_parameter_groups_step_as_pytorch(make):
    ours, theirs = _twins()
    opt, topt = make(torch, _groups(ours)), make(real, _groups(theirs))
    assert len(opt.param_groups) == 2
    assert (
        opt.param_groups[1]["lr"] == 0.03
        and opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
    )
    for key in ("lr", "weight_decay"):
        assert [g[key] for g in opt.param_groups] == [g[key] for g in topt.param_groups]
    _run(ours, theirs, opt, topt)


SCHEDULES = {
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "LambdaLR": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9**e / (1 + e)),
    "LambdaLR per group": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(
        o, [lambda e: 1 - e / 30, lambda e: min(1.0, (e + 1) / 5)]
    ),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=7, eta_min=1e-4
    ),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_give_pytorchs_rates_and_the_same_training(name):
    ours, theirs = _twins(1)
    opt = torch.optim.AdamW(_groups(ours), lr=0.02)
    topt = real.optim.AdamW(_groups(theirs), lr=0.02)
    sched, tsched = SCHEDULES[name](torch, opt), SCHEDULES[name](real, topt)
    # the rate of epoch 0 is set on creation (LambdaLR's lambda(0) applies at once)
    np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13)
    _run(ours, theirs, opt, topt, steps=16, sched=sched, tsched=tsched)


def test_cosine_schedule_is_the_closed_form():
    p = nn.Parameter(np.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    rates = []
    for _ in range(11):
        rates.append(opt.param_groups[0]["lr"])
        sched.step()
    expected = [0.1 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14, atol=1e-17)


def test_a_parameter_in_two_groups_and_a_lone_tensor_are_refused():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    shared = real.nn.Parameter(real.zeros(1))
    with pytest.raises(ValueError, match="more than one parameter group"):
        real.optim.Adam([{"params": [shared]}, {"params": [shared]}])
    with pytest.raises(InputError, match="more than one parameter group"):
        torch.optim.AdamW([{"params": [p]}, {"params": [p, q]}])
    with pytest.raises(TypeError, match="iterable of parameters"):
        torch.optim.SGD(p, lr=0.1)
    opt = torch.optim.AdamW([p], lr=0.01)
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["weight_decay"] == 0.01
    with pytest.raises(InputError, match="more than one parameter group"):
        opt.add_param_group({"params": [q]})


def test_lambda_lr_needs_one_function_per_group():
    opt = torch.optim.SGD(_groups(_twins()[0]), lr=0.1)
    with pytest.raises(TypeError, match="one per param"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def _block(lib, n_embd=8, vocab=11):
    """The GPT lecture's pieces on (B, T, C): embedding, LayerNorm, a feed-forward block with
    GELU and Dropout (a residual around it), a ModuleList of two, the head."""
    n = lib.nn

    class FeedForward(n.Module):
        def __init__(self):
            super().__init__()
            self.ln = n.LayerNorm(n_embd)
            self.net = n.Sequential(
                n.Linear(n_embd, 4 * n_embd), n.GELU(), n.Linear(4 * n_embd, n_embd), n.Dropout(0.1)
            )

        def forward(self, x):
            return x + self.net(self.ln(x))

    class Model(n.Module):
        def __init__(self):
            super().__init__()
            self.tok = n.Embedding(vocab, n_embd)
            self.blocks = n.ModuleList([FeedForward(), FeedForward()])
            self.ln_f = n.LayerNorm(n_embd)
            self.head = n.Linear(n_embd, vocab)

        def forward(self, idx, targets):
            x = self.tok(idx)
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln_f(x))
            B, T, C = logits.shape
            return lib.nn.functional.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    return Model()


def test_a_transformer_feed_forward_model_trains_as_pytorchs_step_by_step():
    """AdamW with decay and no-decay groups, a cosine schedule and gradient clipping, in eval
    mode for dropout (its masks are random): float64 losses equal to 1e-10 relative."""
    torch.manual_seed(0)
    ours = _block(torch).to(torch.float64).eval()
    theirs = _block(real).double().eval()
    state = {k: real.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)

    def groups(model):
        named = list(model.named_parameters())
        return [
            {"params": [p for _, p in named if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for _, p in named if p.dim() < 2], "weight_decay": 0.0},
        ]

    opt, topt = torch.optim.AdamW(groups(ours), lr=3e-3), real.optim.AdamW(groups(theirs), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    tsched = real.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10)
    rng = np.random.default_rng(2)
    for _ in range(10):
        idx, targets = rng.integers(0, 11, (4, 5)), rng.integers(0, 11, (4, 5))
        losses, norms = [], []
        for model, o, s, lib in ((ours, opt, sched, torch), (theirs, topt, tsched, real)):
            o.zero_grad()
            loss = model(lib.tensor(idx), lib.tensor(targets))
            loss.backward()
            norms.append(lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5).item())
            o.step()
            s.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-10)
        assert norms[0] == pytest.approx(norms[1], rel=1e-10)
