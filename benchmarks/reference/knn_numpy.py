#!/usr/bin/env python3
"""The numpy side of KnnBenchmarks: one L2-normalised query against 5,000 x 128 L2-normalised support
vectors of 10 classes, weighted kNN (k = 200, t = 0.1: S @ q, argpartition, exp-weighted votes),
as a Python kNN evaluation does it. Prints microseconds per query (best of 7 timeit repeats).

  /usr/bin/python3 benchmarks/reference/knn_numpy.py
"""
import timeit

import numpy as np

rng = np.random.default_rng(11)
support = rng.uniform(-1, 1, (5000, 128)).astype(np.float32)
support /= np.linalg.norm(support, axis=1, keepdims=True)
labels = np.arange(5000) % 10
query = rng.uniform(-1, 1, 128).astype(np.float32)
query /= np.linalg.norm(query)


def weighted_knn(q, k=200, t=0.1):
    sims = support @ q
    top = np.argpartition(-sims, k)[:k]
    votes = np.bincount(labels[top], weights=np.exp((sims[top] - sims[top].max()) / t), minlength=10)
    return int(votes.argmax()), float(sims.max())


def main():
    number = 2000
    best = min(timeit.repeat(lambda: weighted_knn(query), number=number, repeat=7)) / number
    print(f"numpy {np.__version__}: weighted kNN, 1 query x 5000 x 128, k=200: {best * 1e6:.1f} us")


if __name__ == "__main__":
    main()
