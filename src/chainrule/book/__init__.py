"""The book's programs on chainrule: Nielsen's ``network.py``, ``network2.py`` and
``mnist_loader.py`` (*Neural Networks and Deep Learning*, chapters 1 and 3), their interface
written again here on top of chainrule's :class:`~chainrule.network.Network`, so the book's
sessions run as printed under Python 3 with their imports changed::

    from chainrule.book import mnist_loader, network, network2

Data are the book's lists of ``(x, y)`` column vectors; each mini-batch is stacked into one matrix
and run through the matrix form of backprop (the book's per-sample loop is ``form="per-sample"``).
"""

from chainrule.book import mnist_loader, network, network2

__all__ = ["mnist_loader", "network", "network2"]
