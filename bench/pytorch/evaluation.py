"""Metrics of docs/algorithm.md §6: accuracies, the CaMU-variant MIA (XGBoost on sorted softmax outputs)
and the loss-threshold logistic-regression MIA (forget vs test, class-balanced, 5-fold CV)."""
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Subset

from data import loader
from timing import Phases

try:
    import xgboost
except ImportError:
    xgboost = None
try:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
except ImportError:
    LogisticRegression = None

ATTACK_TRAIN_SIZE = 4000


def attack_size(test_count):
    """Members and non-members that train the CaMU-variant attacker: 4000 (the paper's), or half of
    a smaller test set (the benchmark's synthetic CIFAR images), so that test images are left to
    evaluate it on. camu's bench/camu-worker.js takes the same number."""
    return min(ATTACK_TRAIN_SIZE, test_count // 2)


@torch.no_grad()
def predict(model, dataset, device, batch_size):
    """Softmax outputs, predictions, per-sample cross-entropy and labels over a dataset, on CPU."""
    model.eval()
    probabilities, losses, labels = [], [], []
    for x, y in loader(dataset, batch_size, shuffle=False, device=device):
        logits, _ = model(x.to(device, non_blocking=True))
        y = y.to(device, non_blocking=True)
        probabilities.append(F.softmax(logits, dim=1).cpu())
        losses.append(F.cross_entropy(logits, y, reduction="none").cpu())
        labels.append(y.cpu())
    probabilities = torch.cat(probabilities)
    return {"probabilities": probabilities, "predictions": probabilities.argmax(1),
            "losses": torch.cat(losses), "labels": torch.cat(labels)}


def accuracy_percent(outputs, mask=None):
    correct = outputs["predictions"] == outputs["labels"]
    if mask is not None:
        correct = correct[mask]
    return 100.0 * correct.float().mean().item() if correct.numel() else None


def camu_mia(sample_probabilities, test_probabilities, forget_probabilities, seed, threads):
    """docs/algorithm.md §6: members = first 4000 of D_s, non-members = first 4000 of T (attack_size), 1% held out,
    XGBoost (100 trees, binary logistic); accuracy on all of D_f vs the test images after the
    first 4000 (at most |D_f| of them). Features: softmax rows sorted ascending."""
    if xgboost is None:
        return {"skipped": "xgboost is not importable (Debian: apt-get install python3-xgboost)"}
    size = attack_size(len(test_probabilities))
    members = np.sort(sample_probabilities[:size].numpy(), axis=1)
    non_members = np.sort(test_probabilities[:size].numpy(), axis=1)
    features = np.concatenate([members, non_members])
    targets = np.concatenate([np.ones(len(members)), np.zeros(len(non_members))])
    order = np.random.RandomState(seed).permutation(len(features))
    held_out = max(1, int(round(0.01 * len(features))))
    fit, hold = order[held_out:], order[:held_out]
    attacker = xgboost.XGBClassifier(n_estimators=100, objective="binary:logistic",
                                     random_state=seed, n_jobs=threads)
    attacker.fit(features[fit], targets[fit])
    held_out_accuracy = float((attacker.predict(features[hold]) == targets[hold]).mean())

    forget = np.sort(forget_probabilities.numpy(), axis=1)
    unseen = np.sort(test_probabilities[size:size + len(forget)].numpy(), axis=1)
    eval_features = np.concatenate([forget, unseen])
    eval_targets = np.concatenate([np.ones(len(forget)), np.zeros(len(unseen))])
    accuracy = float((attacker.predict(eval_features) == eval_targets).mean())
    return {"accuracy": accuracy, "heldOutAccuracy": held_out_accuracy,
            "trainMembers": len(members), "trainNonMembers": len(non_members),
            "evalMembers": len(forget), "evalNonMembers": len(unseen)}


def _numpy_logistic_cv(features, targets, folds, seed, iterations=500, lr=0.5):
    """5-fold CV accuracy of a 1-feature logistic regression fitted by gradient descent."""
    rng = np.random.RandomState(seed)
    fold_of = np.empty(len(targets), dtype=int)
    for label in (0, 1):  # stratified folds
        idx = rng.permutation(np.flatnonzero(targets == label))
        fold_of[idx] = np.arange(len(idx)) % folds
    scores = []
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        mean, std = features[train].mean(), features[train].std() + 1e-12
        x = (features[train] - mean) / std
        y = targets[train]
        w = b = 0.0
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-(w * x + b)))
            w -= lr * np.mean((p - y) * x)
            b -= lr * np.mean(p - y)
        predictions = (w * (features[test] - mean) / std + b) > 0
        scores.append(np.mean(predictions == targets[test]))
    return float(np.mean(scores))


def loss_threshold_mia(forget_losses, test_losses, seed, folds=5):
    """Logistic regression on the per-sample cross-entropy: D_f (label 1) vs T (label 0),
    the larger side subsampled to the smaller one, 5-fold stratified CV accuracy."""
    rng = np.random.RandomState(seed)
    n = min(len(forget_losses), len(test_losses))
    forget = forget_losses.numpy()[rng.permutation(len(forget_losses))[:n]]
    test = test_losses.numpy()[rng.permutation(len(test_losses))[:n]]
    features = np.concatenate([forget, test]).astype(np.float64)
    targets = np.concatenate([np.ones(n), np.zeros(n)])
    if LogisticRegression is not None:
        folds_split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        scores = cross_val_score(LogisticRegression(), features.reshape(-1, 1), targets, cv=folds_split,
                                 scoring="accuracy")
        accuracy, implementation = float(scores.mean()), "sklearn"
    else:
        accuracy, implementation = _numpy_logistic_cv(features, targets, folds, seed), "numpy"
    return {"accuracy": accuracy, "perSide": n, "folds": folds, "implementation": implementation}


def evaluate(model, data, split, device, seed, threads, batch_size=256):
    """Every metric of one model on one split; returns (metrics, phase seconds)."""
    phases = Phases(device)
    with phases.measure("forward"):
        retain = predict(model, Subset(data.train_eval, split.retain_indices.tolist()), device, batch_size)
        forget = predict(model, Subset(data.train_eval, split.forget_indices.tolist()), device, batch_size)
        test = predict(model, data.test, device, batch_size)
        attack_members = split.sample_indices[:attack_size(len(data.test))].tolist()
        sample = predict(model, Subset(data.train_eval, attack_members), device, batch_size)
    removed = split.removed_classes()
    forgotten_mask = torch.isin(test["labels"], torch.tensor(removed, dtype=torch.long))
    metrics = {
        "accRetain": accuracy_percent(retain),
        "accForget": accuracy_percent(forget),
        "accTest": accuracy_percent(test),
        "accTestRemainingClasses": accuracy_percent(test, ~forgotten_mask) if removed else None,
        "accTestForgottenClasses": accuracy_percent(test, forgotten_mask) if removed else None,
    }
    with phases.measure("miaCamu"):
        metrics["miaCamu"] = camu_mia(sample["probabilities"], test["probabilities"], forget["probabilities"],
                                      seed, threads)
    with phases.measure("miaLossLogistic"):
        metrics["miaLossLogistic"] = loss_threshold_mia(forget["losses"], test["losses"], seed)
    return metrics, phases.seconds
