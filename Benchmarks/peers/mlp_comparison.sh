#!/usr/bin/env bash
# Sample.Mlp against PyTorch (Benchmarks/peers/mlp_torch.py), side by side in one run: the same model (784-128-10),
# data, batch, optimizer (SGD, lr 0.01) and thread count. Needs the Debian packages python3-torch,
# libopenblas0-pthread and dataset-fashion-mnist. Batch 1 uses the 6,000 embedded training images (an epoch of the
# full set at batch 1 is 60,000 steps). Each line of output is one epoch; compare the epochs after the first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dotnet build Sample.Mlp -c Release >/dev/null
full=/usr/share/datasets/fashion-mnist
subset=Sample.Mlp/Data
run() { # label, data, batch, threads, epochs
    echo "== $1: ours"
    dotnet run --project Sample.Mlp -c Release --no-build -- --data "$2" --batch "$3" --threads "$4" --epochs "$5" \
        --optimizer sgd --lr 0.01 --plot none | grep -E '^epoch'
    echo "== $1: PyTorch"
    /usr/bin/python3 Benchmarks/peers/mlp_torch.py --data "$2" --batch "$3" --threads "$4" --epochs "$5" \
        --optimizer sgd --lr 0.01 | grep -E '^(epoch|torch)'
}
run "batch 64, 1 thread" "$full" 64 1 4
run "batch 64, 2 threads" "$full" 64 2 4
run "batch 1, 1 thread" "$subset" 1 1 3
run "batch 1, 2 threads" "$subset" 1 2 3
