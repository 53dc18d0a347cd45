"""The tensor engine: ``Tensor`` autograd over numpy arrays, modules, losses and optimizers."""

from chainrule.tensor.tensor import Tensor, concatenate, is_grad_enabled, no_grad, tensor, where

__all__ = ["Tensor", "concatenate", "is_grad_enabled", "no_grad", "tensor", "where"]
