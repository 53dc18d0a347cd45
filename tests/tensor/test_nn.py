"""Modules, losses and optimizers of the tensor engine: layers and losses against HIPS autograd and
the book's formulas, optimizer steps against their update equations written out here in numpy,
state dicts, initialization statistics, and a small network that learns."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from autograd.scipy.special import expit as ag_expit
from autograd.scipy.special import logsumexp as ag_logsumexp
from conftest import numeric_gradient

from chainrule import nn, optim
from chainrule.errors import InputError
from chainrule.tensor import Tensor, no_grad
from chainrule.tensor.functional import output_gradient


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip()
    return message


def ag_log_softmax(z):
    return z - ag_logsumexp(z, axis=1, keepdims=True)


def assert_grads(loss_of_tensors, loss_of_arrays, *arrays, num=True):
    """Backpropagate ``loss_of_tensors`` (a one-element Tensor) and compare every input's gradient
    with autograd's of ``loss_of_arrays`` (rtol 1e-10) and with central differences (rtol 1e-5).
    Also compares the loss values. Returns the tensors."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    loss = loss_of_tensors(*tensors)
    assert loss.numel() == 1
    np.testing.assert_allclose(loss.item(), loss_of_arrays(*arrays), rtol=1e-12, atol=1e-13)
    loss.backward()
    for i, (t, a) in enumerate(zip(tensors, arrays)):
        reference = ag_grad(loss_of_arrays, argnum=i)(*arrays)
        assert t.grad.shape == a.shape
        np.testing.assert_allclose(t.grad, reference, rtol=1e-10, atol=1e-12)
        if num:

            def forward_only(xi, i=i):
                inputs = [Tensor(xi if j == i else arrays[j]) for j in range(len(arrays))]
                return loss_of_tensors(*inputs).item()

            numeric = numeric_gradient(forward_only, a)
            np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-6)
    return tensors


# ------------------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
def test_linear_is_x_times_w_transpose_plus_b(bias):
    layer = nn.Linear(3, 4, bias=bias, dtype=np.float64, rng=np.random.default_rng(0))
    assert layer.weight.shape == (4, 3)
    assert layer.weight.requires_grad
    X = np.random.default_rng(1).standard_normal((5, 3))
    out = layer(Tensor(X))
    W = layer.weight.numpy()
    expected = X @ W.T + (layer.bias.numpy() if bias else 0.0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)
    assert out.shape == (5, 4) and out.dtype == np.float64
    if not bias:
        assert layer.bias is None
        assert [name for name, _ in layer.named_parameters()] == ["weight"]
    else:
        assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_linear_gradients_match_autograd():
    rng = np.random.default_rng(2)
    layer = nn.Linear(3, 4, dtype=np.float64, rng=rng)
    X = rng.standard_normal((5, 3))
    V = rng.standard_normal((5, 4))  # a fixed weighting of the outputs

    x = Tensor(X, requires_grad=True)
    (layer(x) * Tensor(V)).sum().backward()

    def f(X_, W_, b_):
        return anp.sum((anp.dot(X_, W_.T) + b_) * V)

    W, b = layer.weight.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(x.grad, ag_grad(f, 0)(X, W, b), rtol=1e-10)
    np.testing.assert_allclose(layer.weight.grad, ag_grad(f, 1)(X, W, b), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, ag_grad(f, 2)(X, W, b), rtol=1e-10)
    assert layer.weight.grad.shape == (4, 3) and layer.bias.grad.shape == (4,)


def test_functional_linear_matches_autograd_and_finite_differences():
    rng = np.random.default_rng(3)
    V = rng.standard_normal((6, 2))
    assert_grads(
        lambda x, W, b: (nn.linear(x, W, b) * Tensor(V)).sum(),
        lambda x, W, b: anp.sum((anp.dot(x, W.T) + b) * V),
        rng.standard_normal((6, 3)),
        rng.standard_normal((2, 3)),
        rng.standard_normal(2),
    )


def test_linear_refuses_an_input_of_the_wrong_width():
    layer = nn.Linear(3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    with pytest.raises(InputError) as e:
        layer(Tensor(np.ones((5, 2))))
    message = _one_line(e)
    assert "3" in message and "(5, 2)" in message


def test_linear_float32_by_default():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    assert layer.weight.dtype == np.float32
    out = layer(Tensor(np.ones((1, 3), dtype=np.float32)))
    assert out.dtype == np.float32


# ------------------------------------------------------------------------------------- MLP, modules
def _numpy_mlp(model_params, X, hidden, output=None):
    """The forward pass written out in numpy: hidden layers with ``hidden``, then ``output``."""
    acts = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        None: lambda z: z,
    }
    a = X
    for i, (W, b) in enumerate(model_params):
        z = a @ W.T + b
        a = acts[output if i == len(model_params) - 1 else hidden](z)
    return a


