"""makemore, part 5: a WaveNet-like hierarchy, written as PyTorch's ``nn`` layers are.

Eight letters of context are embedded (``(B, 8, 24)``) and fused two at a time, three times:
``FlattenConsecutive(2)`` turns ``(B, T, C)`` into ``(B, T/2, 2C)`` (a view), a ``Linear``
mixes each pair (``(B, T, C) @ (C, H)`` acts on the last dimension), a ``BatchNorm1d`` that on
3-D input normalises over the batch and time dimensions (``dim=(0, 1)``), then ``Tanh``; after
the third fusion ``T`` is 1 and ``squeeze`` drops it. The output layer gives 27 logits. These
are Karpathy's own layer classes of the lecture (the torch.nn ones do the same), trained with
SGD and a step decay.

Run: python examples/course/wavenet.py (the one line changed from PyTorch: the import).
"""

from __future__ import annotations

from makemore_data import read_words, splits

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F

block_size = 8  # context length: how many characters do we take to predict the next one?


class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
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
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            if x.ndim == 2:
                dim = 0
            elif x.ndim == 3:
                dim = (0, 1)
            xmean = x.mean(dim, keepdim=True)  # batch mean
            xvar = x.var(dim, keepdim=True)  # batch variance
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


class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def build(vocab_size=27, n_embd=24, n_hidden=128):
    torch.manual_seed(42)  # seed rng for reproducibility
    layers = [Embedding(vocab_size, n_embd)]
    for fan_in in (n_embd * 2, n_hidden * 2, n_hidden * 2):
        layers += [FlattenConsecutive(2), Linear(fan_in, n_hidden, bias=False)]
        layers += [BatchNorm1d(n_hidden), Tanh()]
    model = Sequential(layers + [Linear(n_hidden, vocab_size)])
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer make less confident
    for p in model.parameters():
        p.requires_grad = True
    return model


def step(model, Xb, Yb, lr):
    """One SGD step (forward, backward, update); the loss as a tensor."""
    logits = model(Xb)
    loss = F.cross_entropy(logits, Yb)
    for p in model.parameters():
        p.grad = None
    loss.backward()
    for p in model.parameters():
        p.data += -lr * p.grad
    return loss


def train(model, Xtr, Ytr, steps, batches=None, batch_size=32):
    lossi = []
    for i in range(steps):
        ix = batches[i] if batches is not None else torch.randint(0, Xtr.shape[0], (batch_size,))
        lr = 0.1 if i < steps * 3 // 4 else 0.01  # step learning rate decay
        lossi.append(step(model, Xtr[ix], Ytr[ix], lr).item())
    return lossi


@torch.no_grad()
def split_loss(model, X, Y):
    for layer in model.layers:
        layer.training = False
    loss = F.cross_entropy(model(X), Y).item()
    for layer in model.layers:
        layer.training = True
    return loss


def main(steps=5000):
    words, stoi, _ = read_words()
    (Xtr, Ytr), (Xdev, Ydev), _ = [tuple(map(torch.tensor, s)) for s in splits(words, stoi, 8)]
    model = build()
    print(sum(p.nelement() for p in model.parameters()), "parameters")
    lossi = train(model, Xtr, Ytr, steps)
    mean = torch.tensor(lossi).view(-1, 100).mean(1) if steps % 100 == 0 else torch.tensor(lossi)
    print(f"loss (means of 100 steps) {mean[0].item():.3f} -> {mean[-1].item():.3f}")
    print(f"train {split_loss(model, Xtr, Ytr):.4f} dev {split_loss(model, Xdev, Ydev):.4f}")


if __name__ == "__main__":
    main()
