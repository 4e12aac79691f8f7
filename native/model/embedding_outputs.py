#!/usr/bin/env python3
"""Gives an exported SimCLR classifier its representations as extra named outputs, by editing the
graph (weights and the logits output unchanged), and records them in its manifest:

  python3 embedding_outputs.py IN.onnx OUT.onnx [--manifest IN.manifest.json]

  h           the encoder's pooled features (global average pool, flatten): SimCLR's representation
  projection  the first projection layer's output (MatMul/Gemm + BatchNorm + ReLU), the layer a
              SimCLRv2 classifier is fine-tuned from; only when the classifier sits on it

Both are found from the logits output backwards: the classifier (Gemm, or MatMul + Add) that makes
the logits reads either the projection layer's ReLU (SimCLRv2) or the pooled features directly (the
reference's ResNet-50: then only h). --encoder TENSOR / --projection TENSOR name them instead. The
tensors are renamed to h and projection, so the outputs carry those names, and the manifest beside
OUT gets "embeddings" (the output names) and "defaultEmbedding" (projection when there is one). The
edited graph computes exactly what the original did (the same nodes); the C# tests compare them.
Needs python3-onnx.
"""
import argparse
import json
import os
import sys

import onnx
from onnx import helper


def producers(graph):
    return {o: n for n in graph.node for o in n.output}


def classifier_input(graph, logits):
    """The data input of the node chain that makes the logits (Gemm, or MatMul [+ Add])."""
    made_by = producers(graph)
    node = made_by.get(logits)
    if node is not None and node.op_type == "Add":
        node = next((made_by[i] for i in node.input if i in made_by and made_by[i].op_type == "MatMul"), None)
    if node is None or node.op_type not in ("Gemm", "MatMul"):
        raise SystemExit(f"the logits output '{logits}' is not made by a Gemm or MatMul (+ Add); name the tensors with --encoder/--projection")
    return node.input[0]


def find_embeddings(graph, logits):
    """(encoder tensor, projection tensor or None), found backwards from the classifier."""
    made_by = producers(graph)
    features = classifier_input(graph, logits)
    node = made_by.get(features)
    if node is not None and node.op_type in ("Flatten", "Reshape", "GlobalAveragePool"):
        return features, None
    # SimCLRv2: features -> MatMul/Gemm -> BatchNormalization -> Relu -> classifier
    chain = []
    while node is not None and node.op_type in ("Relu", "BatchNormalization", "MatMul", "Gemm", "Add") and len(chain) < 4:
        chain.append(node)
        if node.op_type in ("MatMul", "Gemm"):
            break
        node = made_by.get(node.input[0])
    if not chain or chain[-1].op_type not in ("MatMul", "Gemm") or chain[0].op_type != "Relu":
        raise SystemExit(f"the classifier's input '{features}' is neither pooled features nor a projection layer (MatMul + BatchNorm + ReLU); name the tensors with --encoder/--projection")
    encoder = chain[-1].input[0]
    pooled = made_by.get(encoder)
    if pooled is None or pooled.op_type not in ("Flatten", "Reshape", "GlobalAveragePool"):
        raise SystemExit(f"the projection layer reads '{encoder}', which is not the encoder's pooled features; name the tensors with --encoder/--projection")
    return encoder, features


def rename(graph, old, new):
    if any(new in n.output for n in graph.node) or any(new == i.name for i in graph.input):
        raise SystemExit(f"the graph already has a tensor named '{new}'")
    for node in graph.node:
        node.input[:] = [new if i == old else i for i in node.input]
        node.output[:] = [new if o == old else o for o in node.output]
    for output in graph.output:
        if output.name == old:
            output.name = new


def add_output(graph, name, batch_dim, size):
    if any(o.name == name for o in graph.output):
        return
    dims = [batch_dim, size]
    graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims))


def edit(model, logits=None, encoder=None, projection=None):
    """Adds the outputs; returns the embedding output names, default first."""
    graph = model.graph
    logits = logits or graph.output[0].name
    if encoder is None:
        encoder, found = find_embeddings(graph, logits)
        projection = projection or found
    logits_info = next(o for o in graph.output if o.name == logits)
    batch = logits_info.type.tensor_type.shape.dim[0]
    batch_dim = batch.dim_param or batch.dim_value or "N"
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    names = []
    for tensor, name in ((projection, "projection"), (encoder, "h")):
        if tensor is None:
            continue
        dims = shapes.get(tensor)
        if not dims or len(dims) != 2 or dims[1] <= 0:
            raise SystemExit(f"tensor '{tensor}' has shape {dims}; an embedding is [N, D]")
        if tensor != name:
            rename(graph, tensor, name)
        add_output(graph, name, batch_dim, dims[1])
        names.append(name)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return names


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--manifest", help="the input's manifest (default: IN without .onnx + .manifest.json, if it exists)")
    p.add_argument("--logits", help="the logits output (default: the manifest's outputName, else the first output)")
    p.add_argument("--encoder", help="the pooled-features tensor (default: found from the classifier)")
    p.add_argument("--projection", help="the projection layer's output tensor (default: found from the classifier)")
    args = p.parse_args(argv)
    manifest_in = args.manifest or os.path.splitext(args.input)[0] + ".manifest.json"
    manifest = json.load(open(manifest_in)) if os.path.exists(manifest_in) else None
    model = onnx.load(args.input)
    names = edit(model, args.logits or (manifest or {}).get("outputName"), args.encoder, args.projection)
    onnx.save(model, args.output)
    print(f"wrote {args.output}: outputs {[o.name for o in model.graph.output]}")
    if manifest is not None:
        manifest["embeddings"] = names
        manifest["defaultEmbedding"] = names[0]
        path = os.path.splitext(args.output)[0] + ".manifest.json"
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
