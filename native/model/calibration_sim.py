#!/usr/bin/env python3
"""Simulates INT8 calibration and quantisation of an ONNX classifier the way TPU-MLIR does it by
default, on the CPU with PyTorch, so its INT8 accuracy predicts the compiler's.

What TPU-MLIR does, and this module with it:
- run_calibration.py feeds every calibration image through the preprocessing model_transform.py
  stored from its flags (read as OpenCV does, BGR; swapped to --pixel_format; then
  (x - mean_c) * scale_c) (tpu_mlir_preprocess here);
- its default calibrator (python/calibration/kld_calibrator.py) records each activation's
  max |x|, then a 2048-bin histogram of |x| (zeros left out, bin width max / 2047, a value goes
  to floor(|x| / width + 0.5)), and picks the threshold whose 128-level quantisation has the
  smallest KL divergence from the histogram, trying 128, 256, ..., 2048 bins (calibration_math's
  kl_diversity_hist) (kld_threshold, calibrate);
- the network is canonicalised first: a BatchNormalization after a Conv, MatMul or Gemm is folded
  into its weights and bias (fold_batch_norm); an activation a ReLU alone consumes is fused with
  it, so only the ReLU's output is stored in INT8 (quantised_names);
- INT8 weights are symmetric per output channel: scale_c = max |w_c| / 127 (quantise_weights);
  activations are symmetric per tensor, s = threshold / 127, q = round(x / s) clamped to
  [-128, 127] (fake_quantised).

What it does not model: the threshold tuning pass run_calibration.py can add (SimpleTuner,
--tune_num), per-operator threshold rules (thresholds shared between an Add's inputs and output,
Concat), INT32 bias rounding and the fixed-point requantisation (multiplier and shift) between
layers, INT8 average pooling's integer arithmetic, and --asymmetric. It tells whether the flags a
compile script passes would give an INT8 model close to the float one, and about how close.

Needs python3-torch, python3-onnx, python3-numpy and python3-pil (Debian).
"""
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image


class OnnxGraph:
    """An ONNX classifier run node by node with torch ops; an optional hook sees every activation."""

    def __init__(self, path):
        model = onnx.load(path)
        self.weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
        self.nodes = list(model.graph.node)
        self.input = next(i.name for i in model.graph.input if i.name not in self.weights)
        self.output = model.graph.output[0].name

    def consumers(self, name):
        return [n for n in self.nodes if name in n.input]

    def run(self, x, hook=None, weights=None):
        values = dict(self.weights if weights is None else weights)
        values[self.input] = hook(self.input, x) if hook else x
        for node in self.nodes:
            args = [values[name] for name in node.input if name]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            y = self._op(node.op_type, args, attrs)
            values[node.output[0]] = hook(node.output[0], y) if hook else y
        return values[self.output]

    @staticmethod
    def _op(op, args, attrs):
        if op == "Conv":
            pads = attrs.get("pads", [0, 0, 0, 0])
            if pads[0] != pads[2] or pads[1] != pads[3]:
                raise ValueError("asymmetric Conv padding is not supported by the simulation")
            return F.conv2d(args[0], args[1], args[2] if len(args) > 2 else None, stride=attrs.get("strides", [1, 1]),
                            padding=pads[:2], dilation=attrs.get("dilations", [1, 1]), groups=attrs.get("group", 1))
        if op == "Relu":
            return F.relu(args[0])
        if op == "Add":
            return args[0] + args[1]
        if op == "Mul":
            return args[0] * args[1]
        if op == "GlobalAveragePool":
            return args[0].mean(dim=(2, 3), keepdim=True)
        if op == "Flatten":
            return torch.flatten(args[0], attrs.get("axis", 1))
        if op == "MatMul":
            return args[0] @ args[1]
        if op == "Gemm":
            a = args[0].t() if attrs.get("transA", 0) else args[0]
            b = args[1].t() if attrs.get("transB", 0) else args[1]
            y = attrs.get("alpha", 1.0) * (a @ b)
            return y + attrs.get("beta", 1.0) * args[2] if len(args) > 2 else y
        if op == "BatchNormalization":
            x, scale, bias, mean, var = args
            shape = [1, -1] + [1] * (x.dim() - 2)
            return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + attrs.get("epsilon", 1e-5)) * scale.view(shape) + bias.view(shape)
        if op == "MaxPool":
            pads = attrs.get("pads", [0, 0, 0, 0])
            return F.max_pool2d(args[0], attrs["kernel_shape"], attrs.get("strides", attrs["kernel_shape"]), pads[:2])
        raise ValueError(f"operator {op} is not supported by the simulation")


