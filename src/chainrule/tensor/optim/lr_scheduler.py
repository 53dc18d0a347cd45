"""Learning-rate schedules that set ``param_groups[i]["lr"]``, as PyTorch's do: call
``scheduler.step()`` once per epoch, after ``optimizer.step()``."""

from __future__ import annotations

from chainrule.errors import InputError

__all__ = ["LRScheduler", "StepLR"]


class LRScheduler:
    """Base: remembers each group's initial rate and counts epochs (``last_epoch``)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group now, as PyTorch's get_last_lr."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Count one epoch and set each group's rate to this schedule's value for it."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self._rates()):
            group["lr"] = lr

    def _rates(self):
        raise NotImplementedError


class StepLR(LRScheduler):
    """``lr = initial lr * gamma ** (epoch // step_size)``: the rate times gamma every
    ``step_size`` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        if step_size < 1 or gamma <= 0:
            raise InputError("StepLR needs step_size >= 1 and gamma > 0.")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def _rates(self):
        k = self.last_epoch // self.step_size
        return [lr * self.gamma**k for lr in self.base_lrs]
