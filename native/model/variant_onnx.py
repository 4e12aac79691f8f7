#!/usr/bin/env python3
"""Makes a variant of an ONNX image classifier by editing its graph (no retraining), to prove that
models beyond the reference work through configuration alone:

  python3 variant_onnx.py --nhwc    IN.onnx OUT.onnx   input [N, C, H, W] becomes [N, H, W, C]
                                                      (a Transpose to NCHW is inserted first),
                                                      as Keras/TensorFlow exports take images
  python3 variant_onnx.py --softmax IN.onnx OUT.onnx   a Softmax is appended to the output: the
                                                      model emits probabilities, not logits

The variant computes the same function of the same image as the original, so a classifier
configured for it (manifest "layout": "nhwc", "outputKind": "probabilities") must score exactly
the same. Writes no manifest: configuring the variant is what is being tested. Needs python3-onnx.
"""
import argparse
import sys

import onnx
from onnx import helper


def to_nhwc(model):
    graph = model.graph
    image = graph.input[0]
    dims = image.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise SystemExit(f"input '{image.name}' has {len(dims)} dimensions; an NCHW image input is expected")
    nchw_name = image.name + "_nchw"
    for node in graph.node:
        node.input[:] = [nchw_name if i == image.name else i for i in node.input]
    n, c, h, w = [onnx.TensorShapeProto.Dimension() for _ in range(4)]
    n.CopyFrom(dims[0]), c.CopyFrom(dims[1]), h.CopyFrom(dims[2]), w.CopyFrom(dims[3])
    del dims[:]
    dims.extend([n, h, w, c])
    graph.node.insert(0, helper.make_node("Transpose", [image.name], [nchw_name], perm=[0, 3, 1, 2], name="to_nchw"))


def add_softmax(model):
    graph = model.graph
    output = graph.output[0]
    logits = output.name + "_logits"
    for node in graph.node:
        node.output[:] = [logits if o == output.name else o for o in node.output]
    graph.node.append(helper.make_node("Softmax", [logits], [output.name], axis=-1, name="probabilities"))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--nhwc", action="store_true", help="take NHWC images")
    kind.add_argument("--softmax", action="store_true", help="end in softmax")
    p.add_argument("input")
    p.add_argument("output")
    args = p.parse_args(argv)
    model = onnx.load(args.input)
    if args.nhwc:
        to_nhwc(model)
    else:
        add_softmax(model)
    del model.graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