def tpu_mlir_preprocess(path, mean, scale, pixel_format):
    """An image file as TPU-MLIR feeds it: read as OpenCV does (BGR), swapped to pixel_format, (x - mean_c) * scale_c, NCHW."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    pixels = rgb if pixel_format == "rgb" else rgb[:, :, ::-1]
    y = (pixels - np.asarray(mean, dtype=np.float32)) * np.asarray(scale, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(y.transpose(2, 0, 1)))[None]


def fold_batch_norm(graph):
    """Folds every BatchNormalization that alone consumes a Conv's, MatMul's or Gemm's output into
    that node's weights and bias, as TPU-MLIR's canonicalisation does; returns how many it folded."""
    folded = 0
    for bn in [n for n in graph.nodes if n.op_type == "BatchNormalization"]:
        producer = next((n for n in graph.nodes if bn.input[0] in n.output), None)
        if producer is None or producer.op_type not in ("Conv", "MatMul", "Gemm") or len(graph.consumers(bn.input[0])) != 1:
            continue
        gamma, beta, mean, var = (graph.weights[name] for name in bn.input[1:5])
        eps = next((onnx.helper.get_attribute_value(a) for a in bn.attribute if a.name == "epsilon"), 1e-5)
        k = gamma / torch.sqrt(var + eps)
        w = graph.weights[producer.input[1]]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in producer.attribute}
        if producer.op_type == "Conv":
            graph.weights[producer.input[1]] = w * k.view(-1, *([1] * (w.dim() - 1)))
        elif producer.op_type == "Gemm" and attrs.get("transB", 0):
            graph.weights[producer.input[1]] = w * k.view(-1, 1)
        else:
            graph.weights[producer.input[1]] = w * k.view(1, -1)
        bias_name = producer.input[2] if len(producer.input) > 2 and producer.input[2] else None
        bias = graph.weights[bias_name] if bias_name else torch.zeros_like(mean)
        if producer.op_type == "Gemm":
            bias = bias * attrs.get("beta", 1.0)  # Y = alpha A B + beta C: the folded bias takes beta in
            attrs["beta"] = 1.0
        new_bias = (bias - mean) * k + beta
        if producer.op_type == "MatMul":
            # MatMul has no bias: the folded one becomes an Add, in place of the BatchNormalization.
            name = bn.output[0] + "_folded_bias"
            graph.weights[name] = new_bias
            index = graph.nodes.index(bn)
            graph.nodes[index] = onnx.helper.make_node("Add", [bn.input[0], name], [bn.output[0]])
        else:
            name = bias_name or producer.output[0] + "_folded_bias"
            graph.weights[name] = new_bias
            inputs = list(producer.input) + ([] if bias_name else [name])
            index = graph.nodes.index(producer)
            graph.nodes[index] = onnx.helper.make_node(producer.op_type, inputs[:2] + [name], [bn.output[0]], **attrs)
            graph.nodes.remove(bn)
        folded += 1
    return folded


def quantised_names(graph):
    """The activations stored in INT8: the input and every node output, except one a ReLU alone
    consumes (TPU-MLIR fuses the ReLU into its producer)."""
    fused = {n.input[0] for n in graph.nodes if n.op_type == "Relu" and len(graph.consumers(n.input[0])) == 1}
    return {graph.input} | {n.output[0] for n in graph.nodes} - fused


def histogram(values, abs_max, bins=2048):
    """kld_calibrator.py's histogram of |x|: zeros left out, width abs_max / (bins - 1), a value to floor(|x| / width + 0.5)."""
    t = values.abs().flatten()
    t = t[t != 0].double()
    width = abs_max / (bins - 1)
    index = torch.clamp(torch.floor(t / width + 0.5), 0, bins - 1).long()
    return torch.bincount(index, minlength=bins).double(), width