@pytest.mark.parametrize("hidden, output", [("relu", None), ("tanh", "sigmoid")])
def test_mlp_structure_names_and_forward(hidden, output):
    model = nn.MLP([3, 5, 4, 2], activation=hidden, output=output, dtype=np.float64, seed=0)
    named = list(model.named_parameters())
    names = [n for n, _ in named]
    # PyTorch's naming: "<index of the layer in the Sequential>.<attribute>"
    linear_indices = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
    assert len(linear_indices) == 3
    assert names == [f"{i}.{a}" for i in linear_indices for a in ("weight", "bias")]
    assert names[:2] == ["0.weight", "0.bias"]
    shapes = [p.shape for _, p in named]
    assert shapes == [(5, 3), (5,), (4, 5), (4,), (2, 4), (2,)]
    assert model.parameters() == [p for _, p in named]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())

    X = np.random.default_rng(1).standard_normal((7, 3))
    params = [(named[k][1].numpy(), named[k + 1][1].numpy()) for k in range(0, 6, 2)]
    np.testing.assert_allclose(
        model(Tensor(X)).numpy(), _numpy_mlp(params, X, hidden, output), rtol=1e-12
    )


AG_ACTIVATIONS = {
    "tanh": anp.tanh,
    "sigmoid": ag_expit,
    "relu": lambda z: anp.maximum(z, 0.0),
    "softplus": lambda z: anp.logaddexp(0.0, z),
    None: lambda z: z,
}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "softplus"])
def test_linear_with_a_fused_activation_matches_autograd(activation):
    rng = np.random.default_rng(8)
    layer = nn.Linear(3, 4, dtype=np.float64, rng=rng, activation=activation)
    X = rng.standard_normal((5, 3))
    V = rng.standard_normal((5, 4))
    act = AG_ACTIVATIONS[activation]
    x = Tensor(X, requires_grad=True)
    out = layer(x)
    W, b = layer.weight.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(out.numpy(), act(X @ W.T + b), rtol=1e-13)
    (out * Tensor(V)).sum().backward()

    def f(X_, W_, b_):
        return anp.sum(act(anp.dot(X_, W_.T) + b_) * V)

    np.testing.assert_allclose(x.grad, ag_grad(f, 0)(X, W, b), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, ag_grad(f, 1)(X, W, b), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.bias.grad, ag_grad(f, 2)(X, W, b), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("hidden, output", [("tanh", None), ("relu", None), ("tanh", "sigmoid")])
def test_mlp_gradients_match_autograd(hidden, output):
    model = nn.MLP([3, 4, 2], activation=hidden, output=output, dtype=np.float64, seed=1)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 3))
    y = rng.integers(0, 2, size=6)
    loss = nn.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    W1, b1, W2, b2 = (p.numpy() for p in model.parameters())
    h, o = AG_ACTIVATIONS[hidden], AG_ACTIVATIONS[output]

    def f(W1_, b1_, W2_, b2_):
        z = o(anp.dot(h(anp.dot(X, W1_.T) + b1_), W2_.T) + b2_)
        return -anp.mean(ag_log_softmax(z)[np.arange(6), y])

    np.testing.assert_allclose(loss.item(), f(W1, b1, W2, b2), rtol=1e-12)
    for i, p in enumerate(model.parameters()):
        np.testing.assert_allclose(p.grad, ag_grad(f, i)(W1, b1, W2, b2), rtol=1e-10, atol=1e-14)


def test_sequential_names_layers_by_position_like_pytorch():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(2, 3, rng=rng), nn.Activation("relu"), nn.Linear(3, 1, bias=False, rng=rng)
    )
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight"]
    assert len(model) == 3 and isinstance(model[1], nn.Activation)


def test_custom_module_registers_parameters_and_submodules_in_order():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.ones(1))
            self.body = nn.Linear(2, 2, rng=np.random.default_rng(0))
            self.head = nn.Linear(2, 1, rng=np.random.default_rng(1))
            self.not_a_param = Tensor(np.ones(3))

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale",
        "body.weight",
        "body.bias",
        "head.weight",
        "head.bias",
    ]


