#!/usr/bin/env python3
"""Extracts N calibration images (default 100) for TPU-MLIR's run_calibration.py: a folder of PNGs.

  python3 extract_calibration.py --input cifar-10-batches-py/test_batch --output calibration --count 100

From a CIFAR-10 pickle (the reference's file) the images are evenly spaced over the file (it may
be sorted by class); from a folder, evenly spaced over its sorted image files. Needs python3-numpy
and python3-pil (Debian).
"""
import argparse
import os
import pickle
import shutil

import numpy as np
from PIL import Image

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")


def from_pickle(path, count, output):
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    data, names = batch[b"data"], batch[b"filenames"]
    n = data.shape[0]
    for i in range(count):
        k = i * n // count
        image = data[k].reshape(3, 32, 32).transpose(1, 2, 0)
        Image.fromarray(np.ascontiguousarray(image)).save(os.path.join(output, names[k].decode()))


def from_folder(path, count, output):
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.lower().endswith(EXTENSIONS))
    if not files:
        raise SystemExit(f"no images under {path}")
    for i in range(min(count, len(files))):
        src = files[i * len(files) // min(count, len(files))]
        shutil.copy(src, os.path.join(output, f"{i:05d}_{os.path.basename(src)}"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", required=True, help="CIFAR-10 pickle (test_batch) or an image folder")
    p.add_argument("--output", required=True, help="folder to create")
    p.add_argument("--count", type=int, default=100)
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    os.makedirs(args.output, exist_ok=True)
    if os.path.isdir(args.input):
        from_folder(args.input, args.count, args.output)
    else:
        from_pickle(args.input, args.count, args.output)
    print(f"wrote {len(os.listdir(args.output))} images to {args.output}")


if __name__ == "__main__":
    main()