def kld_threshold(hist, width, dst_bins=128):
    """The KL-divergence threshold of a |x| histogram (calibration_math's kl_diversity_hist): for
    i = 128, 256, ... bins, P is the first i bins with the tail added to the last, Q the first i bins
    merged into 128 groups and spread evenly over each group's non-empty bins; the i with the
    smallest sum P log10(P / Q) wins, threshold = width * i."""
    hist = np.asarray(hist, dtype=np.float64)
    n = len(hist)
    total = hist.sum()
    if total == 0:
        return width * n
    best, best_kl = n, None
    for i in range(dst_bins, n + 1, dst_bins):
        p = hist[:i].copy()
        p[i - 1] += hist[i:].sum()
        p /= total
        groups = hist[:i].reshape(dst_bins, i // dst_bins)
        filled = np.maximum((groups > 0).sum(axis=1, keepdims=True), 1)
        q = np.where(groups > 0, groups.sum(axis=1, keepdims=True) / filled, 0).reshape(-1) / max(hist[:i].sum(), 1e-30)
        kl = float(np.sum(p * (np.log10(p + 1e-30) - np.log10(q + 1e-30))))
        if best_kl is None or kl < best_kl:
            best, best_kl = i, kl
    return width * best


def calibrate(graph, inputs, method="kld"):
    """The threshold of every stored activation over the calibration inputs: TPU-MLIR's default
    KL-divergence search ("kld"), or max |x| ("max", what a naive calibration would take)."""
    names = quantised_names(graph)
    ranges = {}

    def record(name, x):
        if name in names:
            ranges[name] = max(ranges.get(name, 0.0), float(x.abs().max()))
        return x

    with torch.no_grad():
        for x in inputs:
            graph.run(x, record)
    if method == "max":
        return ranges
    hists = {name: torch.zeros(2048, dtype=torch.float64) for name in ranges}

    def accumulate(name, x):
        if name in hists and ranges[name] > 0:
            h, _ = histogram(x, ranges[name])
            hists[name] += h
        return x

    with torch.no_grad():
        for x in inputs:
            graph.run(x, accumulate)
    return {name: kld_threshold(hists[name].numpy(), ranges[name] / 2047) if ranges[name] > 0 else 0.0 for name in ranges}


def quantise_weights(graph, per_channel=True):
    """The weights of Conv, MatMul and Gemm fake-quantised to symmetric INT8: per output channel
    (TPU-MLIR's default), or per tensor."""
    weights = dict(graph.weights)
    for node in graph.nodes:
        if node.op_type not in ("Conv", "MatMul", "Gemm") or node.input[1] not in weights:
            continue
        w = weights[node.input[1]]
        trans_b = any(a.name == "transB" and onnx.helper.get_attribute_value(a) for a in node.attribute)
        axis = 0 if node.op_type == "Conv" or (node.op_type == "Gemm" and trans_b) else w.dim() - 1
        if per_channel:
            dims = [d for d in range(w.dim()) if d != axis]
            peak = w.abs().amax(dim=dims, keepdim=True)
        else:
            peak = w.abs().max()
        s = torch.clamp(peak, min=1e-12) / 127.0
        weights[node.input[1]] = torch.clamp(torch.round(w / s), -127, 127) * s
    return weights


def fake_quantised(graph, x, ranges, weights=None):
    """The network with INT8 weights (when given) and every stored activation fake-quantised with its threshold."""

    def quantise(name, y):
        if name not in ranges:
            return y
        s = max(ranges[name], 1e-12) / 127.0
        return torch.clamp(torch.round(y / s), -128, 127) * s

    with torch.no_grad():
        return graph.run(x, quantise, weights)


def accuracy(graph, images, labels, ranges=None, weights=None, batch=250):
    """Top-1 accuracy (%) on NCHW float images; fake-quantised when ranges (and weights) are given."""
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = images[i:i + batch]
            y = graph.run(x) if ranges is None else fake_quantised(graph, x, ranges, weights)
            correct += int((y.argmax(dim=1) == labels[i:i + batch]).sum())
    return 100.0 * correct / len(images)


def calibration_inputs(folder, mean, scale, pixel_format):
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")))
    return [tpu_mlir_preprocess(os.path.join(folder, f), mean, scale, pixel_format) for f in files]
