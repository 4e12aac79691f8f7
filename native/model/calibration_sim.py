#!/usr/bin/env python3
"""Simulates INT8 calibration of an ONNX classifier the way TPU-MLIR does it, on the CPU with PyTorch.

TPU-MLIR's run_calibration.py feeds every calibration image through the preprocessing that
model_transform.py stored from its flags (read as OpenCV does, BGR; swapped to --pixel_format;
then (x - mean_c) * scale_c), records each activation's range, and the INT8 bmodel then quantises
every activation per tensor with it. This module does the same in plain PyTorch: the ONNX graph is
executed node by node (the operators a SimCLR ResNet classifier uses), calibration records
max |x| of every activation (the network input included), and evaluation fake-quantises each one
to INT8 (q = round(x / s) clamped to [-127, 127], s = max / 127) before it is used. It tells
whether the flags a compile script passes would give an INT8 model close to the float one.

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

    def run(self, x, hook=None):
        values = dict(self.weights)
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


def calibrate(graph, inputs):
    """max |x| of every activation over the calibration inputs."""
    ranges = {}

    def record(name, x):
        ranges[name] = max(ranges.get(name, 0.0), float(x.abs().max()))
        return x

    with torch.no_grad():
        for x in inputs:
            graph.run(x, record)
    return ranges


def fake_quantised(graph, x, ranges):
    """The network with every activation fake-quantised to INT8 with its calibrated range."""

    def quantise(name, y):
        s = max(ranges.get(name, 0.0), 1e-12) / 127.0
        return torch.clamp(torch.round(y / s), -127, 127) * s

    with torch.no_grad():
        return graph.run(x, quantise)


def accuracy(graph, images, labels, ranges=None, batch=250):
    """Top-1 accuracy (%) on NCHW float images, fake-quantised when ranges are given."""
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = images[i:i + batch]
            y = graph.run(x) if ranges is None else fake_quantised(graph, x, ranges)
            correct += int((y.argmax(dim=1) == labels[i:i + batch]).sum())
    return 100.0 * correct / len(images)


def calibration_inputs(folder, mean, scale, pixel_format):
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")))
    return [tpu_mlir_preprocess(os.path.join(folder, f), mean, scale, pixel_format) for f in files]
