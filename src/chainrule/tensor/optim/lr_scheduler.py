"""Learning-rate schedules that set ``param_groups[i]["lr"]``, as PyTorch's do: call
``scheduler.step()`` once per epoch (or per step), after ``optimizer.step()``.

Each schedule is a closed form of the epoch count ``t`` (``last_epoch``) and each group's
initial rate ``lr0``; as in PyTorch, making a scheduler sets the rates for ``t = 0`` already.
"""

from __future__ import annotations

import math

from chainrule.errors import InputError, InputTypeError

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "StepLR"]


class LRScheduler:
    """Base: remembers each group's initial rate (``base_lrs``, also kept as the groups'
    ``"initial_lr"``), counts epochs (``last_epoch``) and sets the rates for epoch 0."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group now, as PyTorch's get_last_lr."""
        return list(self._last_lr)

    def step(self) -> None:
        """Count one epoch and set each group's rate to this schedule's value for it."""
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        self._last_lr = list(self._rates())
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def _rates(self):
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The counters (``last_epoch``, ``base_lrs``), without the optimizer."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``: the epoch count and initial rates."""
        self.last_epoch, self.base_lrs = state["last_epoch"], list(state["base_lrs"])
        self._apply()


class StepLR(LRScheduler):
    """``lr = lr0 * gamma ** (t // step_size)``: the rate times gamma every ``step_size``
    epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        if step_size < 1 or gamma <= 0:
            raise InputError("StepLR needs step_size >= 1 and gamma > 0.")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def _rates(self):
        k = self.last_epoch // self.step_size
        return [lr * self.gamma**k for lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = lr0 * gamma ** t``."""

    def __init__(self, optimizer, gamma: float):
        if gamma <= 0:
            raise InputError(f"ExponentialLR needs gamma > 0, got {gamma}.")
        self.gamma = gamma
        super().__init__(optimizer)

    def _rates(self):
        return [lr * self.gamma**self.last_epoch for lr in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr = lr0 * lr_lambda(t)``: ``lr_lambda`` a function of the epoch, or one per group."""

    def __init__(self, optimizer, lr_lambda):
        n = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(lambdas) != n or not all(callable(f) for f in lambdas):
            raise InputTypeError(
                f"LambdaLR needs a function of the epoch, or a list of {n} (one per param "
                f"group), got {lr_lambda!r}."
            )
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _rates(self):
        return [lr * f(self.last_epoch) for lr, f in zip(self.base_lrs, self.lr_lambdas)]


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2`` (Loshchilov & Hutter's
    SGDR without restarts): from ``lr0`` down to ``eta_min`` over ``T_max`` epochs."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        if T_max < 1:
            raise InputError(f"CosineAnnealingLR needs T_max >= 1, got {T_max}.")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def _rates(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (lr - self.eta_min) * cosine for lr in self.base_lrs]
