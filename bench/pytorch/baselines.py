"""Baseline unlearning methods in plain PyTorch, written for the benchmark from the papers and
docs/methods.md, with the defaults and presets of camu's descriptors (lib/unlearn/methods/*.ts):
fine-tuning, NegGrad, NegGrad+, random labels, SalUn, SCRUB and Bad Teaching.

Each method is the loop a PyTorch user would write: copies of the original (nn.Module), DataLoaders
(num_workers=0) over Subsets of the dataset, a torch.optim optimiser (SGD with momentum, or Adam;
both with L2 weight decay, as camu's), the loss of the paper, one optimiser step per batch and the
per-step losses read with .item() (camu reports them per step too). They agree with camu's
(native/unlearn/*.cc) in algorithm, settings, epochs, batch sizes and step structure, not in the
random stream: the metrics are compared within tolerances, not bit for bit.

Settings use camu's option names (learningRate, batchSize, ...), so the benchmark passes the same
ones to both sides; `settings_for` resolves them as camu does: the method's defaults, then the
preset that fits the split's scenario and dataset (`class` for whole classes, `random` otherwise,
or the method's `fashion-class` / `fashion-random` on Fashion-MNIST where it has one; only when
some option the presets set is not given), then the given options.

Every method here also takes camu's forget stop (forgetTarget, forgetProbe, forgetCheckEvery; off
by default, on in the class presets of NegGrad, NegGrad+, random labels and Bad Teaching): with a
target, the student's accuracy on a fixed probe of D_f is measured every forgetCheckEvery steps,
and the run ends at the first check at or below the target (`ForgetStop`).
"""
import copy
import time

import torch
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, Dataset, Subset

from data import loader, seeded_generator
from timing import synchronize

# camu's defaults per method (lib/unlearn/methods/*.ts; why each: docs/methods.md). `momentum`
# only matters with SGD; `fusedAdam` is camu's own Adam kernel (same formula), accepted and ignored.
_OPTIMIZER = {"momentum": 0.9, "fusedAdam": True}
# The forget stop's options, on every method here (forgetStopOptions() in lib/unlearn/descriptor.ts):
# forgetTarget -1 never stops.
_FORGET_STOP = {"forgetTarget": -1.0, "forgetProbe": 256, "forgetCheckEvery": 1}
DEFAULTS = {
    "finetune": dict(epochs=5, optimizer="sgd", learningRate=0.03, weightDecay=5e-4, batchSize=32, l1=0.0),
    "neggrad": dict(epochs=1, optimizer="adam", learningRate=2.5e-5, weightDecay=0.0, batchSize=32),
    "neggrad+": dict(epochs=1, alpha=0.9995, optimizer="sgd", learningRate=0.01, weightDecay=5e-4, batchSize=32),
    "random-label": dict(epochs=1, retain=False, optimizer="adam", learningRate=5e-5, weightDecay=5e-4,
                         batchSize=32),
    "salun": dict(epochs=1, threshold=0.5, optimizer="adam", learningRate=1e-4, weightDecay=5e-4, batchSize=32),
    "scrub": dict(epochs=4, maxSteps=2, batchSize=64, forgetBatchSize=128, temperature=4.0, klWeight=1.0,
                  ceWeight=1.0, optimizer="adam", learningRate=5e-5, weightDecay=5e-4),
    "bad-teacher": dict(epochs=3, batchSize=256, temperature=1.0, retainFraction=0.3, optimizer="adam",
                        learningRate=1e-3, weightDecay=0.0),
}
METHODS = tuple(DEFAULTS)

# camu's presets per scenario (the descriptors' `presets`): `class` when the split removes whole
# classes, `random` for any other forget set, or the `fashion-` one of these on Fashion-MNIST where
# the method has it (preset_for). The class presets of NegGrad, NegGrad+, random labels and Bad
# Teaching give the method room for several passes and end it with the forget stop at 1% on D_f's
# probe (docs/methods.md says why each).
PRESETS = {
    "finetune": {"class": dict(learningRate=0.03), "random": dict(learningRate=0.01)},
    "neggrad": {"class": dict(epochs=5, forgetTarget=1.0), "random": dict(epochs=1, forgetTarget=-1.0),
                "fashion-random": dict(epochs=1, forgetTarget=-1.0, learningRate=1e-5)},
    "neggrad+": {"class": dict(alpha=0.995, epochs=3, forgetTarget=1.0),
                 "random": dict(alpha=0.9995, epochs=1, forgetTarget=-1.0)},
    "random-label": {"class": dict(retain=True, learningRate=1e-4, epochs=3, forgetTarget=1.0),
                     "random": dict(retain=False, learningRate=2e-5, epochs=1, forgetTarget=-1.0)},
    "salun": {"class": dict(learningRate=1e-4), "random": dict(learningRate=2e-5)},
    "scrub": {"class": dict(), "random": dict(),
              "fashion-class": dict(learningRate=1e-4, maxSteps=4, epochs=6, temperature=16.0)},
    "bad-teacher": {"class": dict(epochs=5, retainFraction=0.3, forgetTarget=1.0),
                    "random": dict(epochs=3, retainFraction=0.3, forgetTarget=-1.0),
                    "fashion-random": dict(epochs=1, retainFraction=1.0, forgetTarget=-1.0)},
}


