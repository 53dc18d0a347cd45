"""Optimizers: ``opt.zero_grad(); loss.backward(); opt.step()``, as in PyTorch.

Each ``step`` changes the parameters' arrays in place (outside the graph) and bumps their
version, so a graph built before the step cannot be backpropagated with the new values.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.errors import InputError
from chainrule.tensor.backend import xp
from chainrule.tensor.tensor import mark_changed

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    def __init__(self, params, lr: float):
        self.params = list(params)
        if not self.params:
            raise InputError("the optimizer got no parameters; pass model.parameters().")
        self.lr = lr
        self.state: dict[int, dict] = {}

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
            raise InputError(f"the learning rate must be a positive number, got {value}.")
        self._lr = float(value)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Move every parameter that has a gradient; the subclass says how."""
        for p in self.params:
            if p.grad is not None:
                self._update(p, p.grad, self.state.setdefault(id(p), {}))
                mark_changed(p)

    def _update(self, p, grad, state) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The rate and each parameter's state (by position in ``params``), arrays copied."""
        return {
            "lr": self.lr,
            "state": {
                i: {
                    k: (v.copy() if isinstance(v, np.ndarray) else v)
                    for k, v in self.state.get(id(p), {}).items()
                }
                for i, p in enumerate(self.params)
            },
        }

    def load_state_dict(self, state: dict) -> None:
        self.lr = state["lr"]
        self.state = {id(self.params[int(i)]): dict(s) for i, s in state["state"].items()}


class SGD(Optimizer):
    """``v <- momentum v + g``; ``p <- p - lr v`` (Nesterov: ``p <- p - lr (g + momentum v)``),
    with ``g = grad + weight_decay p`` (L2 regularization)."""

    def __init__(
        self,
        params,
        lr: float = 0.1,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise InputError("momentum and weight_decay must be zero or positive.")
        if nesterov and momentum == 0:
            raise InputError("Nesterov momentum needs momentum > 0.")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def step(self) -> None:
        if self.momentum or self.weight_decay:
            return super().step()
        lr = self.lr  # plain SGD, the hot path of the book's training: p <- p - lr g
        for p in self.params:
            if p.grad is not None:
                p.data -= lr * p.grad
        mark_changed(*self.params)

    def _update(self, p, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if self.momentum:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = grad.copy()
            else:
                v *= self.momentum
                v += grad
            grad = grad + self.momentum * v if self.nesterov else v
        p.data -= self.lr * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba): running means of the gradient and of its square, bias-corrected:
    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr mhat / (sqrt(vhat) + eps)``."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _update(self, p, grad, state):
        b1, b2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if not state:
            state.update(t=0, m=xp.zeros_like(p.data), v=xp.zeros_like(p.data))
        state["t"] += 1
        m, v, t = state["m"], state["v"], state["t"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step = self.lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        p.data -= step * m / (xp.sqrt(v) + self.eps * math.sqrt(1 - b2**t))
