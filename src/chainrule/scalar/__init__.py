"""The scalar engine: ``Value`` and the neurons, layers and MLPs built from it."""

from chainrule.scalar.engine import Value, topological_order
from chainrule.scalar.nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "topological_order", "Module", "Neuron", "Layer", "MLP"]
