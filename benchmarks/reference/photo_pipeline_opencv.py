#!/usr/bin/env python3
"""What a user would otherwise write for photos: a Python pipeline with OpenCV, timed.

cv2.imread(..., cv2.IMREAD_REDUCED_COLOR_4) (libjpeg's 1/4-scale decode, like the library's reduced
decode of a 640x480 photo for a 32x32 input), resize to the network input (bilinear), BGR to RGB,
(p/255 - mean)/std, NCHW, on a two-thread pool; the same ONNX model through cv2.dnn, batch 4; softmax.

  /usr/bin/python3 benchmarks/reference/photo_pipeline_opencv.py --input PHOTO_DIR --model MODEL.onnx

Needs Debian's python3-opencv and python3-numpy. Prints "opencv photos=N seconds=S images_per_s=R"
and the top class of the first photos, to check it classifies like the library.
"""
import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np


def preprocess(path, size, mean, std):
    bgr = cv2.imread(path, cv2.IMREAD_REDUCED_COLOR_4)
    if bgr is None:
        raise ValueError(f"cannot read {path}")
    small = cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return ((rgb - mean) / std).transpose(2, 0, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="folder of JPEG photos")
    parser.add_argument("--model", required=True, help="the ONNX model (its .manifest.json beside it gives the preprocessing)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    with open(os.path.splitext(args.model)[0] + ".manifest.json", encoding="utf-8") as f:
        pre = json.load(f)["preprocessing"]
    size = (pre["width"], pre["height"])
    mean = np.asarray(pre["mean"], dtype=np.float32)
    std = np.asarray(pre["std"], dtype=np.float32)
    files = sorted(os.path.join(args.input, f) for f in os.listdir(args.input) if f.lower().endswith((".jpg", ".jpeg")))
    cv2.setNumThreads(args.threads)
    net = cv2.dnn.readNetFromONNX(args.model)
    classes = []
    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        tensors = pool.map(lambda p: preprocess(p, size, mean, std), files)
        batch = []
        for tensor in tensors:
            batch.append(tensor)
            if len(batch) == args.batch:
                classes += run(net, batch)
                batch = []
        if batch:
            classes += run(net, batch)
    seconds = time.perf_counter() - start
    print(f"opencv photos={len(files)} seconds={seconds:.3f} images_per_s={len(files) / seconds:.1f}")
    print("first classes: " + " ".join(str(c) for c in classes[:20]))


def run(net, batch):
    net.setInput(np.stack(batch))
    logits = net.forward()
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = e / e.sum(axis=1, keepdims=True)
    return list(probabilities.argmax(axis=1))


if __name__ == "__main__":
    main()