def test_zero_grad_forgets_gradients():
    model = nn.MLP([2, 3, 1], dtype=np.float64, seed=0)
    model(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_flags_reach_every_submodule():
    model = nn.Sequential(nn.MLP([2, 3, 1], seed=0), nn.Activation("sigmoid"))
    modules = list(model.modules())
    assert len(modules) >= 4
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    assert model.train() is model
    assert all(m.training for m in modules)
    model.train(False)
    assert not any(m.training for m in modules)


# ------------------------------------------------------------------------------------- state dicts
def test_state_dict_round_trip():
    a = nn.MLP([3, 4, 2], dtype=np.float64, seed=0)
    b = nn.MLP([3, 4, 2], dtype=np.float64, seed=1)
    X = np.random.default_rng(2).standard_normal((5, 3))
    assert not np.allclose(a(Tensor(X)).numpy(), b(Tensor(X)).numpy())
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    assert list(state)[:2] == ["0.weight", "0.bias"] and len(state) == 4
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(Tensor(X)).numpy(), b(Tensor(X)).numpy())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
        assert not np.shares_memory(pa.numpy(), pb.numpy())


def test_state_dict_shares_the_parameters_memory_outside_the_graph_as_pytorch():
    import copy

    import torch as real_torch

    for module, Tensor_ in ((nn.MLP([2, 2], dtype=np.float64, seed=0), Tensor),
                            (real_torch.nn.Linear(2, 2), real_torch.Tensor)):  # fmt: skip
        state = module.state_dict()
        snapshot = copy.deepcopy(state)
        weight = next(iter(module.parameters()))
        assert isinstance(state["0.weight" if "0.weight" in state else "weight"], Tensor_)
        assert not any(t.requires_grad for t in state.values())
        for t in state.values():
            t.zero_()
        assert not np.asarray(weight.detach()).any()  # the same memory, as PyTorch's
        assert any(np.asarray(t).any() for t in snapshot.values())  # deepcopy keeps a copy


@pytest.mark.parametrize("problem", ["missing", "unexpected", "renamed", "shape", "last_shape"])
def test_load_state_dict_refuses_a_misfit_and_changes_nothing(problem):
    model = nn.MLP([3, 4, 2], dtype=np.float64, seed=0)
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    state = {n: v + 1.0 for n, v in model.state_dict().items()}
    if problem == "missing":
        del state["0.bias"]
    elif problem == "unexpected":
        state["9.weight"] = np.zeros((2, 2))
    elif problem == "renamed":
        state["0.W"] = state.pop("0.weight")
    elif problem == "shape":
        state["0.weight"] = np.zeros((3, 4))
    else:  # the last entry is wrong: the earlier ones must not have been copied already
        last = list(state)[-1]
        state[last] = np.zeros(state[last].shape + (1,))
    with pytest.raises(InputError) as e:
        model.load_state_dict(state)
    message = _one_line(e)
    if problem in ("shape", "last_shape"):
        assert "shape" in message
    else:
        assert "missing" in message or "unexpected" in message
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.numpy(), before[n])


def test_loading_a_state_dict_after_a_forward_pass_invalidates_that_graph():
    model = nn.MLP([2, 3, 1], dtype=np.float64, seed=0)
    loss = model(Tensor(np.ones((4, 2)))).sum()
    model.load_state_dict(nn.MLP([2, 3, 1], dtype=np.float64, seed=1).state_dict())
    with pytest.raises(InputError) as e:
        loss.backward()
    assert "in place" in _one_line(e)


# ------------------------------------------------------------------------------------- init
INIT_STD = {
    "normal": lambda n_in, n_out: 1.0,
    "scaled": lambda n_in, n_out: 1.0 / math.sqrt(n_in),
    "xavier": lambda n_in, n_out: math.sqrt(2.0 / (n_in + n_out)),
    "he": lambda n_in, n_out: math.sqrt(2.0 / n_in),
}


@pytest.mark.parametrize("scheme", sorted(INIT_STD))
def test_init_standard_deviations(scheme):
    n_in, n_out = 400, 300
    layer = nn.Linear(n_in, n_out, init=scheme, dtype=np.float64, rng=np.random.default_rng(0))
    w = layer.weight.numpy()
    assert w.shape == (n_out, n_in)
    expected = INIT_STD[scheme](n_in, n_out)
    assert w.std() == pytest.approx(expected, rel=0.03)
    assert abs(w.mean()) < 0.02 * expected


