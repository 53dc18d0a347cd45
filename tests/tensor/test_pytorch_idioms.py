"""The PyTorch idioms of issue 12, each typed as a PyTorch user types it after
``import chainrule.tensor as torch``, each value checked against numpy or HIPS autograd (the
newer idioms of issue 21 are checked against PyTorch itself, in the test_ops_*.py files)."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F
from chainrule import nn as chainrule_nn
from chainrule.errors import InputError
from chainrule.tensor import nn
from chainrule.tensor.optim.lr_scheduler import StepLR


# ------------------------------------------------------------------------ creation and dtypes
def test_creation_and_default_dtypes():
    assert callable(torch.tensor)  # importing the old module (above) did not hide it
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32  # PyTorch's default float
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor(np.array([1.0])).dtype == torch.float64  # numpy keeps its own
    assert torch.zeros(2, 3).shape == (2, 3) and torch.zeros((2, 3)).numpy().sum() == 0
    assert torch.ones(4, dtype=torch.float64).numpy().tolist() == [1.0] * 4
    assert torch.full((2,), 7).tolist() == [7, 7] and torch.full((2,), 7).dtype == torch.int64
    assert torch.empty(3).shape == (3,)
    like = torch.zeros_like(torch.ones(2, 2, dtype=torch.float64))
    assert like.dtype == torch.float64 and like.tolist() == [[0, 0], [0, 0]]
    assert torch.ones_like(torch.tensor([1, 2])).tolist() == [1, 1]
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype == torch.int64
    np.testing.assert_allclose(torch.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert torch.eye(2).tolist() == [[1, 0], [0, 1]]


def test_random_numbers_repeat_with_a_seed_and_have_the_right_laws():
    torch.manual_seed(3)
    a = torch.randn(4000)
    torch.manual_seed(3)
    assert torch.randn(4000).tolist() == a.tolist()
    assert abs(a.numpy().mean()) < 0.1 and abs(a.numpy().std() - 1) < 0.1
    g = torch.Generator().manual_seed(2147483647)
    u = torch.rand((100, 10), generator=g)
    assert u.shape == (100, 10) and u.numpy().min() >= 0 and u.numpy().max() < 1
    ints = torch.randint(0, 5, (1000,), generator=g)
    assert set(ints.tolist()) == {0, 1, 2, 3, 4} and ints.dtype == torch.int64
    p = torch.tensor([0.1, 0.0, 0.9])
    draws = torch.multinomial(p, 2000, replacement=True, generator=g).numpy()
    assert 1 not in draws and 0.85 < (draws == 2).mean() < 0.95
    rows = torch.multinomial(torch.ones(3, 4), 4, generator=g)  # without replacement
    assert all(sorted(r) == [0, 1, 2, 3] for r in rows.tolist())


def test_dtype_conversions_and_python_values():
    x = torch.tensor([1.5, -2.0])
    assert x.double().dtype == torch.float64 and x.double().float().dtype == torch.float32
    assert x.long().tolist() == [1, -2] and x.to(torch.float64).dtype == torch.float64
    assert torch.tensor(3.5).item() == 3.5 and isinstance(x.tolist(), list)
    assert isinstance(x.numpy(), np.ndarray)
    assert x.to("cpu") is x
    with pytest.raises(InputError, match="CPU"):
        x.to("cuda")


# ------------------------------------------------------------------------ shape
def test_shape_idioms():
    x = torch.arange(24).view(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3
    assert x.numel() == 24 and x.dim() == 3
    assert x.reshape(6, -1).shape == (6, 4) and x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12) and x.unsqueeze(1).shape == (2, 1, 3, 4)
    assert x[:, :1].squeeze(1).shape == (2, 4) and x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.transpose(0, 1).shape == (3, 2, 4) and x.T.shape == (4, 3, 2)
    n = x.numpy()
    np.testing.assert_array_equal(x.transpose(1, 2).numpy(), n.swapaxes(1, 2))
    m = torch.arange(6).view(2, 3)
    assert m.transpose(0, 1).shape == (3, 2) and torch.transpose(m, 1, 0).tolist() == m.T.tolist()
    assert torch.cat([x, x], 0).shape == (4, 3, 4) and torch.stack([x, x]).shape == (2, 2, 3, 4)
    a, b = np.random.default_rng(0).random((2, 5, 3, 4)), np.random.default_rng(1).random((4, 2))
    np.testing.assert_allclose((torch.tensor(a) @ torch.tensor(b)).numpy(), a @ b, rtol=1e-13)


# ------------------------------------------------------------------------ reductions, elementwise
def test_reductions_with_dim_and_keepdim():
    x = np.random.default_rng(0).standard_normal((4, 5))
    t = torch.tensor(x)
    np.testing.assert_allclose(t.sum(0).numpy(), x.sum(0))
    np.testing.assert_allclose(t.mean(1, keepdim=True).numpy(), x.mean(1, keepdims=True))
    np.testing.assert_allclose(t.var().item(), x.var(ddof=1))  # unbiased, as PyTorch
    np.testing.assert_allclose(t.std(1).numpy(), x.std(1, ddof=1))
    np.testing.assert_allclose(t.var(0, unbiased=False).numpy(), x.var(0))
    values, indices = torch.max(t, 1)
    assert indices.tolist() == x.argmax(1).tolist() and values.tolist() == x.max(1).tolist()
    assert t.min(0).indices.tolist() == x.argmin(0).tolist() and t.max().item() == x.max()
    assert torch.argmax(t).item() == x.argmax()
    lse = np.log(np.exp(x).sum(1))
    np.testing.assert_allclose(torch.logsumexp(t, 1).numpy(), lse, rtol=1e-13)
    np.testing.assert_allclose(F.softmax(t, 1).numpy(), np.exp(x - lse[:, None]), rtol=1e-13)
    np.testing.assert_allclose(t.log_softmax(1).numpy(), x - lse[:, None], rtol=1e-13)


def test_elementwise_functions():
    x = np.array([-2.0, -0.5, 0.25, 3.0])
    t = torch.tensor(x)
    np.testing.assert_allclose(t.abs().numpy(), np.abs(x))
    np.testing.assert_allclose(t.abs().sqrt().numpy(), np.sqrt(np.abs(x)))
    np.testing.assert_allclose((t**2).numpy(), x**2)
    np.testing.assert_allclose(t.exp().log().numpy(), x, rtol=1e-15)
    np.testing.assert_allclose(torch.tanh(t).numpy(), np.tanh(x))
    np.testing.assert_allclose(t.sigmoid().numpy(), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.relu(t).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(t.clamp(min=-1, max=1).numpy(), np.clip(x, -1, 1))
    np.testing.assert_allclose(torch.maximum(t, t * 0).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(torch.minimum(t, t * 0).numpy(), np.minimum(x, 0))
    np.testing.assert_allclose(torch.where(t > 0, t, t * 10).numpy(), np.where(x > 0, x, 10 * x))
    assert ((t > 0).float().mean()).item() == 0.5


# ------------------------------------------------------------------------ autograd
def test_autograd_idioms():
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64).requires_grad_()
    assert x.requires_grad and x.is_leaf
    h = x * x
    h.retain_grad()
    loss = h.sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    held = x.grad
    loss.backward()  # the retained graph runs again: gradients add up (in place)
    np.testing.assert_array_equal(held.numpy(), [4.0, 8.0, 12.0])
    with pytest.raises(InputError, match="retain_graph"):
        loss.backward()  # the second pass freed it
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    d = x.detach()
    assert not d.requires_grad and d.numpy() is x.numpy()
    with torch.no_grad():
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()


def test_zero_grad_to_none_or_to_zeros_and_p_data_updates():
    model = nn.Linear(3, 2, dtype=torch.float64)
    model(torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is not None and model.weight.grad.numpy().sum() == 0
    model.zero_grad()
    assert model.weight.grad is None
    model(torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    before = model.bias.numpy().copy()
    for p in model.parameters():
        p.data += -0.1 * p.grad  # the lecture's manual update
    np.testing.assert_allclose(model.bias.numpy(), before - 0.1 * 4)


# ------------------------------------------------------------------------ nn
def test_sequential_state_dict_names_match_pytorch():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "3.weight",
        "3.bias",
    ]
    assert [n for n, _ in model.named_parameters()][-2:] == ["3.weight", "3.bias"]
    assert model[0].weight.dtype == torch.float32
    bound = 1 / math.sqrt(4)  # PyTorch's Linear init: U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(model[0].weight.numpy()).max() <= bound


def test_batchnorm1d_train_and_eval():
    x = np.random.default_rng(0).standard_normal((6, 3)) * 2 + 1
    bn = nn.BatchNorm1d(3, dtype=torch.float64)
    out = bn(torch.tensor(x)).numpy()
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-12)
    bn.eval()
    expected = (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(bn(torch.tensor(x)).numpy(), expected, rtol=1e-12)

    bn.train()
    xt = torch.tensor(x, requires_grad=True)
    W = np.random.default_rng(1).standard_normal((6, 3))
    (bn(xt) * torch.tensor(W)).sum().backward()

    def f(a):
        return anp.sum((a - anp.mean(a, 0)) / anp.sqrt(anp.var(a, 0) + 1e-5) * W)

    np.testing.assert_allclose(xt.grad.numpy(), ag_grad(f)(x), rtol=1e-9, atol=1e-12)


def test_embedding_and_activation_modules():
    torch.manual_seed(0)
    emb = nn.Embedding(5, 2, dtype=torch.float64)
    X = torch.tensor([[0, 4], [4, 4]])
    out = emb(X)
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[X.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [1, 0, 0, 0, 3])
    x = torch.tensor([-1.0, 2.0])
    assert nn.ReLU()(x).tolist() == [0.0, 2.0]
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh([-1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp([1.0, -2.0])), rtol=1e-6)


def test_losses_as_modules_and_functions():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    picked = -log_p[np.arange(5), y]
    logits, labels = torch.tensor(z), torch.tensor(y)
    assert nn.CrossEntropyLoss()(logits, labels).item() == pytest.approx(picked.mean(), rel=1e-14)
    assert F.cross_entropy(logits, labels, reduction="sum").item() == pytest.approx(picked.sum())
    np.testing.assert_allclose(F.cross_entropy(logits, labels, reduction="none").numpy(), picked)
    nll = nn.NLLLoss()(torch.tensor(log_p), labels).item()
    assert nll == pytest.approx(picked.mean(), rel=1e-14)
    assert F.nll_loss(logits.log_softmax(1), labels).item() == pytest.approx(picked.mean())
    t = rng.standard_normal((5, 4))
    assert nn.MSELoss()(logits, torch.tensor(t)).item() == pytest.approx(((z - t) ** 2).mean())
    assert F.mse_loss(logits, torch.tensor(t), reduction="sum").item() == pytest.approx(
        ((z - t) ** 2).sum()
    )
    assert F.one_hot(labels, 4).tolist() == np.eye(4, dtype=int)[y].tolist()
    assert F.one_hot(torch.tensor([2, 0])).shape == (2, 3)

    z_t = torch.tensor(z, requires_grad=True)
    F.cross_entropy(z_t, labels, reduction="none").sum().backward()
    ref = ag_grad(
        lambda a: -anp.sum((a - anp.log(anp.sum(anp.exp(a), 1, keepdims=True)))[np.arange(5), y])
    )(z)
    np.testing.assert_allclose(z_t.grad.numpy(), ref, rtol=1e-12)


def test_nn_init():
    w = torch.empty(300, 200, dtype=torch.float64)
    a = math.sqrt(6 / 500)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= a and np.abs(w.numpy()).max() > 0.95 * a
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 200), rel=0.03)
    nn.init.xavier_normal_(w)
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))  # what PyTorch's Linear uses: 1/sqrt(fan_in)
    assert np.abs(w.numpy()).max() <= 1 / math.sqrt(200)
    nn.init.normal_(w, 2.0, 0.5)
    assert w.numpy().mean() == pytest.approx(2.0, abs=0.01)
    assert nn.init.zeros_(w).numpy().sum() == 0 and nn.init.ones_(w).numpy().mean() == 1
    assert nn.init.constant_(w, 0.3).numpy().max() == 0.3
    assert nn.init.calculate_gain("tanh") == 5 / 3


# ------------------------------------------------------------------------ optim
def _steps(opt, p, grads):
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g)
        opt.step()
        out.append(p.numpy().copy())
    return out


GRADS = [np.array([0.5, -1.0]), np.array([2.0, 0.25]), np.array([-0.3, 0.7])]


def test_sgd_with_dampening_follows_pytorch_formula():
    p = nn.Parameter(np.array([1.0, -2.0]))
    got = _steps(
        torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01), p, GRADS
    )
    q, b = np.array([1.0, -2.0]), None
    for g, step in zip(GRADS, got):
        d = g + 0.01 * q
        b = d.copy() if b is None else 0.9 * b + 0.5 * d
        q = q - 0.1 * b
        np.testing.assert_allclose(step, q, rtol=1e-14)
    with pytest.raises(TypeError):
        torch.optim.SGD([p])  # lr is required


def test_adamw_decouples_the_weight_decay():
    p = nn.Parameter(np.array([1.0, -2.0]))
    got = _steps(torch.optim.AdamW([p], lr=0.01, weight_decay=0.1), p, GRADS)
    q, m, v = np.array([1.0, -2.0]), 0.0, 0.0
    for t, (g, step) in enumerate(zip(GRADS, got), start=1):
        q = q * (1 - 0.01 * 0.1)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        q = q - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(step, q, rtol=1e-12)


def test_param_groups_and_step_lr():
    a, b = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    a.grad, b.grad = np.ones(1), np.ones(1)
    opt.step()
    assert a.item() == -0.1 and b.item() == -1.0
    single = torch.optim.SGD([a], lr=0.5)
    scheduler = StepLR(single, step_size=2, gamma=0.5)
    rates = []
    for _ in range(5):
        single.step()
        scheduler.step()
        rates.append(single.param_groups[0]["lr"])
    assert rates == [0.5, 0.25, 0.25, 0.125, 0.125]
    single.param_groups[0]["lr"] = 0.01  # the public way to set the rate
    assert single.lr == 0.01 and scheduler.get_last_lr() == [0.125]  # PyTorch's: the last it set


def test_micrograd_mlp_form_points_to_the_scalar_engine():
    with pytest.raises(InputError, match="chainrule.scalar.nn"):
        chainrule_nn.MLP(2, [16, 16, 1])


def test_optimizer_state_dict_round_trip_continues_identically():
    a, b = nn.Parameter(np.array([1.0, -2.0])), nn.Parameter(np.array([1.0, -2.0]))
    first = torch.optim.Adam([a], lr=0.1)
    _steps(first, a, GRADS[:2])
    b.data[...] = a.data
    second = torch.optim.Adam([b], lr=0.5)
    second.load_state_dict(first.state_dict())
    assert second.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(_steps(first, a, GRADS[2:]), _steps(second, b, GRADS[2:]))
    old_form = {"lr": 0.2, "state": {}}  # what chainrule's checkpoints stored before
    second.load_state_dict(old_form)
    assert second.lr == 0.2
