"""The course's layers and module habits against real PyTorch (2.13, CPU): LayerNorm, GELU,
BatchNorm1d on 2-D and 3-D input, Dropout, Softmax, Linear on (B, T, C), ModuleList,
ModuleDict, buffers, print(module), apply, to(); gradients also against HIPS autograd and
central differences. Issue 19's points 5 and 13 (Sequential of a function, bad Linear sizes)."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import torch as real
from autograd import grad as ag_grad
from autograd.scipy.special import erf as ag_erf
from conftest import numeric_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F
from chainrule.errors import InputError
from chainrule.tensor import nn


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip()
    return message


def _copy_into_pytorch(ours, theirs):
    """Load our state_dict into the PyTorch module (the names must be PyTorch's to fit)."""
    state = {k: real.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    return theirs


def _grads_agree(ours_params, theirs_params, rtol=1e-10, atol=1e-12):
    for a, b in zip(ours_params, theirs_params, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------------ issue 19, 5 and 13
@pytest.mark.parametrize("item", [torch.relu, "oops", 3])
def test_sequential_refuses_what_is_not_a_module_as_pytorch_does(item):
    their_item = {torch.relu: real.relu}.get(item, item) if callable(item) else item
    with pytest.raises(TypeError, match="is not a Module subclass"):
        real.nn.Sequential(real.nn.Linear(1, 4), their_item, real.nn.Linear(4, 1))
    with pytest.raises(TypeError) as e:
        nn.Sequential(nn.Linear(1, 4), item, nn.Linear(4, 1))
    expected = {torch.relu: "relu", "oops": "str", 3: "int"}[item]
    assert _one_line(e).startswith(f"{expected} is not a Module subclass")
    with pytest.raises(TypeError):
        nn.ModuleList([nn.Linear(1, 4), item])


@pytest.mark.parametrize(
    "args, error, words",
    [((-1, 2), ValueError, "in_features must be 0 or more"),
     ((2, -3), ValueError, "out_features must be 0 or more"),
     (("a", 2), TypeError, "in_features must be a whole number"),
     ((2.5, 2), TypeError, "in_features must be a whole number")],
)  # fmt: skip
def test_linear_with_bad_sizes_says_which_in_one_sentence(args, error, words):
    with pytest.raises((RuntimeError, TypeError)):  # PyTorch refuses each too
        real.nn.Linear(*args)
    with pytest.raises(error) as e:
        nn.Linear(*args)
    assert words in _one_line(e)


# ------------------------------------------------------------------------ print(module)
def _twin_models(lib):
    n = lib.nn
    return n.Sequential(
        n.Linear(2, 4),
        n.ReLU(),
        n.Linear(4, 4, bias=False),
        n.GELU(),
        n.GELU(approximate="tanh"),
        n.Dropout(0.2),
        n.LayerNorm(4),
        n.Softmax(dim=-1),
        n.Tanh(),
        n.Sigmoid(),
        n.Embedding(3, 4),
        n.BatchNorm1d(4),
        n.Flatten(),
        n.ModuleList([n.Linear(1, 1), n.Linear(1, 1), n.Linear(1, 1), n.ReLU()]),
        n.ModuleDict({"act": n.ReLU(), "out": n.Linear(4, 2)}),
        n.Identity(),
        n.CrossEntropyLoss(),
    )


def test_print_module_is_pytorchs_layout_exactly():
    assert repr(_twin_models(torch)) == repr(_twin_models(real))
    assert str(nn.Module()) == str(real.nn.Module()) == "Module()"

    class Head(nn.Module):  # a user's module: its children in PyTorch's layout
        def __init__(self, lib_nn):
            super().__init__()
            self.proj = lib_nn.Linear(3, 2)
            self.blocks = lib_nn.Sequential(lib_nn.Linear(2, 2), lib_nn.ReLU())

    class RealHead(real.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = real.nn.Linear(3, 2)
            self.blocks = real.nn.Sequential(real.nn.Linear(2, 2), real.nn.ReLU())

    assert repr(Head(nn)).replace("Head", "RealHead") == repr(RealHead())


def test_names_buffers_and_state_dict_order_are_pytorchs():
    ours, theirs = _twin_models(torch), _twin_models(real)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(ours.parameters()) == len(list(theirs.parameters()))
    _copy_into_pytorch(ours, theirs)  # fits: the same names and shapes


def test_register_buffer_is_state_but_not_a_parameter():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(2))
            self.register_buffer("seen", torch.zeros(2))

    model = Counter()
    assert [n for n, _ in model.named_parameters()] == ["w"]
    assert list(model.state_dict()) == ["w", "seen"]
    model.seen += 1
    assert model.state_dict()["seen"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError) as e:
        model.register_buffer("x", 3)
    assert "Tensor" in _one_line(e)


def test_train_eval_apply_and_to():
    model = _twin_models(torch)
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    theirs = []
    _twin_models(real).apply(lambda m: theirs.append(type(m).__name__))
    assert seen == theirs  # children first, as PyTorch
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(torch.device("cpu")) is model
    model.to(torch.float64)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert model[11].running_mean.dtype == np.float64  # float buffers follow, as PyTorch
    assert model[11].num_batches_tracked.dtype == np.int64  # integer ones do not
    assert model.float().parameters()[0].dtype == np.float32
    with pytest.raises(InputError) as e:
        model.to("cuda")
    assert "CPU only" in _one_line(e)


def test_load_state_dict_not_strict_loads_what_fits_and_says_what_did_not():
    ours, theirs = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), real.nn.Linear(2, 3)
    state = {"0.weight": np.ones((3, 2)), "extra": np.zeros(1)}
    real_state = {"weight": real.ones(3, 2), "extra": real.zeros(1)}
    result, real_result = (
        ours.load_state_dict(state, strict=False),
        theirs.load_state_dict(real_state, strict=False),
    )
    assert result.unexpected_keys == real_result.unexpected_keys == ["extra"]
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias"]
    assert real_result.missing_keys == ["bias"]
    assert (ours[0].weight.numpy() == 1).all()
    assert isinstance(ours[0:1], nn.Sequential) and len(ours[0:1]) == 1


def test_setting_a_parameter_to_none_unregisters_it_as_in_pytorch():
    ours, theirs = nn.Linear(2, 3), real.nn.Linear(2, 3)
    ours.bias, theirs.bias = None, None
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert len(ours.parameters()) == 1


def test_shared_parameters_come_once_as_in_pytorch():
    a = nn.Linear(3, 3)
    model = nn.Sequential(a, nn.ReLU(), a)
    b = real.nn.Linear(3, 3)
    theirs = real.nn.Sequential(b, real.nn.ReLU(), b)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_module_list_and_dict_behave_as_containers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Tanh())
    layers.insert(0, nn.ReLU())
    assert len(layers) == 5 and isinstance(layers[0], nn.ReLU) and isinstance(layers[-1], nn.Tanh)
    assert [n for n, _ in layers.named_parameters()][:2] == ["1.weight", "1.bias"]
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and len(layers[1:3]) == 2
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 3)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]


