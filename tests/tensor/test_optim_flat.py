"""Adam and AdamW moving a whole parameter group at once (the moments as two vectors), against
real PyTorch (2.13, CPU) step by step from the same start: also when some parameters miss a
gradient on some steps (their step counts part, and the group goes parameter by parameter), and
across ``state_dict`` / ``load_state_dict`` into a fresh optimizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real

import chainrule.tensor as torch

SHAPES = [(3, 4), (4,), (), (2, 1, 3)]
# which parameters get a gradient on each step (None for the others)
PATTERN = [(0, 1, 2, 3)] * 3 + [(0, 2)] + [(0, 1, 2, 3)] * 3 + [(1, 3), (0, 1, 2, 3)]


def _twins(dtype):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [torch.nn.Parameter(torch.tensor(v.copy())) for v in values]
    theirs = [real.nn.Parameter(real.tensor(v.copy())) for v in values]
    return ours, theirs


def _groups(params):
    return [{"params": params[:3]}, {"params": params[3:], "lr": 0.05, "weight_decay": 0.0}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_a_group_at_once_steps_as_pytorch(name, dtype):
    ours, theirs = _twins(dtype)
    kwargs = dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    opt = getattr(torch.optim, name)(_groups(ours), **kwargs)
    topt = getattr(real.optim, name)(_groups(theirs), **kwargs)
    rng = np.random.default_rng(1)
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-13)
    for step, with_grad in enumerate(PATTERN):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            g = rng.standard_normal(SHAPES[i]).astype(dtype) if i in with_grad else None
            p.grad = None if g is None else torch.tensor(g)
            q.grad = None if g is None else real.tensor(g)
        opt.step()
        topt.step()
        if step == 5:  # carry on in fresh optimizers, from the saved states
            state = opt.state_dict()
            opt = getattr(torch.optim, name)(_groups(ours), **kwargs)
            opt.load_state_dict(state)
            tstate = topt.state_dict()
            topt = getattr(real.optim, name)(_groups(theirs), **kwargs)
            topt.load_state_dict(tstate)
        for p, q in zip(ours, theirs):
            assert p.dtype == dtype
            np.testing.assert_allclose(
                p.numpy(), q.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"step {step}"
            )
    for i, (p, q) in enumerate(zip(ours, theirs)):
        ours_state, theirs_state = opt.state[id(p)], topt.state[q]
        assert ours_state["step"] == int(theirs_state["step"]), f"parameter {i}"
        for key in ("exp_avg", "exp_avg_sq"):
            assert ours_state[key].shape == SHAPES[i]
            np.testing.assert_allclose(
                ours_state[key], theirs_state[key].numpy(), rtol=rtol, atol=atol
            )
