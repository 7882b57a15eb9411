"""Training of the original model on D and of the retrain oracle on D_r (docs/algorithm.md §4):
Adam lr 1e-3, weight decay 1e-4, cross-entropy, batch 32."""
import time

import torch
import torch.nn.functional as F
from torch.utils.data import Subset

from data import loader, seeded_generator
from timing import synchronize


def train(model, dataset, epochs, seed, device, lr=1e-3, weight_decay=1e-4, batch_size=32):
    """Returns per-epoch wall times and mean losses; the model is trained in place."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = loader(dataset, batch_size, shuffle=True, generator=seeded_generator(seed), device=device)
    epoch_seconds, epoch_losses = [], []
    model.train()
    for _ in range(epochs):
        synchronize(device)
        start = time.perf_counter()
        total = torch.zeros((), device=device)
        for x, y in batches:
            x = x.to(device, non_blocking=True)
            y = y.to(device, non_blocking=True)
            logits, _ = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach()
        epoch_losses.append(total.item() / len(batches))
        synchronize(device)
        epoch_seconds.append(time.perf_counter() - start)
    return {"epochSeconds": epoch_seconds, "epochMeanLoss": epoch_losses, "stepsPerEpoch": len(batches)}


def training_set(data, split, limit=None):
    """All of D, or D_r when a split is given (the retrain oracle); its first `limit` samples if given."""
    indices = range(data.train_size) if split is None else split.retain_indices.tolist()
    if limit is not None:
        indices = indices[:limit]
    return data.train if limit is None and split is None else Subset(data.train, list(indices))
