"""``chainrule.optim``: optimizers for the tensor engine, with PyTorch's names."""

from chainrule.tensor.optim import SGD, Adam, Optimizer

__all__ = ["SGD", "Adam", "Optimizer"]
