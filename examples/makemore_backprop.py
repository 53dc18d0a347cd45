"""Becoming a backprop ninja: the makemore exercise, run on chainrule with one import changed.

A character-level MLP reads three letters and predicts the next: an embedding lookup ``C[X]``, a
hidden layer with batch norm written out of primitive ops, tanh, and the cross-entropy written
out (logits minus their max, exp, sum, reciprocal, log, the picked entries' mean). Every
intermediate is kept with ``retain_grad()``; the hand-written gradient of each (``manual_backward``,
the chain rule one node at a time, outputs first) is compared with autograd's. Then the same net
is trained with ``torch.optim.SGD`` and a step schedule.

The only change from the PyTorch version is the import line: ``import chainrule.tensor as torch``.
The names are made up here (syllables drawn from a seeded generator), so nothing is downloaded.

Run: python examples/makemore_backprop.py
"""

from __future__ import annotations

import numpy as np

import chainrule.tensor as torch
import chainrule.tensor.nn.functional as F

BLOCK = 3  # letters of context
N_EMBD, N_HIDDEN = 10, 64
LETTERS = "abcdefghijklmnopqrstuvwxyz"
STOI = {s: i + 1 for i, s in enumerate(LETTERS)} | {".": 0}  # "." starts and ends a name
VOCAB = len(STOI)


def names(count: int = 600, seed: int = 0) -> list[str]:
    """``count`` name-like words: one to three syllables (onset + vowel + optional coda) and an
    optional ending, drawn with a seeded generator (the same list on every run)."""
    rng = np.random.default_rng(seed)
    onsets = ["b", "d", "k", "l", "m", "n", "r", "s", "t", "v", "j", "br", "st", "ch", "sh", ""]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "y"]
    codas = ["", "", "", "n", "l", "r", "s", "th"]
    endings = ["", "", "a", "ie", "on", "elle", "us", "yn"]
    words = []
    for _ in range(count):
        syllables = rng.integers(1, 4)
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)
        )
        words.append(word + rng.choice(endings))
    return words


def build_dataset(words):
    """Every (three letters, next letter) pair of every word: ``X`` ``(n, 3)``, ``Y`` ``(n,)``."""
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK
        for ch in w + ".":
            X.append(context)
            Y.append(STOI[ch])
            context = context[1:] + [STOI[ch]]
    return torch.tensor(X), torch.tensor(Y)


def init_parameters(seed: int = 2147483647):
    """Karpathy's initialization: tanh gain over sqrt(fan-in) for W1, small W2 and biases."""
    g = torch.Generator().manual_seed(seed)
    f64 = torch.float64
    C = torch.randn((VOCAB, N_EMBD), generator=g, dtype=f64)
    W1 = torch.randn((N_EMBD * BLOCK, N_HIDDEN), generator=g, dtype=f64)
    W1 = W1 * (5 / 3) / ((N_EMBD * BLOCK) ** 0.5)
    b1 = torch.randn(N_HIDDEN, generator=g, dtype=f64) * 0.1  # useless under batch norm: kept
    W2 = torch.randn((N_HIDDEN, VOCAB), generator=g, dtype=f64) * 0.1
    b2 = torch.randn(VOCAB, generator=g, dtype=f64) * 0.1
    bngain = torch.randn((1, N_HIDDEN), generator=g, dtype=f64) * 0.1 + 1.0
    bnbias = torch.randn((1, N_HIDDEN), generator=g, dtype=f64) * 0.1
    parameters = {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "bngain": bngain}
    parameters["bnbias"] = bnbias
    for p in parameters.values():
        p.requires_grad = True
    return parameters


def forward(P, Xb, Yb):
    """The forward pass in small steps; returns every intermediate by name (each retained)."""
    n = Xb.shape[0]
    t = {}
    t["emb"] = P["C"][Xb]  # (n, 3, 10): the embedding lookup
    t["embcat"] = t["emb"].view(t["emb"].shape[0], -1)  # (n, 30)
    t["hprebn"] = t["embcat"] @ P["W1"] + P["b1"]  # (n, 64)
    # batch norm, written out
    t["bnmeani"] = 1 / n * t["hprebn"].sum(0, keepdim=True)
    t["bndiff"] = t["hprebn"] - t["bnmeani"]
    t["bndiff2"] = t["bndiff"] ** 2
    t["bnvar"] = 1 / (n - 1) * t["bndiff2"].sum(0, keepdim=True)  # Bessel's correction
    t["bnvar_inv"] = (t["bnvar"] + 1e-5) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = P["bngain"] * t["bnraw"] + P["bnbias"]
    t["h"] = torch.tanh(t["hpreact"])
    t["logits"] = t["h"] @ P["W2"] + P["b2"]  # (n, 27)
    # the cross-entropy, written out
    t["logit_maxes"] = t["logits"].max(1, keepdim=True).values
    t["norm_logits"] = t["logits"] - t["logit_maxes"]  # subtract the max for stability
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdim=True)
    t["counts_sum_inv"] = t["counts_sum"] ** -1
    t["probs"] = t["counts"] * t["counts_sum_inv"]
    t["logprobs"] = t["probs"].log()
    t["loss"] = -t["logprobs"][range(n), Yb].mean()
    for value in t.values():
        value.retain_grad()
    return t


