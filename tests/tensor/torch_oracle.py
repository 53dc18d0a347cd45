"""Run the same lines on chainrule and on real PyTorch and compare: the forward values (shape,
dtype, numbers) and the gradient of ``(out * W).sum()`` with respect to every input.

``f(lib, *inputs)`` is written once against a ``torch``-like module; it runs with
``lib = chainrule.tensor`` and with ``lib = torch``. The inputs are made by each library from
the same arrays (``lib.tensor(a, dtype=lib.<dtype>, requires_grad=True)``)."""

from __future__ import annotations

import numpy as np
import torch

import chainrule.tensor as ct

TOL = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


def _as_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, ct.Tensor):
        return x.numpy()
    return np.asarray(x)


def _outputs(out):
    """A result as a list of tensors (a namedtuple such as (values, indices) gives both)."""
    return list(out) if isinstance(out, tuple) else [out]


def against_torch(f, *arrays, dtype: str = "float64", grad: bool = True, tol=None):
    """Assert that ``f`` gives PyTorch's values and gradients; returns chainrule's output."""
    tol = tol or TOL[dtype]
    results, grads = [], []
    for lib in (ct, torch):
        inputs = [
            lib.tensor(np.array(a), dtype=getattr(lib, dtype), requires_grad=grad) for a in arrays
        ]
        out = f(lib, *inputs)
        results.append(out)
        if grad:
            first = _outputs(out)[0]
            w = np.random.default_rng(7).standard_normal(first.shape)
            (first * lib.tensor(w, dtype=getattr(lib, dtype))).sum().backward()
            grads.append([_as_numpy(t.grad) for t in inputs])
    ours, theirs = (_outputs(r) for r in results)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = _as_numpy(a), _as_numpy(b)
        assert a.shape == b.shape, (a.shape, b.shape)
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, **tol)
    if grad:
        for a, b in zip(*grads):
            np.testing.assert_allclose(a, b, **tol)
    return results[0]