def preset_for(scenario, dataset=None, presets=()):
    """`class` for a split that removes whole classes (a class scenario without proportions, or with
    every proportion 1), `random` for any other: camu's classOrRandomPreset; on Fashion-MNIST (a
    dataset name with 'fashion') `fashion-class` / `fashion-random` where `presets` has it: camu's
    datasetClassOrRandomPreset."""
    proportions = scenario.get("proportions")
    whole = not isinstance(proportions, list) or all(p == 1 for p in proportions)
    kind = "class" if scenario.get("type") == "class" and whole else "random"
    if dataset is not None and "fashion" in dataset.lower() and f"fashion-{kind}" in presets:
        return f"fashion-{kind}"
    return kind


def settings_for(method, given, scenario, dataset=None):
    """The settings of a run and the preset it took (None: none), as camu resolves them: the
    method's defaults, then the preset that fits `scenario` and `dataset` (the split JSON's) unless
    `given` sets every option the presets set, then `given` (camu's option names). Unknown names are
    an error, as they are in camu (native/unlearn/removal.cc)."""
    if method not in DEFAULTS:
        raise ValueError(f"--method: unknown method {method!r} (one of {', '.join(METHODS)})")
    settings = dict(DEFAULTS[method], **_OPTIMIZER, **_FORGET_STOP)
    unknown = sorted(set(given) - set(settings))
    if unknown:
        raise ValueError(f"method {method} has no option {', '.join(unknown)}")
    presets = PRESETS.get(method, {})
    preset = None
    if any(name not in given for values in presets.values() for name in values):
        preset = preset_for(scenario, dataset, presets)
        settings.update(presets[preset])
    for name, value in given.items():
        default = settings[name]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"option {name} must be true or false, got {value!r}")
        elif isinstance(default, int):
            if float(value) != int(value):
                raise ValueError(f"option {name} must be a whole number, got {value!r}")
            value = int(value)
        elif isinstance(default, float):
            value = float(value)
        settings[name] = value
    if settings["forgetTarget"] != -1 and not 0 <= settings["forgetTarget"] <= 100:
        raise ValueError(f"option forgetTarget must be an accuracy in [0, 100] or -1, got {settings['forgetTarget']!r}")
    for name in ("forgetProbe", "forgetCheckEvery"):
        if settings[name] < 1:
            raise ValueError(f"option {name} must be at least 1, got {settings[name]!r}")
    return settings, preset


def make_optimizer(parameters, settings):
    if settings["optimizer"] == "adam":
        return torch.optim.Adam(parameters, lr=settings["learningRate"], weight_decay=settings["weightDecay"])
    if settings["optimizer"] == "sgd":
        return torch.optim.SGD(parameters, lr=settings["learningRate"], momentum=settings["momentum"],
                               weight_decay=settings["weightDecay"])
    raise ValueError(f"option optimizer must be sgd or adam, got {settings['optimizer']!r}")


def endless(batches):
    """The batches of a shuffling DataLoader without end, a fresh shuffle per pass (itertools.cycle
    would replay the first pass's order): for the set walked beside an epoch's own, as camu's
    BatchCycle (native/unlearn/building_blocks.h). An empty loader gives None forever."""
    if len(batches) == 0:
        while True:
            yield None
    while True:
        yield from batches


class Relabelled(Dataset):
    """dataset[indices[i]] with labels[i] instead of its own."""

    def __init__(self, dataset, indices, labels):
        self.dataset, self.indices, self.labels = dataset, indices.tolist(), labels

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        image, _ = self.dataset[self.indices[i]]
        return image, self.labels[i]


