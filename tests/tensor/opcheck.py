"""What the ops tests share: ``check`` (an op against HIPS autograd and central finite
differences), input makers with no kinks or ties, and the one-sentence error check."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd import grad as ag_grad
from autograd.scipy.special import logsumexp as ag_logsumexp
from conftest import numeric_gradient

from chainrule.tensor import Tensor


def weights(shape, seed=12345):
    """A fixed random weighting W: the test loss is (out * W).sum(), so every output element
    contributes with its own factor and a wrong gradient cannot hide behind a uniform seed."""
    return np.random.default_rng(seed).standard_normal(shape)


def check(f, g, *arrays, num_rtol=1e-5, num_atol=1e-6, ag_rtol=1e-10, ag_atol=1e-12):
    """``f(*tensors)`` (Tensor ops) against ``g(*arrays)`` (the same maths in autograd.numpy).

    Checks the forward value, then the gradient of ``(f * W).sum()`` with respect to every input:
    against autograd (to ``ag_rtol``) and against central differences of ``f``'s forward pass
    (to ``num_rtol``). Returns the tensors, for extra checks."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*tensors)
    assert isinstance(out, Tensor)
    expected = np.asarray(g(*arrays))
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-13)

    W = weights(out.shape)
    loss = (out * Tensor(W)).sum()
    loss.backward()

    for i, (t, a) in enumerate(zip(tensors, arrays)):
        reference = ag_grad(lambda *xs: anp.sum(g(*xs) * W), argnum=i)(*arrays)
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == a.shape, f"input {i}: grad shape {t.grad.shape} != {a.shape}"
        np.testing.assert_allclose(t.grad, reference, rtol=ag_rtol, atol=ag_atol)

        def forward_only(xi, i=i):
            inputs = [Tensor(xi if j == i else arrays[j]) for j in range(len(arrays))]
            return float(np.sum(f(*inputs).numpy() * W))

        numeric = numeric_gradient(forward_only, a)
        np.testing.assert_allclose(t.grad, numeric, rtol=num_rtol, atol=num_atol)
    return tensors


def rand(*shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from_zero(*shape, seed=0, low=0.3, high=2.0):
    """Values with |x| in [low, high] and random signs (no kinks, no division by ~0)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(*shape, seed=0):
    """Values at least 0.1 apart (so max has no ties, even after a finite-difference nudge)."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01, n)).reshape(shape)


def ag_softmax(x, axis):
    z = x - ag_logsumexp(x, axis=axis, keepdims=True)
    return anp.exp(z)


def ag_log_softmax(x, axis):
    return x - ag_logsumexp(x, axis=axis, keepdims=True)


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, f"error message spans lines: {message!r}"
    assert message.strip(), "empty error message"
    return message
