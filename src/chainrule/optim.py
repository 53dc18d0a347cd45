"""``chainrule.optim``: the tensor engine's ``torch.optim`` (``chainrule.tensor.optim``)."""

from chainrule.tensor.optim import SGD, Adam, AdamW, Optimizer, lr_scheduler

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
