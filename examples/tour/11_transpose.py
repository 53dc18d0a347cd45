"""The backward pass is the forward weights transposed.

Two inputs, three outputs, no activation: y = W x, and the loss is the sum of the outputs, so
dL/dy = [1, 1, 1] and dL/dx = W^T dL/dy. With all-ones weights that is [3, 3]: each input reaches
the loss through three outputs. Any other W gives W^T [1, 1, 1] just the same.
"""

import numpy as np

from chainrule import Tensor


def input_gradient(W):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (Tensor(W) @ x).sum()
    loss.backward()
    return x.grad.numpy()


def main(out_dir=None):
    ones = np.ones((3, 2))
    grad = input_gradient(ones)
    print(f"W = ones(3, 2): dL/dx = {grad}, W^T [1,1,1] = {ones.T @ np.ones(3)}")
    W = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, 0.0]])
    other = input_gradient(W)
    print(f"W = {W.tolist()}: dL/dx = {other}, W^T [1,1,1] = {W.T @ np.ones(3)}")
    return {"ones_grad": grad, "W": W, "W_grad": other, "W_T_ones": W.T @ np.ones(3)}


if __name__ == "__main__":
    main()