class Marked(Dataset):
    """dataset[indices[i]] with a fixed 0/1 mark (Bad Teaching: 1 = forget sample)."""

    def __init__(self, dataset, indices, mark):
        self.dataset, self.indices, self.mark = dataset, indices.tolist(), mark

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        image, label = self.dataset[self.indices[i]]
        return image, label, self.mark


def other_class_labels(labels, num_classes, generator):
    """For each label one drawn uniformly from the num_classes - 1 others: (y + U{1..K-1}) mod K."""
    shift = torch.randint(1, num_classes, labels.shape, generator=generator)
    return (labels + shift) % num_classes


def distillation_kl(teacher_logits, student_logits, temperature, reduction="batchmean"):
    """KL(softmax(teacher/T) || softmax(student/T)) * T^2 (Hinton et al. 2015), as SCRUB and Bad
    Teaching scale it; reduction "none" gives it per row."""
    log_p = F.log_softmax(teacher_logits / temperature, dim=1)
    log_q = F.log_softmax(student_logits / temperature, dim=1)
    per_row = (log_p.exp() * (log_p - log_q)).sum(1) * temperature ** 2
    return per_row if reduction == "none" else per_row.mean()


class _Run:
    """Per-epoch wall times and per-step scalars, averaged per epoch (camu's EpochStats)."""

    def __init__(self, names, device):
        self.names, self.device = names, device
        self.epoch_seconds, self.epoch_means, self.steps_per_epoch = [], [], None
        self._start, self._sums, self._steps = 0.0, None, 0

    def begin_epoch(self):
        synchronize(self.device)
        self._start = time.perf_counter()
        self._sums, self._steps = [0.0] * len(self.names), 0

    def step(self, *values):
        for i, value in enumerate(values):
            self._sums[i] += value
        self._steps += 1

    def end_epoch(self):
        synchronize(self.device)
        self.epoch_seconds.append(time.perf_counter() - self._start)
        if self.steps_per_epoch is None:
            self.steps_per_epoch = self._steps
        self.epoch_means.append({n: s / max(self._steps, 1) for n, s in zip(self.names, self._sums)})

    def stats(self, **details):
        return dict({"epochSeconds": self.epoch_seconds, "stepsPerEpoch": self.steps_per_epoch or 0,
                     "epochMeans": self.epoch_means}, **details)


class ForgetStop:
    """camu's forget stop. With a target (forgetTarget != -1) and a non-empty D_f, the probe is
    min(forgetProbe, |D_f|) samples of D_f evenly spaced over the split's forget indices (positions
    floor(k * |D_f| / count)), fixed before the first step, when the student's accuracy on it is
    measured once; after every step whose 1-based number (counted over the whole run) is a multiple
    of forgetCheckEvery it is measured again, and the run ends at the first check at or below the
    target. A measurement is evaluation mode without autograd, then back to training mode, and
    draws nothing from any generator the method uses. `report` is camu's stats.forgetStop."""

    def __init__(self, student, data, split, settings, device):
        self.target, self.every = settings["forgetTarget"], settings["forgetCheckEvery"]
        self.stopped, self.report = False, None
        forget = split.forget_indices
        if self.target == -1 or forget.numel() == 0:
            return
        count = min(settings["forgetProbe"], forget.numel())
        positions = torch.arange(count) * forget.numel() // count
        # stacked by hand: a DataLoader's iterator would draw its base seed from torch's global generator
        samples = [data.train_eval[i] for i in forget[positions].tolist()]
        self.x = torch.stack([x for x, _ in samples]).to(device)
        self.y = torch.stack([torch.as_tensor(y) for _, y in samples]).to(device)
        accuracy = self.accuracy(student)
        self.report = {"probeSize": count, "target": self.target, "originalAccuracy": accuracy, "checks": 0,
                       "lastAccuracy": accuracy, "stoppedAfterStep": None}

    def accuracy(self, model):
        model.eval()
        with torch.no_grad():
            correct = (model(self.x)[0].argmax(1) == self.y).sum().item()
        model.train()
        return 100.0 * correct / len(self.y)

    def after_step(self, model, step):
        """After step `step` (1-based, over the run): whether the run ends here."""
        if self.report is None or step % self.every != 0:
            return False
        self.report["lastAccuracy"] = self.accuracy(model)
        self.report["checks"] += 1
        if self.report["lastAccuracy"] <= self.target:
            self.report["stoppedAfterStep"] = step
            self.stopped = True
        return self.stopped