# ------------------------------------------------------------------------ Linear on (B, T, C)
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 5, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("activation", [None, "tanh"])
def test_linear_on_leading_dimensions_matches_autograd_and_differences(shape, activation):
    rng = np.random.default_rng(0)
    x0, W0, b0 = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    f = (lambda z: z) if activation is None else anp.tanh

    def loss_of_arrays(x, W, b):
        return anp.sum(f(anp.dot(x, W.T) + b) ** 2)

    arrays = [x0, W0, b0]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.linear(tensors[0], tensors[1], tensors[2], activation)
    assert out.shape == shape[:-1] + (4,)
    (out**2).sum().backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(
            t.grad.numpy(), ag_grad(loss_of_arrays, i)(*arrays), rtol=1e-10, atol=1e-12
        )

        def only(a, i=i):
            args = [torch.tensor(a if j == i else arrays[j]) for j in range(3)]
            return (F.linear(args[0], args[1], args[2], activation) ** 2).sum().item()

        np.testing.assert_allclose(t.grad.numpy(), numeric_gradient(only, arrays[i]), rtol=1e-5)


def test_linear_module_on_btc_input_matches_pytorch():
    ours = nn.Linear(8, 5, dtype=np.float64)
    theirs = _copy_into_pytorch(ours, real.nn.Linear(8, 5, dtype=real.float64))
    x = np.random.default_rng(1).standard_normal((2, 3, 8))
    y, Y = ours(torch.tensor(x)), theirs(real.from_numpy(x))
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), rtol=1e-13)
    y.sum().backward()
    Y.sum().backward()
    _grads_agree(ours.parameters(), theirs.parameters())


