"""makemore, part 3: a deeper MLP with batch norm, and the statistics that show it is healthy.

Karpathy's own layers, written as PyTorch's ``nn`` ones: ``Linear`` (weights
``randn / sqrt(fan_in)`` times the tanh gain 5/3), ``BatchNorm1d``
(``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch's mean and variance, running
averages for inference) and ``Tanh``. Five hidden layers of 100.
While training, each step records the update-to-data ratio
``log10(std(lr * grad) / std(p))`` of each parameter (about -3 is healthy); after it, each tanh
layer's activations and gradients are summarised (mean, std, the share saturated past 0.97)
and histogrammed with ``torch.histogram``.

Run: python examples/course/batchnorm.py (the one line changed from PyTorch: the import).
"""

from __future__ import annotations

from makemore_data import read_words, splits

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F


class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)  # batch mean
            xvar = x.var(0, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


def build(vocab_size=27, block_size=3, n_embd=10, n_hidden=100, depth=5):
    g = torch.Generator().manual_seed(2147483647)  # for reproducibility
    C = torch.randn((vocab_size, n_embd), generator=g)
    layers = [Linear(n_embd * block_size, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh()]
    for _ in range(depth - 1):
        layers += [Linear(n_hidden, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh()]
    layers += [Linear(n_hidden, vocab_size, g, bias=False), BatchNorm1d(vocab_size)]
    with torch.no_grad():
        layers[-1].gamma *= 0.1  # last layer: make less confident
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3  # the tanh gain
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return C, layers, parameters


def forward(C, layers, X):
    emb = C[X]
    x = emb.view(emb.shape[0], -1)  # concatenate the vectors
    for layer in layers:
        x = layer(x)
    return x


def train(model, Xtr, Ytr, steps, batches=None, batch_size=32):
    """SGD with step decay; returns the loss of each step and the update-to-data ratios."""
    C, layers, parameters = model
    lossi, ud = [], []
    for i in range(steps):
        ix = batches[i] if batches is not None else torch.randint(0, Xtr.shape[0], (batch_size,))
        loss = F.cross_entropy(forward(C, layers, Xtr[ix]), Ytr[ix])
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps * 3 // 4 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
    return lossi, ud


def statistics(layers, parameters):
    """Per tanh layer: (mean, std, % saturated) of the activations, (mean, std) of their
    gradients, and a density histogram of each; per weight matrix, the grad:data ratio."""
    rows = []
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Tanh):
            t, grad = layer.out, layer.out.grad
            saturated = (t.abs() > 0.97).float().mean() * 100
            hy, hx = torch.histogram(t.detach(), bins=20, density=True)
            rows.append(
                (
                    i,
                    t.mean().item(),
                    t.std().item(),
                    saturated.item(),
                    grad.mean().item(),
                    grad.std().item(),
                    hy,
                    hx,
                )
            )
    ratios = [(tuple(p.shape), (p.grad.std() / p.std()).item()) for p in parameters if p.ndim == 2]
    return rows, ratios


def main(steps=2000):
    words, stoi, _ = read_words()
    Xtr, Ytr = map(torch.tensor, splits(words, stoi)[0])
    model = build()
    print(sum(p.nelement() for p in model[2]), "parameters")
    lossi, ud = train(model, Xtr, Ytr, steps)
    print(f"loss {lossi[0]:.4f} -> {lossi[-1]:.4f}")
    rows, ratios = statistics(model[1], model[2])
    for i, mean, std, saturated, gmean, gstd, _, _ in rows:
        print(
            f"layer {i} (Tanh): mean {mean:+.2f}, std {std:.2f}, saturated: {saturated:.2f}%,"
            f" grad mean {gmean:+f}, grad std {gstd:e}"
        )
    for shape, ratio in ratios:
        print(f"weight {shape!s:10s} | grad:data ratio {ratio:e}")
    print("update:data ratios (log10), last step:", " ".join(f"{r:.2f}" for r in ud[-1]))


if __name__ == "__main__":
    main()
