"""makemore, part 2: a multilayer perceptron on characters (Bengio et al. 2003).

Three letters of context, each embedded by a lookup table ``C`` (27 x 10), concatenated (30),
a hidden layer ``h = tanh(emb @ W1 + b1)`` (200), the logits ``h @ W2 + b2`` (27) and the
cross-entropy of the next letter. Minibatch SGD, ``p.data += -lr * p.grad``, with a step decay;
the learning-rate sweep ``lrs = 10**torch.linspace(-3, 0, 1000)`` finds the rate. The names are
split 80/10/10 into training, dev and test sets.

Run: python examples/course/mlp.py (the one line changed from PyTorch: the import).
"""

from __future__ import annotations

from makemore_data import read_words, splits

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F

block_size = 3  # context length: how many characters do we take to predict the next one?


def init_parameters(n_embd=10, n_hidden=200):
    g = torch.Generator().manual_seed(2147483647)  # for reproducibility
    C = torch.randn((27, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    return parameters


def forward(parameters, X):
    C, W1, b1, W2, b2 = parameters
    emb = C[X]  # (batch, 3, n_embd)
    h = torch.tanh(emb.view(-1, W1.shape[0]) @ W1 + b1)  # (batch, n_hidden)
    return h @ W2 + b2  # (batch, 27)


def train(parameters, Xtr, Ytr, steps, batches=None, lrs=None):
    """Minibatch SGD; ``batches`` (a list of index tensors) replaces the random draws, ``lrs``
    the step decay. Returns the loss of each step."""
    lossi = []
    for i in range(steps):
        # minibatch construct
        ix = batches[i] if batches is not None else torch.randint(0, Xtr.shape[0], (32,))
        # forward pass
        logits = forward(parameters, Xtr[ix])
        loss = F.cross_entropy(logits, Ytr[ix])
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update
        lr = lrs[i] if lrs is not None else (0.1 if i < steps // 2 else 0.01)
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
    return lossi


@torch.no_grad()
def split_loss(parameters, X, Y):
    return F.cross_entropy(forward(parameters, X), Y).item()


def sample(parameters, itos, count=10):
    C, W1, b1, W2, b2 = parameters
    g = torch.Generator().manual_seed(2147483647 + 10)
    names = []
    for _ in range(count):
        out = []
        context = [0] * block_size  # initialize with all ...
        while True:
            emb = C[torch.tensor([context])]  # (1, block_size, d)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append("".join(itos[i] for i in out))
    return names


def main(steps=20000):
    words, stoi, itos = read_words()
    (Xtr, Ytr), (Xdev, Ydev), _ = [tuple(map(torch.tensor, s)) for s in splits(words, stoi)]
    parameters = init_parameters()
    print(sum(p.nelement() for p in parameters), "parameters")
    lre = torch.linspace(-3, 0, 1000)
    lrs = 10**lre  # the learning-rate sweep: one step at each rate
    sweep = train(parameters, Xtr, Ytr, steps=1000, lrs=lrs)
    best = lrs[min(range(1000), key=lambda i: sweep[i])]
    print(f"sweep: lowest loss at lr {best:.3f}")
    parameters = init_parameters()
    lossi = train(parameters, Xtr, Ytr, steps=steps)
    print(f"loss {lossi[0]:.3f} -> {lossi[-1]:.3f}")
    train_loss, dev_loss = split_loss(parameters, Xtr, Ytr), split_loss(parameters, Xdev, Ydev)
    print(f"train {train_loss:.4f} dev {dev_loss:.4f}")
    print(" ".join(sample(parameters, itos)))


if __name__ == "__main__":
    main()
