"""Forget / retain / sample splits (docs/algorithm.md §1, §4) in camu's split JSON, and
the counterfactual set of docs/algorithm.md §2."""
import json
from pathlib import Path

import torch
from torch.utils.data import Subset, TensorDataset

from data import loader, seeded_generator

FORMAT = "camu-split"
VERSION = 1


class Split:
    def __init__(self, dataset, train_size, num_classes, scenario, seed, forget_repeat,
                 forget_indices, sample_indices):
        self.dataset = dataset
        self.train_size = train_size
        self.num_classes = num_classes
        self.scenario = scenario
        self.seed = seed
        self.forget_repeat = forget_repeat
        self.forget_indices = forget_indices  # int64 tensor, ascending
        self.sample_indices = sample_indices  # int64 tensor, in draw order (the attack reads its first 4000)
        mask = torch.ones(train_size, dtype=torch.bool)
        mask[forget_indices] = False
        self.retain_indices = mask.nonzero().flatten()

    def removed_classes(self):
        return list(self.scenario.get("classes", [])) if self.scenario["type"] == "class" else []

    def to_json(self):
        return {
            "format": FORMAT,
            "version": VERSION,
            "dataset": {"name": self.dataset, "trainSize": self.train_size, "numClasses": self.num_classes},
            "scenario": self.scenario,
            "seed": self.seed,
            "forgetRepeat": self.forget_repeat,
            "forgetIndices": self.forget_indices.tolist(),
            "sampleIndices": self.sample_indices.tolist(),
        }

    def save(self, path):
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")))


def make_split(data, scenario, seed, forget_repeat=1, classes=(0,), fraction=0.1):
    """class: every training sample of `classes`; random: `fraction` of D uniformly.
    D_s: |D_f| * forget_repeat samples drawn uniformly without replacement from D_r."""
    generator = seeded_generator(seed)
    labels = data.train_labels
    n = labels.shape[0]
    if scenario == "class":
        forget = torch.isin(labels, torch.tensor(list(classes))).nonzero().flatten()
        description = {"type": "class", "classes": list(classes)}
    elif scenario == "random":
        count = int(round(fraction * n))
        forget = torch.randperm(n, generator=generator)[:count].sort().values
        description = {"type": "random", "fraction": fraction}
    else:
        raise ValueError(f"--scenario: unknown scenario {scenario!r} (class or random)")
    mask = torch.ones(n, dtype=torch.bool)
    mask[forget] = False
    retain = mask.nonzero().flatten()
    sample_size = forget.numel() * forget_repeat
    if sample_size > retain.numel():
        raise ValueError(f"the sample set needs {sample_size} retained samples, D_r has {retain.numel()}")
    sample = retain[torch.randperm(retain.numel(), generator=generator)[:sample_size]]
    return Split(data.name, n, data.num_classes, description, seed, forget_repeat, forget, sample)


def load_split(path, data):
    raw = json.loads(Path(path).read_text())
    if raw.get("format") != FORMAT or raw.get("version") != VERSION:
        raise ValueError(f"{path}: not a {FORMAT} version {VERSION} file")
    info = raw["dataset"]
    if info["name"] != data.name or info["trainSize"] != data.train_size or info["numClasses"] != data.num_classes:
        raise ValueError(f"{path}: split of {info}, but --dataset is {data.name} "
                         f"({data.train_size} train samples, {data.num_classes} classes)")
    forget = torch.tensor(raw["forgetIndices"], dtype=torch.long)
    sample = torch.tensor(raw["sampleIndices"], dtype=torch.long)
    n = data.train_size
    for name, indices in (("forgetIndices", forget), ("sampleIndices", sample)):
        if indices.numel() and (indices.min() < 0 or indices.max() >= n):
            raise ValueError(f"{path}: {name} outside [0, {n})")
        if indices.unique().numel() != indices.numel():
            raise ValueError(f"{path}: {name} has duplicates")
    if torch.isin(sample, forget).any():
        raise ValueError(f"{path}: sampleIndices overlap forgetIndices")
    repeat = int(raw.get("forgetRepeat", 1))
    return Split(info["name"], n, info["numClasses"], raw["scenario"], raw.get("seed"), repeat,
                 forget.sort().values, sample)


def _materialise(dataset, indices, batch_size=256):
    """Stacks dataset[i] for the given indices (through a DataLoader, as a user would)."""
    images, labels = [], []
    for x, y in loader(Subset(dataset, indices.tolist()), batch_size, shuffle=False):
        images.append(x)
        labels.append(y)
    return torch.cat(images), torch.cat(labels)


def build_counterfactual(data, split, seed):
    """docs/algorithm.md §2: D_f (repeated forgetRepeat times) and D_s, each in a random order; the i-th
    forget sample is paired with the i-th sample image plus U[0,1) noise, whose label is redrawn
    from the other classes when it equals the forget label. Returns a TensorDataset of
    (x_f, y_f, x~, y~)."""
    generator = seeded_generator(seed)
    forget = split.forget_indices.repeat(split.forget_repeat)
    forget = forget[torch.randperm(forget.numel(), generator=generator)]
    sample = split.sample_indices[torch.randperm(split.sample_indices.numel(), generator=generator)]
    if sample.numel() != forget.numel():
        raise ValueError(f"|D_s| = {sample.numel()} must equal |D_f| x forgetRepeat = {forget.numel()}")
    x_forget, y_forget = _materialise(data.train, forget)
    x_sample, y_sample = _materialise(data.train, sample)
    x_counter = x_sample + torch.rand(x_sample.shape, generator=generator)
    y_counter = y_sample.clone()
    clash = y_counter == y_forget
    # uniform over the C-1 classes other than y_f: draw from C-1 values, skip over y_f
    redraw = torch.randint(0, data.num_classes - 1, (int(clash.sum()),), generator=generator)
    y_counter[clash] = redraw + (redraw >= y_forget[clash]).long()
    return TensorDataset(x_forget, y_forget, x_counter, y_counter)
