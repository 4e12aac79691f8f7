#!/usr/bin/env python3
"""Writes trivial-classifier.onnx: the classifier's input/output shapes ([N,3,32,32] -> [N,10])
with almost no compute (a mean per channel, then a 3x10 matrix), so a benchmark of one SOPHON
launch on the emulator measures the binding's overhead, not the network.

  /usr/bin/python3 make_trivial_onnx.py     (Debian: apt-get install python3-onnx)
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

weights = numpy_helper.from_array(np.linspace(-1, 1, 30, dtype=np.float32).reshape(3, 10), "w")
graph = helper.make_graph(
    [
        helper.make_node("ReduceMean", ["input"], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["mean", "w"], ["logits"]),
    ],
    "trivial",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
    [weights],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="simclrv2-benchmarks")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, "trivial-classifier.onnx")
print("wrote trivial-classifier.onnx")