# ------------------------------------------------------------------------ LayerNorm, GELU
def ag_layer_norm(x, w, b, k, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = anp.mean(x, axis=axes, keepdims=True)
    var = anp.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return (x - mean) / anp.sqrt(var + eps) * w + b


@pytest.mark.parametrize("shape, k", [((5, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), 2), ((6,), 1)])
def test_layer_norm_gradients_match_autograd_and_differences(shape, k):
    rng = np.random.default_rng(2)
    x0, w0, b0 = (rng.standard_normal(s) for s in (shape, shape[-k:], shape[-k:]))
    y0 = rng.standard_normal(shape)

    def loss_of_arrays(x, w, b):
        return anp.sum(ag_layer_norm(x, w, b, k) * y0)

    arrays = [x0, w0, b0]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = (F.layer_norm(tensors[0], shape[-k:], tensors[1], tensors[2]) * torch.tensor(y0)).sum()
    np.testing.assert_allclose(loss.item(), loss_of_arrays(*arrays), rtol=1e-12)
    loss.backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(
            t.grad.numpy(), ag_grad(loss_of_arrays, i)(*arrays), rtol=1e-9, atol=1e-11
        )

        def only(a, i=i):
            args = [torch.tensor(a if j == i else arrays[j]) for j in range(3)]
            return (F.layer_norm(args[0], shape[-k:], args[1], args[2]) * torch.tensor(y0)).sum()

        numeric = numeric_gradient(lambda a, i=i: only(a, i).item(), arrays[i])
        np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-5, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(  # (leading dims..., features >= 2)
        st.lists(st.integers(1, 5), max_size=3), st.integers(2, 6)
    ).map(lambda t: (*t[0], t[1])),
    dtype=st.sampled_from([np.float32, np.float64]),
    affine=st.sampled_from(["both", "weight", "none"]),
    seed=st.integers(0, 2**16),
)
def test_layer_norm_module_matches_pytorch_over_shapes_and_dtypes(shape, dtype, affine, seed):
    ours = nn.LayerNorm(shape[-1], elementwise_affine=affine != "none", bias=affine == "both")
    ours.to(dtype)
    theirs = real.nn.LayerNorm(
        shape[-1], elementwise_affine=affine != "none", bias=affine == "both"
    ).to(real.float64 if dtype == np.float64 else real.float32)
    rng = np.random.default_rng(seed)
    for p in ours.parameters():
        p.numpy()[...] = rng.uniform(0.5, 2, p.shape).astype(dtype)
    _copy_into_pytorch(ours, theirs)
    # features spread apart (bounded variance below), so float32 stays well-conditioned
    spread = np.linspace(-2, 2, shape[-1]) + rng.uniform(-0.1, 0.1, shape)
    x = rng.permuted(spread, axis=-1).astype(dtype)
    g = rng.uniform(-1, 1, shape).astype(dtype)
    xt, X = torch.tensor(x, requires_grad=True), real.tensor(x, requires_grad=True)
    y, Y = ours(xt), theirs(X)
    assert y.dtype == dtype
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), **tol)
    (y * torch.tensor(g)).sum().backward()
    (Y * real.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), **tol)
    _grads_agree(ours.parameters(), theirs.parameters(), **tol)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_pytorch_autograd_and_differences(approximate):
    x0 = np.linspace(-5, 5, 41)

    def ag_gelu(x):
        if approximate == "tanh":
            return 0.5 * x * (1 + anp.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
        return x * 0.5 * (1 + ag_erf(x / np.sqrt(2)))

    xt, X = torch.tensor(x0, requires_grad=True), real.tensor(x0, requires_grad=True)
    y = nn.GELU(approximate)(xt)
    Y = real.nn.GELU(approximate)(X)
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(y.numpy(), ag_gelu(x0), rtol=1e-14, atol=1e-15)
    (y**2).sum().backward()
    (Y**2).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), rtol=1e-12, atol=1e-14)
    ag = ag_grad(lambda x: anp.sum(ag_gelu(x) ** 2))(x0)
    np.testing.assert_allclose(xt.grad.numpy(), ag, rtol=1e-12, atol=1e-14)
    numeric = numeric_gradient(lambda a: (F.gelu(torch.tensor(a), approximate) ** 2).sum(), x0)
    np.testing.assert_allclose(xt.grad.numpy(), numeric, rtol=1e-6, atol=1e-7)
    with pytest.raises(InputError):
        nn.GELU("fast")


