#!/usr/bin/env python3
"""Exports a SimCLR classifier (.pth, or random weights) to ONNX with the manifest SimClrV2.Sophon reads.

  python3 export_onnx.py --arch reference --weights simclrv2.pth --output simclrv2_bm1684x.onnx
  python3 export_onnx.py --arch reference --random-init --batch dynamic --output build/reference-r50.onnx
  python3 export_onnx.py --arch simclrv2 --depth 18 --width 0.25 --random-init --output build/r18w025.onnx

Writes <output> and <output without .onnx>.manifest.json, checks the model with the ONNX checker,
gives it its representations as extra outputs beside the logits (embedding_outputs.py: h, the
encoder's pooled features, and for SimCLRv2 heads projection, the first projection layer's output;
the manifest lists them in "embeddings"; --no-embeddings leaves them out),
and with --check-data also writes <output>.check.json: random inputs and PyTorch's outputs, which
the C# tests compare with ONNX Runtime (Debian has no Python ONNX Runtime). Needs python3-torch,
python3-torchvision and python3-onnx (Debian packages).
"""
import argparse
import json
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embedding_outputs  # noqa: E402
import simclr_models  # noqa: E402

CIFAR_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR_STD = [0.2023, 0.1994, 0.2010]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["reference", "simclrv2"], default="reference")
    p.add_argument("--weights", help=".pth checkpoint (state dict, or a dict holding one)")
    p.add_argument("--random-init", action="store_true", help="random weights (for benchmarks when no weights exist)")
    p.add_argument("--depth", type=int, default=50, help="simclrv2: 18, 34, 50, 101 or 152")
    p.add_argument("--width", type=float, default=1.0, help="simclrv2: width multiplier")
    p.add_argument("--sk", action="store_true", help="simclrv2: selective kernels")
    p.add_argument("--imagenet-stem", action="store_true", help="simclrv2: 7x7/2 conv + max-pool stem instead of the CIFAR one")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", default="1", help="1, 4 (any fixed size) or dynamic")
    p.add_argument("--size", type=int, default=32, help="input height and width")
    p.add_argument("--opset", type=int, default=15)
    p.add_argument("--input-name", default="input.1", help="the reference's ONNX uses input.1")
    p.add_argument("--output-name", default="logits")
    p.add_argument("--preprocessing", choices=["cifar", "unit"], help="manifest convention (default: cifar for reference, unit for simclrv2)")
    p.add_argument("--output", required=True, help="the .onnx file to write")
    p.add_argument("--check-data", action="store_true", help="also write <output>.check.json for the C# equivalence test")
    p.add_argument("--no-embeddings", action="store_true", help="export the logits only (no h/projection outputs)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if bool(args.weights) == bool(args.random_init):
        p.error("give exactly one of --weights PATH and --random-init")
    if args.batch != "dynamic" and (not args.batch.isdigit() or int(args.batch) < 1):
        p.error("--batch must be a positive integer or 'dynamic'")
    return args


def build_model(args):
    torch.manual_seed(args.seed)
    if args.arch == "reference":
        model = simclr_models.build("reference", num_classes=args.classes, projection_head=True)
    else:
        model = simclr_models.build("simclrv2", depth=args.depth, width=args.width, sk=args.sk,
                                    cifar_stem=not args.imagenet_stem, num_classes=args.classes)
    if args.weights:
        ignored = simclr_models.load_checkpoint(model, args.weights)
        if ignored:
            print(f"ignored {len(ignored)} checkpoint entries not in the model, e.g. {ignored[:3]}")
    return model.eval()


def export(model, args):
    batch = 1 if args.batch == "dynamic" else int(args.batch)
    dummy = torch.randn(batch, 3, args.size, args.size)
    dynamic = {args.input_name: {0: "N"}, args.output_name: {0: "N"}} if args.batch == "dynamic" else None
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.onnx.export(model, dummy, args.output, input_names=[args.input_name], output_names=[args.output_name],
                      opset_version=args.opset, dynamic_axes=dynamic, do_constant_folding=True)
    exported = onnx.load(args.output)
    embeddings = [] if args.no_embeddings else embedding_outputs.edit(exported, args.output_name)
    if embeddings:
        onnx.save(exported, args.output)
    onnx.checker.check_model(onnx.load(args.output))
    return embeddings


def write_manifest(args, embeddings=()):
    convention = args.preprocessing or ("cifar" if args.arch == "reference" else "unit")
    preprocessing = {"width": args.size, "height": args.size, "channelOrder": "rgb", "scale": 1 / 255}
    if convention == "cifar":
        preprocessing.update(mean=CIFAR_MEAN, std=CIFAR_STD)
    manifest = {
        "name": os.path.splitext(os.path.basename(args.output))[0],
        "model": os.path.basename(args.output),
        "inputName": args.input_name,
        "outputName": args.output_name,
        "preprocessing": preprocessing,
        "labels": simclr_models.CIFAR10_LABELS if args.classes == 10 else [str(i) for i in range(args.classes)],
    }
    if embeddings:
        manifest["embeddings"] = list(embeddings)
        manifest["defaultEmbedding"] = embeddings[0]
    path = os.path.splitext(args.output)[0] + ".manifest.json"
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
    return path


def write_check_data(model, args):
    batch = 2 if args.batch == "dynamic" else int(args.batch)
    torch.manual_seed(args.seed + 1)
    x = torch.randn(batch, 3, args.size, args.size)
    with torch.no_grad():
        y = model(x)
    path = args.output + ".check.json"
    with open(path, "w") as f:
        json.dump({"inputShape": list(x.shape), "input": x.flatten().tolist(),
                   "outputShape": list(y.shape), "output": y.flatten().tolist()}, f)
    return path


def main(argv=None):
    args = parse_args(argv)
    model = build_model(args)
    embeddings = export(model, args)
    print(f"wrote {args.output} (ONNX checker passed; embedding outputs: {', '.join(embeddings) or 'none'})")
    print(f"wrote {write_manifest(args, embeddings)}")
    if args.check_data:
        print(f"wrote {write_check_data(model, args)}")


if __name__ == "__main__":
    main()