def _student(original, device):
    return copy.deepcopy(original).to(device).train()


def _frozen(model, device):
    model = copy.deepcopy(model).to(device).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def finetune(original, data, split, settings, seed, device):
    """Fine-tuning on D_r (Golatkar et al. 2020; Jia et al. 2023's settings); with l1 > 0,
    l1-sparse unlearning: CE + gamma_t * ||theta||_1, gamma_t = l1 * (1 - t/T) over the T steps."""
    student = _student(original, device)
    optimizer = make_optimizer(student.parameters(), settings)
    retain = loader(Subset(data.train, split.retain_indices.tolist()), settings["batchSize"], shuffle=True,
                    generator=seeded_generator(seed), device=device)
    total_steps, step = settings["epochs"] * len(retain), 0
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["loss"], device)
    for _ in range(settings["epochs"]):
        run.begin_epoch()
        for x, y in retain:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            logits, _ = student(x)
            loss = F.cross_entropy(logits, y)
            if settings["l1"] > 0:
                gamma = settings["l1"] * (1 - step / total_steps)
                loss = loss + gamma * sum(p.abs().sum() for p in student.parameters())
            step += 1
            loss.backward()
            optimizer.step()
            run.step(loss.item())
            if stop.after_step(student, step):
                break
        run.end_epoch()
        if stop.stopped:
            break
    return student.eval(), run.stats(forgetStop=stop.report)


def neggrad(original, data, split, settings, seed, device):
    """Gradient ascent on D_f (Thudi et al. 2022; Golatkar et al. 2020): minimise -CE on D_f batches."""
    student = _student(original, device)
    optimizer = make_optimizer(student.parameters(), settings)
    forget = loader(Subset(data.train, split.forget_indices.tolist()), settings["batchSize"], shuffle=True,
                    generator=seeded_generator(seed), device=device)
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["forgetLoss"], device)
    step = 0
    for _ in range(settings["epochs"]):
        run.begin_epoch()
        for x, y in forget:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            logits, _ = student(x)
            loss = F.cross_entropy(logits, y)
            (-loss).backward()
            optimizer.step()
            run.step(loss.item())
            step += 1
            if stop.after_step(student, step):
                break
        run.end_epoch()
        if stop.stopped:
            break
    return student.eval(), run.stats(forgetStop=stop.report)


def neggrad_plus(original, data, split, settings, seed, device):
    """NegGrad+ (Kurmanji et al. 2023): alpha * CE(D_r batch) - (1 - alpha) * CE(D_f batch) per step;
    an epoch is one pass over D_r, D_f's batches cycling beside it."""
    student = _student(original, device)
    optimizer = make_optimizer(student.parameters(), settings)
    retain = loader(Subset(data.train, split.retain_indices.tolist()), settings["batchSize"], shuffle=True,
                    generator=seeded_generator(seed), device=device)
    forget = endless(loader(Subset(data.train, split.forget_indices.tolist()), settings["batchSize"],
                            shuffle=True, generator=seeded_generator(seed + 1), device=device))
    alpha = settings["alpha"]
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["retainLoss", "forgetLoss"], device)
    step = 0
    for _ in range(settings["epochs"]):
        run.begin_epoch()
        for x_r, y_r in retain:
            forget_batch = next(forget)
            optimizer.zero_grad()
            retain_loss = F.cross_entropy(student(x_r.to(device))[0], y_r.to(device))
            if forget_batch is None:  # an empty D_f: fine-tuning on D_r, as in camu
                forget_loss = torch.zeros_like(retain_loss)
            else:
                x_f, y_f = forget_batch
                forget_loss = F.cross_entropy(student(x_f.to(device))[0], y_f.to(device))
            (alpha * retain_loss - (1 - alpha) * forget_loss).backward()
            optimizer.step()
            run.step(retain_loss.item(), forget_loss.item())
            step += 1
            if stop.after_step(student, step):
                break
        run.end_epoch()
        if stop.stopped:
            break
    return student.eval(), run.stats(forgetStop=stop.report)


