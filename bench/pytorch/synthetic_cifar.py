"""Synthetic CIFAR-10-shaped data for the benchmark's ResNet-18 timings (CIFAR cannot be downloaded
everywhere the benchmark runs). Writes the same seeded images twice: the binary batches camu reads
(data_batch_1.bin ... data_batch_5.bin, test_batch.bin: a label byte then 3072 pixel bytes per
image) and the python pickle batches bench/pytorch/data.py reads (data_batch_1 ... test_batch).

Each class has its own mean colour and stripe direction under uniform noise, so a ResNet learns it
in an epoch and unlearning has something to remove. Timings on these images are labelled
synthetic wherever they are reported.

    python3 bench/pytorch/synthetic_cifar.py --out DIR [--per-batch 400] [--test 400] [--seed 0]
"""
import argparse
import os
import pickle

import numpy as np

CLASSES = 10
SIDE = 32


def make_images(count, rng):
    labels = np.arange(count) % CLASSES
    rng.shuffle(labels)
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    images = np.empty((count, 3, SIDE, SIDE), dtype=np.uint8)
    for i, label in enumerate(labels):
        colour = np.array([(label * 37) % 256, (label * 91) % 256, (label * 151) % 256], dtype=np.float64)
        stripes = np.sin((x * np.cos(label) + y * np.sin(label)) * 0.6) * 60
        noise = rng.uniform(-50, 50, size=(3, SIDE, SIDE))
        images[i] = np.clip(0.5 * colour[:, None, None] + 64 + stripes[None] + noise, 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write(directory, name, images, labels):
    flat = images.reshape(len(labels), -1)
    records = np.concatenate([labels[:, None], flat], axis=1)
    with open(os.path.join(directory, name + ".bin"), "wb") as handle:
        handle.write(records.tobytes())
    with open(os.path.join(directory, name), "wb") as handle:
        pickle.dump({"data": flat, "labels": labels.tolist()}, handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-batch", type=int, default=400, help="images in each of the 5 training batches")
    parser.add_argument("--test", type=int, default=400, help="test images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for index in range(1, 6):
        write(args.out, f"data_batch_{index}", *make_images(args.per_batch, rng))
    write(args.out, "test_batch", *make_images(args.test, rng))
    print(f"{args.out}: 5 x {args.per_batch} training and {args.test} test images, synthetic, seed {args.seed}")


if __name__ == "__main__":
    main()