# ------------------------------------------------------------------------ BatchNorm1d
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_matches_pytorch_in_training_and_eval_over_steps(shape, dtype):
    ours = nn.BatchNorm1d(3, momentum=0.2).to(dtype)
    theirs = real.nn.BatchNorm1d(3, momentum=0.2).to(real.from_numpy(np.zeros(1, dtype)).dtype)
    rng = np.random.default_rng(3)
    for p in ours.parameters():
        p.numpy()[...] = rng.uniform(0.5, 2, p.shape).astype(dtype)
    _copy_into_pytorch(ours, theirs)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    for _ in range(4):
        x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
        xt, X = torch.tensor(x, requires_grad=True), real.tensor(x, requires_grad=True)
        y, Y = ours(xt), theirs(X)
        np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), **tol)
        w = rng.standard_normal(shape).astype(dtype)
        (y * torch.tensor(w)).sum().backward()
        (Y * real.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), **tol)
        _grads_agree(ours.parameters(), theirs.parameters(), **tol)
        ours.zero_grad()
        theirs.zero_grad()
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), b.numpy(), **tol)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(dtype)
    xt, X = torch.tensor(x, requires_grad=True), real.tensor(x, requires_grad=True)
    y, Y = ours(xt), theirs(X)
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), **tol)
    y.sum().backward()
    Y.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), **tol)
    _grads_agree(ours.parameters(), theirs.parameters(), **tol)


def test_batch_norm_refuses_a_wrong_shape_and_a_batch_of_one():
    with pytest.raises(InputError) as e:
        nn.BatchNorm1d(3)(torch.zeros(4, 2))
    assert "(batch, 3)" in _one_line(e)
    with pytest.raises(InputError) as e:
        nn.BatchNorm1d(3)(torch.zeros(1, 3))
    assert "more than 1 value per channel" in _one_line(e)


# ------------------------------------------------------------------------ Dropout, Softmax
def test_dropout_zeroes_with_probability_p_scales_the_rest_and_passes_the_mask_back():
    torch.manual_seed(0)
    x = torch.tensor(np.random.default_rng(4).uniform(1, 2, (200, 100)), requires_grad=True)
    layer = nn.Dropout(0.3)
    y = layer(x)
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01  # 20000 Bernoulli draws: sd 0.003
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.7, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-15)
    assert layer.eval()(x) is x  # the identity in eval, as PyTorch's
    assert F.dropout(x, 0.3, training=False) is x
    assert not F.dropout(x, 1.0).numpy().any()  # PyTorch: all zeros for p = 1
    assert not real.nn.functional.dropout(real.ones(5), 1.0).any()
    with pytest.raises(InputError):
        nn.Dropout(1.5)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_module_matches_pytorch(dim):
    x = np.random.default_rng(5).standard_normal((3, 4))
    np.testing.assert_allclose(
        nn.Softmax(dim=dim)(torch.tensor(x)).numpy(),
        real.nn.Softmax(dim=dim)(real.from_numpy(x)).numpy(),
        rtol=1e-14,
    )


# ------------------------------------------------------------------------ clip_grad_norm_
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_returns_the_total_norm_and_clips_as_pytorch(norm_type, max_norm):
    rng = np.random.default_rng(6)
    grads = [rng.standard_normal(s) for s in ((3, 4), (4,), (2, 2, 2))]
    ours = [nn.Parameter(np.zeros(g.shape)) for g in grads]
    theirs = [real.nn.Parameter(real.zeros(g.shape, dtype=real.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), real.from_numpy(g.copy())
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = real.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-13)
    _grads_agree(ours, theirs, rtol=1e-13, atol=0)
    assert isinstance(total, torch.Tensor)