def test_same_seed_same_weights_other_seed_other_weights():
    a = nn.MLP([4, 6, 3], seed=11).state_dict()
    b = nn.MLP([4, 6, 3], seed=11).state_dict()
    c = nn.MLP([4, 6, 3], seed=12).state_dict()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["0.weight"], c["0.weight"])
    l1 = nn.Linear(5, 2, rng=np.random.default_rng(3)).weight.numpy()
    l2 = nn.Linear(5, 2, rng=np.random.default_rng(3)).weight.numpy()
    np.testing.assert_array_equal(l1, l2)


def test_unknown_init_and_bad_sizes_are_refused():
    with pytest.raises(InputError) as e:
        nn.Linear(2, 2, init="glorious")
    assert "glorious" in _one_line(e)
    with pytest.raises(InputError):
        nn.MLP([3])
    with pytest.raises(InputError):
        nn.MLP([3, 0, 2])


# ------------------------------------------------------------------------------------- losses
def _logits(m=5, k=4, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal((m, k)) * scale


LABELS = np.array([0, 3, 1, 3, 2])


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["moderate", "logits_1000"])
def test_cross_entropy_with_integer_labels(scale):
    Z = _logits(scale=scale)
    if scale > 1:
        Z[0] = [1000.0, -1000.0, 0.0, 999.0]
    assert_grads(
        lambda z: nn.cross_entropy(z, LABELS),
        lambda z: -anp.mean(ag_log_softmax(z)[np.arange(5), LABELS]),
        Z,
        num=scale == 1.0,
    )


def test_cross_entropy_with_large_logits_is_finite_and_exact():
    Z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
    z = Tensor(Z, requires_grad=True)
    loss = nn.cross_entropy(z, np.array([0, 0]))
    # sample 0: the right class wins by 1000: loss 0; sample 1: -log softmax = 2000
    assert loss.item() == pytest.approx(1000.0, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-12)


def test_cross_entropy_with_one_hot_rows_and_probability_rows():
    Z = _logits(seed=1)
    one_hot = np.eye(4)[LABELS]
    assert_grads(
        lambda z: nn.cross_entropy(z, one_hot),
        lambda z: -anp.mean(anp.sum(one_hot * ag_log_softmax(z), axis=1)),
        Z,
    )
    # the same loss either way
    np.testing.assert_allclose(
        nn.cross_entropy(Tensor(Z), one_hot).item(),
        nn.cross_entropy(Tensor(Z), LABELS).item(),
        rtol=1e-13,
    )
    soft = np.random.default_rng(2).dirichlet(np.ones(4), size=5)
    assert_grads(
        lambda z: nn.cross_entropy(z, soft),
        lambda z: -anp.mean(anp.sum(soft * ag_log_softmax(z), axis=1)),
        Z,
    )


def test_cross_entropy_scales_with_the_incoming_gradient():
    Z = _logits(seed=3)
    assert_grads(
        lambda z: nn.cross_entropy(z * 2.0, LABELS) * 3.0 + 1.0,
        lambda z: -3.0 * anp.mean(ag_log_softmax(z * 2.0)[np.arange(5), LABELS]) + 1.0,
        Z,
    )


def test_cross_entropy_refuses_bad_labels():
    z = Tensor(_logits(), requires_grad=True)
    with pytest.raises(InputError) as e:
        nn.cross_entropy(z, np.array([0, 1, 2, 3, 4]))  # 4 classes: 4 is out of range
    assert "4" in _one_line(e)
    with pytest.raises(InputError) as e:
        nn.cross_entropy(z, np.array([0, 1, 2]))
    assert "(5,)" in _one_line(e)


@pytest.mark.parametrize("loss", [nn.cross_entropy, nn.nll])
def test_losses_refuse_logits_that_are_not_a_matrix(loss):
    with pytest.raises(InputError) as e:
        loss(Tensor(np.ones(3), requires_grad=True), np.array([0]))
    assert "(3,)" in _one_line(e)


def test_nll_matches_autograd():
    rng = np.random.default_rng(4)
    L = rng.standard_normal((5, 4)) - 2.0
    assert_grads(
        lambda lp: nn.nll(lp, LABELS),
        lambda lp: -anp.mean(lp[np.arange(5), LABELS]),
        L,
    )
    # nll of log_softmax is cross_entropy
    Z = _logits(seed=5)
    np.testing.assert_allclose(
        nn.nll(Tensor(Z).log_softmax(axis=1), LABELS).item(),
        nn.cross_entropy(Tensor(Z), LABELS).item(),
        rtol=1e-13,
    )
    assert_grads(
        lambda z: nn.nll(z.log_softmax(axis=-1), LABELS),
        lambda z: -anp.mean(ag_log_softmax(z)[np.arange(5), LABELS]),
        Z,
    )