def _random_label_loop(student, data, split, settings, seed, device, retain, masks=None, originals=None):
    """Random-label unlearning: D_f relabelled once with labels from its other classes, one epoch =
    one pass over D_f; with `retain`, each step also takes a D_r batch with its true labels, in the
    same forward pass. With `masks`, only the masked weights move (SalUn). Returns the _Run and the
    forget stop's report."""
    generator = seeded_generator(seed + 2)
    forget_indices = split.forget_indices
    new_labels = other_class_labels(data.train_labels[forget_indices], data.num_classes, generator)
    forget = loader(Relabelled(data.train, forget_indices, new_labels), settings["batchSize"], shuffle=True,
                    generator=seeded_generator(seed), device=device)
    retain_batches = endless(loader(Subset(data.train, split.retain_indices.tolist()), settings["batchSize"],
                                    shuffle=True, generator=seeded_generator(seed + 1), device=device)) \
        if retain else None
    parameters = list(student.parameters())
    optimizer = make_optimizer(parameters, settings)
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["forgetLoss", "retainLoss"], device)
    step = 0
    for _ in range(settings["epochs"]):
        run.begin_epoch()
        for x_f, y_f in forget:
            retain_batch = next(retain_batches) if retain_batches is not None else None
            x = x_f if retain_batch is None else torch.cat([x_f, retain_batch[0]])
            optimizer.zero_grad()
            logits, _ = student(x.to(device))
            forget_loss = F.cross_entropy(logits[:len(x_f)], y_f.to(device))
            if retain_batch is None:
                retain_loss = torch.zeros_like(forget_loss)
            else:
                retain_loss = F.cross_entropy(logits[len(x_f):], retain_batch[1].to(device))
            (forget_loss + retain_loss).backward()
            if masks is not None:
                with torch.no_grad():
                    for parameter, mask in zip(parameters, masks):
                        parameter.grad.mul_(mask)
            optimizer.step()
            if masks is not None:
                # weight decay also moves the unmasked weights: put them back, so that
                # theta_u = theta_o + m_s * delta exactly (the paper's update)
                with torch.no_grad():
                    for parameter, mask, value in zip(parameters, masks, originals):
                        parameter.copy_(torch.where(mask, parameter, value))
            run.step(forget_loss.item(), retain_loss.item())
            step += 1
            if stop.after_step(student, step):
                break
        run.end_epoch()
        if stop.stopped:
            break
    return run, stop.report


def random_label(original, data, split, settings, seed, device):
    """Random labels (Golatkar et al. 2020; Graves et al. 2021, with retain=True)."""
    student = _student(original, device)
    run, stop = _random_label_loop(student, data, split, settings, seed, device, settings["retain"])
    return student.eval(), run.stats(forgetStop=stop)


def saliency_masks(model, data, split, threshold, batch_size, device):
    """SalUn's mask: |grad of sum CE over D_f| at the original weights (evaluation mode and input),
    then the round(threshold * N) largest of all N weights together. Bool tensors per parameter."""
    parameters = list(model.parameters())
    model.eval()
    model.zero_grad(set_to_none=True)
    for x, y in loader(Subset(data.train_eval, split.forget_indices.tolist()), batch_size, shuffle=False,
                       device=device):
        logits, _ = model(x.to(device))
        F.cross_entropy(logits, y.to(device), reduction="sum").backward()
    model.train()
    with torch.no_grad():
        magnitudes = torch.cat([p.grad.abs().flatten() if p.grad is not None else torch.zeros(p.numel(), device=device)
                                for p in parameters])
        model.zero_grad(set_to_none=True)
        count = int(round(threshold * magnitudes.numel()))
        flat = torch.zeros(magnitudes.numel(), dtype=torch.bool, device=device)
        flat[torch.topk(magnitudes, count).indices] = True
        return [m.view_as(p) for m, p in zip(flat.split([p.numel() for p in parameters]), parameters)], count


def salun(original, data, split, settings, seed, device):
    """SalUn (Fan et al. 2024): random labels on D_f beside D_r, updating only the salient weights."""
    student = _student(original, device)
    masks, count = saliency_masks(student, data, split, settings["threshold"], settings["batchSize"], device)
    originals = [p.detach().clone() for p in student.parameters()]
    run, stop = _random_label_loop(student, data, split, settings, seed, device, True, masks, originals)
    return student.eval(), run.stats(maskedWeights=count, forgetStop=stop)


