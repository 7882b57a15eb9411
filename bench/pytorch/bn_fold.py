"""What folding batch norm into the convolutions would gain for ResNet-18-cifar's evaluation-mode
forward pass on the CPU: the benchmark's model (bench/pytorch/models.py) against a copy whose
convolutions carry each batch norm's scale and shift (conv weight * gamma / sqrt(var + eps), bias
beta - mean * gamma / sqrt(var + eps)), on random input, interleaved rounds, no autograd.

    python3 bench/pytorch/bn_fold.py [--batch 256] [--rounds 5] [--threads 1]

Run it with MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=8000000000, or glibc's page
faults on the 64 MiB activations dominate both sides (docs/performance.md, "ResNet-18 on CPU: where
it stands").
"""
import argparse
import copy
import statistics
import time

import torch
import torch.nn as nn

from models import build_model


def folded(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
    out.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    out.bias.copy_(bn.bias - bn.running_mean * scale)
    return out


def fold_batch_norms(model):
    model.conv1, model.bn1 = folded(model.conv1, model.bn1), nn.Identity()
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            block.conv1, block.bn1 = folded(block.conv1, block.bn1), nn.Identity()
            block.conv2, block.bn2 = folded(block.conv2, block.bn2), nn.Identity()
            if block.downsample is not None:
                block.downsample = folded(block.downsample[0], block.downsample[1])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    plain = build_model("resnet18-cifar", 10).eval()
    with torch.no_grad():
        for module in plain.modules():  # statistics away from the initial 0 / 1, as after training
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)
        fused = fold_batch_norms(copy.deepcopy(plain))
        x = torch.randn(args.batch, 3, 32, 32)
        print(f"max |plain - folded| logits: {(plain(x)[0] - fused(x)[0]).abs().max().item():.2e}")
        plain(x), fused(x)  # warm-up
        times = {"plain": [], "folded": []}
        for _ in range(args.rounds):
            for name, model in (("plain", plain), ("folded", fused)):
                start = time.perf_counter()
                model(x)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f} s per forward ({', '.join(f'{v:.3f}' for v in values)})")
    print(f"folded / plain: {statistics.median(times['folded']) / statistics.median(times['plain']):.3f}")


if __name__ == "__main__":
    main()
