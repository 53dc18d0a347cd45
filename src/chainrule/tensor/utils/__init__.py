"""``torch.utils``: ``data`` (datasets and the DataLoader)."""

from chainrule.tensor.utils import data

__all__ = ["data"]
