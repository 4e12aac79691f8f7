#!/usr/bin/env python3
"""The reference sample's host-side code (decode, preprocess, postprocess), timed per image.

Runs what the reference Python program does around the TPU call, on the same CIFAR-10 pickle,
so its per-stage cost can be compared with ours on the same machine. The model call itself is
replaced by fixed random logits (inference is not measured here).

  /usr/bin/python3 benchmarks/reference/reference_pipeline.py --input PATH/test_batch [--repeat 3]

Needs numpy (Debian: apt-get install python3-numpy). Prints one line per stage and batch size:
  reference <stage> batch=<n> ms_per_image=<x>
"""
import argparse
import pickle
import time

import numpy as np

MEAN = np.array([0.4914, 0.4822, 0.4465]).reshape(1, 3, 1, 1)
STD = np.array([0.2023, 0.1994, 0.2010]).reshape(1, 3, 1, 1)


def decode(path):
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def preprocess(rows):
    # (pixel / 255 - mean) / std per channel, RGB, NCHW float32, as the reference does.
    x = rows.reshape(-1, 3, 32, 32) / 255.0
    return ((x - MEAN) / STD).astype(np.float32)


def softmax(logits):
    # The reference's softmax: no max-subtraction.
    e = np.exp(logits)
    return e / np.sum(e, axis=1, keepdims=True)


def postprocess(logits, names, results):
    prob = softmax(logits)
    for i in range(prob.shape[0]):
        pred = int(np.argmax(prob[i]))
        results.append({"filename": names[i], "prediction": pred, "score": float(prob[i][pred])})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="CIFAR-10 python-version test_batch")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest is kept")
    args = parser.parse_args()

    start = time.perf_counter()
    batch = decode(args.input)
    decode_s = time.perf_counter() - start
    data = batch[b"data"]
    names = [n.decode() for n in batch[b"filenames"]]
    n = data.shape[0]
    print(f"reference decode batch=all ms_per_image={decode_s * 1000 / n:.4f}")

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=(n, 10)).astype(np.float32)
    for bs in (1, 4):
        best_pre = best_post = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            for i in range(0, n, bs):
                preprocess(data[i:i + bs])
            best_pre = min(best_pre, time.perf_counter() - t)
            results = []
            t = time.perf_counter()
            for i in range(0, n, bs):
                postprocess(logits[i:i + bs], names[i:i + bs], results)
            best_post = min(best_post, time.perf_counter() - t)
        print(f"reference preprocess batch={bs} ms_per_image={best_pre * 1000 / n:.4f}")
        print(f"reference postprocess batch={bs} ms_per_image={best_post * 1000 / n:.4f}")


if __name__ == "__main__":
    main()