def manual_backward(P, t, Xb, Yb):
    """The learner's gradients: dloss/d(each intermediate and parameter), by hand, outputs
    first. Each line is one local derivative times the gradient arriving from above."""
    n = Xb.shape[0]
    d = {}
    with torch.no_grad():
        d["logprobs"] = torch.zeros_like(t["logprobs"])
        d["logprobs"][range(n), Yb] = -1.0 / n  # the mean of the picked entries, negated
        d["probs"] = (1.0 / t["probs"]) * d["logprobs"]  # d log p = dp / p
        d["counts_sum_inv"] = (t["counts"] * d["probs"]).sum(1, keepdim=True)  # broadcast: sum
        d["counts"] = t["counts_sum_inv"] * d["probs"]
        d["counts_sum"] = (-(t["counts_sum"] ** -2)) * d["counts_sum_inv"]  # d(1/x) = -dx / x^2
        d["counts"] += torch.ones_like(t["counts"]) * d["counts_sum"]  # counts is used twice
        d["norm_logits"] = t["counts"] * d["counts"]  # d e^x = e^x dx
        d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)
        d["logits"] = d["norm_logits"].clone()
        picked = F.one_hot(t["logits"].max(1).indices, num_classes=VOCAB)
        d["logits"] += picked * d["logit_maxes"]  # the max passes its gradient to its argmax
        d["h"] = d["logits"] @ P["W2"].T
        d["W2"] = t["h"].T @ d["logits"]
        d["b2"] = d["logits"].sum(0)
        d["hpreact"] = (1.0 - t["h"] ** 2) * d["h"]  # tanh' = 1 - tanh^2
        d["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0, keepdim=True)
        d["bnraw"] = P["bngain"] * d["hpreact"]
        d["bnbias"] = d["hpreact"].sum(0, keepdim=True)
        d["bndiff"] = t["bnvar_inv"] * d["bnraw"]
        d["bnvar_inv"] = (t["bndiff"] * d["bnraw"]).sum(0, keepdim=True)
        d["bnvar"] = (-0.5 * (t["bnvar"] + 1e-5) ** -1.5) * d["bnvar_inv"]
        d["bndiff2"] = (1.0 / (n - 1)) * torch.ones_like(t["bndiff2"]) * d["bnvar"]
        d["bndiff"] += (2 * t["bndiff"]) * d["bndiff2"]  # bndiff is used twice
        d["hprebn"] = d["bndiff"].clone()
        d["bnmeani"] = (-d["bndiff"]).sum(0, keepdim=True)
        d["hprebn"] += 1.0 / n * (torch.ones_like(t["hprebn"]) * d["bnmeani"])
        d["embcat"] = d["hprebn"] @ P["W1"].T
        d["W1"] = t["embcat"].T @ d["hprebn"]
        d["b1"] = d["hprebn"].sum(0)
        d["emb"] = d["embcat"].view(t["emb"].shape)
        d["C"] = torch.zeros_like(P["C"])
        for k in range(Xb.shape[0]):  # each looked-up row sends its gradient home
            for j in range(Xb.shape[1]):
                d["C"][Xb[k, j]] += d["emb"][k, j]
    return d


def compare(P, t, d) -> dict[str, float]:
    """The largest |hand-written - autograd| for every gradient the learner wrote."""
    autograd = {**t, **P}
    return {name: (d[name] - autograd[name].grad).abs().max().item() for name in d}


def exercise(batch: int = 32, seed: int = 42):
    """One batch through forward, autograd's backward and the hand-written backward."""
    Xtr, Ytr = build_dataset(names())
    P = init_parameters()
    ix = torch.randint(0, Xtr.shape[0], (batch,), generator=torch.Generator().manual_seed(seed))
    Xb, Yb = Xtr[ix], Ytr[ix]
    t = forward(P, Xb, Yb)
    t["loss"].backward()
    return compare(P, t, manual_backward(P, t, Xb, Yb)), t["loss"].item()


def train(steps: int = 3000, batch: int = 32, seed: int = 1):
    """SGD with a step schedule on the batch-norm MLP (autograd's gradients); returns the loss
    on the whole training set before and after, in eval form (batch norm over all of it)."""
    words = names()
    Xtr, Ytr = build_dataset(words)
    P = init_parameters()
    opt = torch.optim.SGD(P.values(), lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=steps // 2, gamma=0.1)
    g = torch.Generator().manual_seed(seed)

    def full_loss():
        with torch.no_grad():
            return forward_plain(P, Xtr, Ytr).item()

    before = full_loss()
    for _ in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (batch,), generator=g)
        loss = forward_plain(P, Xtr[ix], Ytr[ix])
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    return before, full_loss()


def forward_plain(P, X, Y):
    """The same network with the library's pieces: ``var``, ``tanh``, ``F.cross_entropy``."""
    h = (P["C"][X].view(X.shape[0], -1) @ P["W1"]) + P["b1"]
    h = (h - h.mean(0, keepdim=True)) / (h.var(0, keepdim=True) + 1e-5) ** 0.5
    h = torch.tanh(P["bngain"] * h + P["bnbias"])
    return F.cross_entropy(h @ P["W2"] + P["b2"], Y)


def main():
    diffs, loss = exercise()
    print(f"one batch of 32, loss {loss:.4f} (uniform guess: log 27 = {np.log(27):.4f})")
    for name, diff in diffs.items():
        print(f"{name:15s} | max |hand - autograd|: {diff:.2e}")
    before, after = train()
    print(f"training loss, whole set: {before:.4f} before, {after:.4f} after 3000 steps")


if __name__ == "__main__":
    main()
