#!/usr/bin/env python3
"""PyTorch peer of Sample.Mlp: the same MLP, data, batch size, optimizer, learning rate and thread count.

Setup (Debian 12):   sudo apt-get install -y python3-torch libopenblas0-pthread dataset-fashion-mnist
Run:                 /usr/bin/python3 Benchmarks/peers/mlp_torch.py --batch 64 --optimizer sgd --lr 0.01 --threads 1 --epochs 3
Compare with:        dotnet run --project Sample.Mlp -c Release -- --batch 64 --optimizer sgd --lr 0.01 --threads 1 --epochs 3

Model: Linear(784, h) -> ReLU -> ... -> Linear(h, 10), mean softmax cross-entropy (F.cross_entropy), He-normal
weights and zero biases, as the sample initializes them. The data is read once from the IDX files into tensors
(pixels / 255); each epoch draws a random permutation and slices mini-batches from those tensors (no DataLoader), a
short last batch included, as the sample does. Prints, per epoch, the mean train loss, the test accuracy and the
seconds spent in the training steps (the same span the sample times: gathering the batch, forward, backward,
optimizer step; not the evaluation).
"""
import argparse
import os
import sys

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default="sgd")
parser.add_argument("--hidden", default="128")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all)")
args = parser.parse_args()

# Must be set before torch (and its BLAS) is loaded.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import gzip
import struct
import time

import torch
import torch.nn.functional as F


def read_idx(path, magic):
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if opener is gzip.open else path, "rb") as f:
        data = f.read()
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        sys.exit(f"{path}: magic 0x{found:08x}, expected 0x{magic:08x}")
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return torch.frombuffer(bytearray(data[4 + 4 * len(dims):]), dtype=torch.uint8).reshape(dims)


def load(prefix):
    x = read_idx(os.path.join(args.data, prefix + "-images-idx3-ubyte"), 0x803).reshape(-1, 784).float() / 255
    y = read_idx(os.path.join(args.data, prefix + "-labels-idx1-ubyte"), 0x801).long()
    return x, y


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load("train")
    x_test, y_test = load("t10k")
    if args.limit:
        x_train, y_train = x_train[:args.limit].contiguous(), y_train[:args.limit].contiguous()
    sizes = [784] + [int(h) for h in args.hidden.split(",")] + [10]
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        w = torch.randn(fan_out, fan_in) * (2.0 / fan_in) ** 0.5
        layers.append((w.requires_grad_(), torch.zeros(fan_out, requires_grad=True)))
    params = [p for layer in layers for p in layer]
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=args.lr)
    elif args.optimizer == "momentum":
        opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)

    def forward(x):
        for i, (w, b) in enumerate(layers):
            x = F.linear(x, w, b)
            if i < len(layers) - 1:
                x = F.relu(x)
        return x

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {len(y_train)} training images, "
          f"{'-'.join(map(str, sizes))}, batch {args.batch}, {args.optimizer} lr {args.lr}")
    n = len(y_train)
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(n)
        total = 0.0
        start = time.perf_counter()
        for s in range(0, n, args.batch):
            idx = order[s:s + args.batch]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        with torch.no_grad():
            accuracy = (forward(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch:3d}  train loss {total / n:.4f}  test accuracy {accuracy:.4f}  {seconds:.2f} s  ({n / seconds:,.0f} samples/s)")


main()