def test_mse_matches_autograd():
    rng = np.random.default_rng(6)
    A, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert_grads(lambda a: nn.mse(a, T), lambda a: anp.mean((a - T) ** 2), A)
    assert_grads(lambda a, t: nn.mse(a, t) * 2.0, lambda a, t: 2.0 * anp.mean((a - t) ** 2), A, T)
    with pytest.raises(InputError) as e:
        nn.mse(Tensor(A), np.zeros((3, 4)))
    message = _one_line(e)
    assert "(4, 3)" in message and "(3, 4)" in message


def _book_quadratic(a, y):
    return anp.mean(anp.sum(0.5 * (a - y) ** 2, axis=1))  # sum over units, mean over samples


def _book_cross_entropy(a, y):
    return anp.mean(-anp.sum(y * anp.log(a) + (1 - y) * anp.log(1 - a), axis=1))


@pytest.mark.parametrize(
    "name, book", [("quadratic", _book_quadratic), ("cross_entropy", _book_cross_entropy)]
)
def test_cost_matches_the_book_formula(name, book):
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((6, 3))
    Y = (rng.uniform(size=(6, 3)) > 0.5).astype(np.float64)
    # on the outputs directly
    A = 1 / (1 + np.exp(-Z))
    assert_grads(lambda a: nn.cost(a, Y, name), lambda a: book(a, Y), A)
    # through a sigmoid output, scaled: the incoming gradient must be honoured
    assert_grads(
        lambda z: nn.cost(z.sigmoid(), Y, name) * 2.5,
        lambda z: 2.5 * book(ag_expit(z), Y),
        Z,
    )


@pytest.mark.parametrize(
    "name, book", [("quadratic", _book_quadratic), ("cross_entropy", _book_cross_entropy)]
)
def test_output_gradient_is_the_costs_gradient_without_its_value(name, book):
    """The seed a training step starts backward from: dC/da of the table cost, as autograd and
    central differences give it; backward from it fills .grad as the cost node's backward."""
    rng = np.random.default_rng(8)
    A = 1 / (1 + np.exp(-rng.standard_normal((6, 3))))
    Y = (rng.uniform(size=(6, 3)) > 0.5).astype(np.float64)
    seed = output_gradient(Tensor(A), Y, name)
    np.testing.assert_allclose(seed, ag_grad(lambda a: book(a, Y))(A), rtol=1e-12)
    np.testing.assert_allclose(seed, numeric_gradient(lambda a: book(a, Y), A), rtol=1e-5)
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal((6, 4))
    grads = []
    for start in ("seed", "loss"):
        w = Tensor(W.copy(), requires_grad=True)
        out = nn.functional.linear(Tensor(x), w, activation="sigmoid")
        if start == "seed":
            out.backward(output_gradient(out, Y, name))
        else:
            nn.cost(out, Y, name).backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-13)


@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_output_gradient_of_the_log_likelihood_is_softmax_minus_target(target):
    Z = _logits(seed=3)
    Y = LABELS if target == "labels" else np.eye(4)[LABELS]

    def mean_nll(z):
        return -anp.mean(ag_log_softmax(z)[np.arange(5), LABELS])

    seed = output_gradient(Tensor(Z), Y, "log_likelihood")
    np.testing.assert_allclose(seed, ag_grad(mean_nll)(Z), rtol=1e-12, atol=1e-15)
    with pytest.raises(InputError):
        output_gradient(Tensor(Z), np.array([0, 9, 1, 3, 2]), "log_likelihood")


def test_cost_refuses_targets_of_another_shape():
    with pytest.raises(InputError) as e:
        nn.cost(Tensor(np.full((4, 3), 0.5)), np.zeros((4, 2)), "quadratic")
    message = _one_line(e)
    assert "(4, 3)" in message and "(4, 2)" in message


# ------------------------------------------------------------------------------------- optimizers
GRADS = [np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[-0.3, 0.7], [0.1, -2.0]])]
GRADS.append(np.array([[1.5, 0.2], [-0.6, 0.9]]))
P0 = np.array([[1.0, -2.0], [0.5, 3.0]])