def scrub(original, data, split, settings, seed, device):
    """SCRUB (Kurmanji et al. 2023): per epoch, while epoch < maxSteps, a max pass over D_f
    (minimise -KL(teacher || student)); then a min pass over D_r (klWeight * KL + ceWeight * CE).
    One optimiser for both passes."""
    teacher = _frozen(original, device)
    student = _student(original, device)
    optimizer = make_optimizer(student.parameters(), settings)
    forget = loader(Subset(data.train, split.forget_indices.tolist()), settings["forgetBatchSize"], shuffle=True,
                    generator=seeded_generator(seed + 1), device=device)
    retain = loader(Subset(data.train, split.retain_indices.tolist()), settings["batchSize"], shuffle=True,
                    generator=seeded_generator(seed), device=device)
    temperature = settings["temperature"]
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["forgetKl", "retainKl", "retainCe"], device)
    step = 0  # max and min steps alike
    for epoch in range(settings["epochs"]):
        run.begin_epoch()
        if epoch < settings["maxSteps"]:
            for x, _ in forget:
                x = x.to(device)
                with torch.no_grad():
                    teacher_logits, _ = teacher(x)
                optimizer.zero_grad()
                kl = distillation_kl(teacher_logits, student(x)[0], temperature)
                (-kl).backward()
                optimizer.step()
                run.step(kl.item(), 0.0, 0.0)
                step += 1
                if stop.after_step(student, step):
                    break
        if not stop.stopped:
            for x, y in retain:
                x, y = x.to(device), y.to(device)
                with torch.no_grad():
                    teacher_logits, _ = teacher(x)
                optimizer.zero_grad()
                logits, _ = student(x)
                kl = distillation_kl(teacher_logits, logits, temperature)
                ce = F.cross_entropy(logits, y)
                (settings["klWeight"] * kl + settings["ceWeight"] * ce).backward()
                optimizer.step()
                run.step(0.0, kl.item(), ce.item())
                step += 1
                if stop.after_step(student, step):
                    break
        run.end_epoch()
        if stop.stopped:
            break
    return student.eval(), run.stats(forgetStop=stop.report)


def bad_teacher(original, data, split, settings, seed, device):
    """Bad Teaching (Chundawat et al. 2023): distil D_f from an incompetent (freshly initialised)
    teacher and a random retainFraction of D_r, drawn once, from the original, in mixed batches."""
    competent = _frozen(original, device)
    # the incompetent teacher: the original's architecture with its layers' default initialisation
    incompetent = copy.deepcopy(original)
    torch.manual_seed(seed)
    for module in incompetent.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    incompetent = _frozen(incompetent, device)
    student = _student(original, device)
    retain = split.retain_indices
    keep = int(round(settings["retainFraction"] * retain.numel()))
    chosen = retain[torch.randperm(retain.numel(), generator=seeded_generator(seed + 1))[:keep]]
    members = ConcatDataset([Marked(data.train, split.forget_indices, 1), Marked(data.train, chosen, 0)])
    batches = loader(members, settings["batchSize"], shuffle=True, generator=seeded_generator(seed), device=device)
    optimizer = make_optimizer(student.parameters(), settings)
    stop = ForgetStop(student, data, split, settings, device)
    run = _Run(["loss", "forgetKl", "retainKl"], device)
    step = 0
    for _ in range(settings["epochs"]):
        run.begin_epoch()
        for x, _, is_forget in batches:
            x, is_forget = x.to(device), is_forget.to(device).bool()
            with torch.no_grad():
                teacher_logits = torch.where(is_forget.unsqueeze(1), incompetent(x)[0], competent(x)[0])
            optimizer.zero_grad()
            kl = distillation_kl(teacher_logits, student(x)[0], settings["temperature"], reduction="none")
            loss = kl.mean()
            loss.backward()
            optimizer.step()
            per_row = kl.detach()
            forget_rows = int(is_forget.sum())
            forget_kl = per_row[is_forget].mean().item() if forget_rows else 0.0
            retain_kl = per_row[~is_forget].mean().item() if forget_rows < len(per_row) else 0.0
            run.step(loss.item(), forget_kl, retain_kl)
            step += 1
            if stop.after_step(student, step):
                break
        run.end_epoch()
        if stop.stopped:
            break
    return student.eval(), run.stats(trainingSamples=len(members), forgetStop=stop.report)


UNLEARN = {
    "finetune": finetune,
    "neggrad": neggrad,
    "neggrad+": neggrad_plus,
    "random-label": random_label,
    "salun": salun,
    "scrub": scrub,
    "bad-teacher": bad_teacher,
}


def unlearn(method, original, data, split, settings, seed, device):
    """Runs `method` on copies of `original` (left untouched). Returns (model, stats)."""
    return UNLEARN[method](original, data, split, settings, seed, device)
