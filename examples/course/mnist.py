"""An MNIST MLP in the style of pytorch/examples' mnist/main.py.

``Net``: flatten (784), ``Linear(784, 128)``, ReLU, ``Dropout(0.25)``, ``Linear(128, 10)``,
``log_softmax``; the loss is ``nll_loss`` (so the cross-entropy). The data come from the MNIST
files in ``$CHAINRULE_DATA/mnist`` (read with numpy; no torchvision), normalised with MNIST's mean
0.1307 and std 0.3081, wrapped in a ``TensorDataset`` and served by a ``DataLoader``. SGD with
momentum (pytorch/examples uses Adadelta), ``StepLR`` decays the rate each epoch, and the
trained weights go through ``torch.save``/``torch.load`` into a fresh model.

Run: python examples/course/mnist.py --train-size 10000 --epochs 2 (the one line changed from
PyTorch: the import).
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

import numpy as np

import chainrule.tensor as torch
import chainrule.tensor.nn as nn
import chainrule.tensor.nn.functional as F
import chainrule.tensor.optim as optim
from chainrule.tensor.optim.lr_scheduler import StepLR
from chainrule.tensor.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.dropout = nn.Dropout(0.25)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def read_idx(path):
    """An MNIST idx file (gzip): the images as (n, 28, 28) uint8, or the labels as (n,)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(train, count=None):
    """MNIST's training (``train=True``) or test set, the first ``count`` examples, as a
    TensorDataset of normalised (n, 1, 28, 28) float32 images and int64 labels."""
    folder = Path(os.environ.get("CHAINRULE_DATA", "data")) / "mnist"
    kind = "train" if train else "t10k"
    images = read_idx(folder / f"{kind}-images-idx3-ubyte.gz")[:count]
    labels = read_idx(folder / f"{kind}-labels-idx1-ubyte.gz")[:count]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    x = (x - 0.1307) / 0.3081
    return TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))


def train(args, model, device, train_loader, optimizer, epoch):
    """One epoch; returns the loss of every step."""
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            print(
                f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}"
                f" ({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}"
            )
    return losses


def test(model, device, test_loader):
    """The mean test loss and the number of test images classified right."""
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(
        f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
        f"{len(test_loader.dataset)} ({100.0 * correct / len(test_loader.dataset):.0f}%)\n"
    )
    return test_loss, correct


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="MNIST MLP (pytorch/examples style)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--gamma", type=float, default=0.7, help="learning rate step gamma")
    parser.add_argument("--train-size", type=int, default=10000, help="the first N images")
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--no-shuffle", action="store_true", help="serve the batches in order")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=50)
    parser.add_argument("--save-model", default="mnist_mlp.pt", help="where torch.save writes")
    return parser.parse_args(argv)


def main(argv=None):
    """Train, test, save, load into a fresh model, test that; returns (the step losses, the
    trained model's test result, the loaded model's)."""
    args = parse_args(argv)
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(
        mnist(True, args.train_size),
        batch_size=args.batch_size,
        shuffle=not args.no_shuffle,
        generator=generator,
    )
    test_loader = DataLoader(mnist(False, args.test_size), batch_size=args.test_batch_size)

    model = Net().to(device)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses = []
    for epoch in range(1, args.epochs + 1):
        losses += train(args, model, device, train_loader, optimizer, epoch)
        result = test(model, device, test_loader)
        scheduler.step()

    torch.save(model.state_dict(), args.save_model)
    loaded = Net().to(device)
    loaded.load_state_dict(torch.load(args.save_model))
    return losses, result, test(loaded, device, test_loader)


if __name__ == "__main__":
    main()
