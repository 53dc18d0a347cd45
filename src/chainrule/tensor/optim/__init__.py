"""Optimizers: ``opt.zero_grad(); loss.backward(); opt.step()``, as in PyTorch.

Settings live in ``opt.param_groups``, a list of dicts as in PyTorch: ``param_groups[0]["lr"]``
reads or sets the learning rate (schedulers do exactly that). Each ``step`` changes the
parameters' arrays in place (outside the graph) and bumps their version, so a graph built before
the step cannot be backpropagated with the new values.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.errors import InputError, InputTypeError
from chainrule.tensor.backend import xp
from chainrule.tensor.core import Tensor, mark_changed
from chainrule.tensor.module import zero_grads

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]


def _check_lr(value) -> float:
    if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
        raise InputError(f"the learning rate must be a positive number, got {value}.")
    return float(value)


class Optimizer:
    """``Optimizer(params, defaults)``: ``params`` is parameters, or dicts ``{"params": [...],
    "lr": ...}`` (one group each, missing settings taken from ``defaults``)."""

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise InputTypeError(
                "the optimizer needs an iterable of parameters (model.parameters() or [p]), "
                "got one Tensor."
            )
        params = list(params)
        if not params:
            raise InputError("the optimizer got no parameters; pass model.parameters().")
        self.defaults = defaults
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """One more group ``{"params": [...], "lr": ..., ...}``, its missing settings from the
        optimizer's defaults; a parameter may belong to one group only (as in PyTorch)."""
        if not isinstance(group, dict) or "params" not in group:
            raise InputTypeError(
                f"a parameter group is a dict with a 'params' list, got {type(group).__name__}."
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise InputError("some parameters appear in more than one parameter group.")
        group = {**self.defaults, **group, "params": params}
        group["lr"] = _check_lr(group["lr"])
        self.param_groups.append(group)

    @property
    def params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The first group's rate (``param_groups[0]["lr"]``, PyTorch's way, is the same)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = _check_lr(value)
        for group in self.param_groups:
            group["lr"] = value

    _lr = lr  # the name the training adapter used before param_groups existed

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None, or zeros if not set_to_none."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self) -> None:
        """Move every parameter that has a gradient; the subclass says how."""
        for group in self.param_groups:
            self._step_group(group)

    def _step_group(self, group: dict) -> None:
        """Parameter by parameter, each through ``_update``."""
        for p in group["params"]:
            if p._grad is not None:
                self._update(p, p._grad, self.state.setdefault(id(p), {}), group)
                mark_changed(p)

    def _update(self, p, grad, state, group) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The groups' settings and each parameter's state (by position), arrays copied; also
        ``"lr"``, the first group's rate (the form chainrule's checkpoints read)."""
        return {
            "lr": self.lr,
            "param_groups": [
                {k: v for k, v in g.items() if k != "params"} for g in self.param_groups
            ],
            "state": {
                i: {
                    k: (v.copy() if isinstance(v, np.ndarray) else v)
                    for k, v in self.state.get(id(p), {}).items()
                }
                for i, p in enumerate(self.params)
            },
        }

    def load_state_dict(self, state: dict) -> None:
        """Settings and state from ``state_dict()`` (or just ``"lr"`` and ``"state"``)."""
        for group, saved in zip(self.param_groups, state.get("param_groups", ())):
            group.update(saved)
        if "param_groups" not in state:
            self.lr = state["lr"]
        params = self.params
        self.state = {id(params[int(i)]): dict(s) for i, s in state["state"].items()}


class SGD(Optimizer):
    """PyTorch's SGD: ``g = grad + weight_decay p``; with momentum ``b <- g`` (first step) then
    ``b <- momentum b + (1 - dampening) g``, and ``g = g + momentum b`` (Nesterov) or ``g = b``;
    finally ``p <- p - lr g``. ``lr`` is required, as in PyTorch before 2.2."""

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if momentum < 0 or weight_decay < 0:
            raise InputError("momentum and weight_decay must be zero or positive.")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise InputError("Nesterov momentum needs momentum > 0 and dampening 0.")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def step(self) -> None:
        if len(self.param_groups) > 1:
            return super().step()
        group = self.param_groups[0]
        if group["momentum"] or group["weight_decay"]:
            return super().step()
        lr = group["lr"]  # plain SGD, the hot path of the book's training
        for p in group["params"]:
            if p._grad is not None:
                p._data -= lr * p._grad
        mark_changed(*group["params"])

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p._data
        momentum = group["momentum"]
        if momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = grad.copy()
            else:
                b *= momentum
                b += (1 - group["dampening"]) * grad
            grad = grad + momentum * b if group["nesterov"] else b
        p._data -= group["lr"] * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba): running means of the gradient and of its square, bias-corrected:
    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr mhat / (sqrt(vhat) + eps)``, with ``g = grad + weight_decay p`` (L2)."""

    decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if weight_decay < 0 or eps < 0 or not all(0 <= b < 1 for b in betas):
            raise InputError("Adam needs betas in [0, 1) and eps, weight_decay >= 0.")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self._flat: dict[int, tuple] = {}  # group number -> its parameters' moments as vectors

    def step(self) -> None:
        """A group whose parameters all have a gradient, one dtype and one step count moves at
        once: its gradients and values concatenated into vectors ``g`` and ``p``, its moments
        kept as two vectors (each parameter's ``state`` holds views of its piece), the update
        ``_update``'s equations on those vectors: ~15 numpy calls a step instead of ~15 per
        parameter. Any other group goes parameter by parameter."""
        for i, group in enumerate(self.param_groups):
            flat = self._flat_moments(i, group["params"])
            if flat is None:
                self._flat.pop(i, None)  # step counts may part: rebuild from the states later
                self._step_group(group)
            else:
                self._update_flat(group, *flat)

    def _flat_moments(self, i: int, params: list):
        """Group ``i``'s moment vectors ``(m, v, ends, states)`` (built from the parameters'
        states on first use or after a change), or None when the group cannot move at once."""
        if not params or any(p._grad is None for p in params):
            return None
        key = tuple(id(p) for p in params)
        flat = self._flat.get(i)
        if flat is not None and flat[0] == key and flat[1] is self.state:
            return flat[2:]
        dtype = params[0]._data.dtype
        states = [self.state.get(id(p)) or {"step": 0} for p in params]
        steps = {s["step"] for s in states}
        if any(p._data.dtype != dtype for p in params) or len(steps) > 1:
            return None
        t = steps.pop()
        ends = xp.cumsum([p._data.size for p in params]).tolist()
        moments = [
            xp.concatenate([s[n].reshape(-1) for s in states]) if t else xp.zeros(ends[-1], dtype)
            for n in ("exp_avg", "exp_avg_sq")
        ]
        states = []
        for p, start, end in zip(params, [0, *ends], ends):
            state = self.state[id(p)] = {
                "step": t,
                "exp_avg": moments[0][start:end].reshape(p._data.shape),
                "exp_avg_sq": moments[1][start:end].reshape(p._data.shape),
            }
            states.append(state)
        self._flat[i] = (key, self.state, *moments, ends, states)
        return self._flat[i][2:]

    def _update_flat(self, group, m, v, ends, states) -> None:
        params = group["params"]
        data = xp.concatenate([p._data.reshape(-1) for p in params])
        grad = xp.concatenate([p._grad.reshape(-1) for p in params])
        t = states[0]["step"] + 1
        self._move(data, grad, m, v, t, group)
        for p, state, start, end in zip(params, states, [0, *ends], ends):
            p._data[...] = data[start:end].reshape(p._data.shape)
            state["step"] = t
        mark_changed(*params)

    def _update(self, p, grad, state, group):
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(p._data), exp_avg_sq=xp.zeros_like(p._data))
        state["step"] += 1
        self._move(p._data, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], group)

    def _move(self, data, grad, m, v, t: int, group) -> None:
        """Step ``t`` on the values ``data`` and the moments ``m``, ``v`` (all in place)."""
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self.decoupled:  # AdamW: p <- p (1 - lr wd), apart from the gradient
            data *= 1 - lr * wd
        elif wd:
            grad = grad + wd * data
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        data -= step * m / (xp.sqrt(v) + group["eps"] * math.sqrt(1 - b2**t))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p <- p (1 - lr wd)`` first,
    then Adam's step on the plain gradient. ``weight_decay`` defaults to 0.01 as in PyTorch."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)


from chainrule.tensor.optim import lr_scheduler  # noqa: E402 - torch.optim.lr_scheduler
