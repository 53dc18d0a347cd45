"""makemore, part 1: the bigram character model, counted and then learned.

Counting: ``N[a, b]`` is how often letter ``b`` follows letter ``a`` in the names (``.`` marks a
start and an end); the model is ``P = (N + 1) / rowsums`` (add-one smoothing) and its quality
the mean negative log likelihood ``-mean(log P[a, b])`` over every bigram.

Learning: one linear layer ``W`` (27 x 27) on one-hot inputs, ``logits = onehot(x) @ W``,
``probs = softmax(logits)``; the loss is the same negative log likelihood plus
``0.01 * mean(W**2)``; gradient descent on ``W``. Trained long enough it reaches the counting
model's loss: the learned ``exp(W)`` rows are the counts' rows.

Run: python examples/course/bigram.py (the one line changed from PyTorch: the import).
"""

from __future__ import annotations

from makemore_data import read_words

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F


def count(words, stoi):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    return N


def counting_model(N):
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    return P


def nll(P, words, stoi):
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
            n += 1
    return -log_likelihood / n


def sample(P, itos, count=5, g=None):
    g = g if g is not None else torch.Generator().manual_seed(2147483647)
    names = []
    for _ in range(count):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append("".join(out))
    return names


def bigrams(words, stoi):
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    return torch.tensor(xs), torch.tensor(ys)


def init_weights():
    g = torch.Generator().manual_seed(2147483647)
    return torch.randn((27, 27), generator=g, requires_grad=True)


def train(W, xs, ys, steps=100, lr=50.0):
    """Gradient descent on ``W``; the loss of every step."""
    num = xs.nelement()
    losses = []
    for _ in range(steps):
        # forward pass
        xenc = F.one_hot(xs, num_classes=27).float()  # input to the network: one-hot encoding
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        losses.append(loss.item())
        # backward pass
        W.grad = None  # set to zero the gradient
        loss.backward()
        # update
        W.data += -lr * W.grad
    return losses


def main():
    words, stoi, itos = read_words()
    N = count(words, stoi)
    P = counting_model(N)
    print(f"counting model: nll {nll(P, words, stoi).item():.4f}")
    print("samples:", " ".join(sample(P, itos)))
    xs, ys = bigrams(words, stoi)
    W = init_weights()
    losses = train(W, xs, ys, steps=100)
    print(f"neural bigram: loss {losses[0]:.4f} -> {losses[-1]:.4f}")


if __name__ == "__main__":
    main()