def _run(opt_factory, grads=GRADS, p0=P0):
    p = nn.Parameter(p0.copy())
    opt = opt_factory([p])
    history = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        history.append(p.numpy().copy())
    return history


def _sgd_reference(lr, momentum=0.0, nesterov=False, weight_decay=0.0, grads=GRADS, p0=P0):
    """PyTorch's SGD, written out: d = g + wd p; buf = d (first step) or mu buf + d;
    d = d + mu buf (Nesterov) or buf; p -= lr d."""
    p = p0.copy()
    buf = None
    history = []
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
        history.append(p)
    return history


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "nesterov": True},
        {"weight_decay": 0.1},
        {"momentum": 0.5, "weight_decay": 0.01},
        {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
    ],
    ids=["plain", "momentum", "nesterov", "weight_decay", "momentum_wd", "nesterov_wd"],
)
def test_sgd_steps_follow_the_update_equations(kwargs):
    got = _run(lambda ps: optim.SGD(ps, lr=0.1, **kwargs))
    expected = _sgd_reference(0.1, **kwargs)
    for step, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-14, atol=1e-15, err_msg=f"step {step + 1}")


def test_one_plain_sgd_step_by_hand():
    got = _run(lambda ps: optim.SGD(ps, lr=0.5), grads=GRADS[:1])
    np.testing.assert_array_equal(got[0], [[0.75, -1.5], [-0.5, 2.875]])


def _adam_reference(lr, b1, b2, eps, weight_decay=0.0, grads=GRADS, p0=P0):
    """PyTorch's Adam: g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
    p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""
    p = p0.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    history = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p)
    return history


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.05, "eps": 1e-3},
        {"weight_decay": 0.1},
    ],
    ids=["defaults", "betas", "large_eps", "weight_decay"],
)
def test_adam_steps_follow_the_update_equations(kwargs):
    lr = kwargs.get("lr", 1e-3)
    b1, b2 = kwargs.get("betas", (0.9, 0.999))
    eps = kwargs.get("eps", 1e-8)
    got = _run(lambda ps: optim.Adam(ps, **kwargs))
    expected = _adam_reference(lr, b1, b2, eps, kwargs.get("weight_decay", 0.0))
    for step, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"step {step + 1}")


def test_adam_eps_sits_outside_the_square_root_with_tiny_gradients():
    tiny = [g * 1e-8 for g in GRADS]
    got = _run(lambda ps: optim.Adam(ps, lr=0.1), grads=tiny)
    expected = _adam_reference(0.1, 0.9, 0.999, 1e-8, grads=tiny)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_about_lr():
    got = _run(lambda ps: optim.Adam(ps, lr=0.01), grads=GRADS[:1])
    np.testing.assert_allclose(P0 - got[0], 0.01 * np.sign(GRADS[0]), rtol=1e-6)


def test_parameters_without_gradients_do_not_move_and_zero_grad_clears():
    a, b = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b], lr=0.1)):
        a.grad, b.grad = GRADS[0].copy(), None
        opt.step()
        np.testing.assert_array_equal(b.numpy(), P0)
        assert not np.array_equal(a.numpy(), P0)
        opt.zero_grad()
        assert a.grad is None and b.grad is None


def test_optimizer_errors():
    p = nn.Parameter(np.ones(2))
    for make in (lambda ps, lr: optim.SGD(ps, lr=lr), lambda ps, lr: optim.Adam(ps, lr=lr)):
        with pytest.raises(InputError) as e:
            make([], 0.1)
        assert "parameters" in _one_line(e)
        for lr in (0.0, -0.1, float("nan"), float("inf")):
            with pytest.raises(InputError) as e:
                make([p], lr)
            assert "learning rate" in _one_line(e)
    with pytest.raises(InputError):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(InputError):
        optim.SGD([p], lr=0.1, nesterov=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(InputError):
        opt.lr = 0.0
    assert opt.lr == 0.1


# ------------------------------------------------------------------------------------- learning
def test_a_small_mlp_with_adam_learns_xor():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR of the signs
    model = nn.MLP([2, 16, 2], activation="tanh", dtype=np.float64, seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    x = Tensor(X)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = nn.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    with no_grad():
        logits = model(x)
    final = nn.cross_entropy(logits, y).item()
    accuracy = (logits.numpy().argmax(axis=1) == y).mean()
    assert first > 0.6  # chance level ~ log 2
    assert final < 0.06
    assert accuracy >= 0.95
