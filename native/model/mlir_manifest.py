#!/usr/bin/env python3
"""The model manifest as the one source of truth for the TPU-MLIR scripts (gen_*bmodel_mlir.sh).

  mlir_manifest.py transform-flags MANIFEST
      prints, one per line, the preprocessing flags for model_transform.py:
      --mean m0,m1,m2 --scale s0,s1,s2 --pixel_format rgb|bgr
  mlir_manifest.py input-size MANIFEST
  mlir_manifest.py layout MANIFEST
      prints the network input's height and width (the manifest's preprocessing)
  mlir_manifest.py test-image DIR
      prints the first image of a calibration folder (sorted), for --test_input
  mlir_manifest.py write MANIFEST ONNX BMODEL [--fused-preprocess]
      writes <BMODEL without .bmodel>.manifest.json: the ONNX manifest's preprocessing and labels
      with the tensor names of the ONNX the transform saw (the bmodel keeps them)

The manifest (written by export_onnx.py beside the ONNX) says value = (pixel * scale - mean_c) / std_c
per channel, pixels in channelOrder; TPU-MLIR computes (pixel - mean'_c) * scale'_c after its channel
swap, so mean'_c = mean_c / scale and scale'_c = scale / std_c. A missing or incomplete manifest is
an error that says what to add; nothing is defaulted.
"""
import json
import os
import sys

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
EXAMPLE = ('"preprocessing": {"width": 32, "height": 32, "channelOrder": "rgb", "scale": 0.00392156862745098, '
           '"mean": [0.4914, 0.4822, 0.4465], "std": [0.2023, 0.1994, 0.2010]}')


class ManifestError(Exception):
    pass


def load(path):
    if not os.path.isfile(path):
        raise ManifestError(f"model manifest '{path}' not found: export_onnx.py writes it beside the ONNX "
                            f"(<model>.manifest.json); pass --manifest PATH, or write one with {EXAMPLE}")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise ManifestError(f"model manifest '{path}' cannot be read: {e}") from e
    pre = manifest.get("preprocessing")
    if not isinstance(pre, dict):
        raise ManifestError(f"model manifest '{path}' has no \"preprocessing\" section; add {EXAMPLE}")
    missing = [k for k in ("channelOrder", "scale", "mean", "std") if k not in pre]
    if missing:
        raise ManifestError(f"model manifest '{path}': \"preprocessing\" lacks {', '.join(missing)}; "
                            f"all of channelOrder, scale, mean, std are needed (e.g. {EXAMPLE})")
    order = str(pre["channelOrder"]).lower()
    if order not in ("rgb", "bgr"):
        raise ManifestError(f"model manifest '{path}': channelOrder is '{pre['channelOrder']}'; use \"rgb\" or \"bgr\"")
    scale = pre["scale"]
    mean, std = pre["mean"], pre["std"]
    if not isinstance(scale, (int, float)) or scale <= 0:
        raise ManifestError(f"model manifest '{path}': scale is {scale!r}; a positive number is needed (1/255 for [0,1] inputs, 1 for raw pixels)")
    for name, values in (("mean", mean), ("std", std)):
        if not isinstance(values, list) or len(values) != 3 or not all(isinstance(v, (int, float)) for v in values):
            raise ManifestError(f"model manifest '{path}': {name} must be three numbers (one per channel), got {values!r}")
    if any(s <= 0 for s in std):
        raise ManifestError(f"model manifest '{path}': every std must be positive, got {std!r}")
    return manifest


def transform_flags(manifest):
    pre = manifest["preprocessing"]
    scale = float(pre["scale"])
    mean = [float(m) / scale for m in pre["mean"]]
    factor = [scale / float(s) for s in pre["std"]]
    fmt = lambda values: ",".join(f"{v:.9g}" for v in values)  # noqa: E731
    flags = ["--mean", fmt(mean), "--scale", fmt(factor), "--pixel_format", pre["channelOrder"].lower()]
    # TPU-MLIR's --channel_format (model_transform.py, default nchw): the layout of the model's image input.
    return flags + ["--channel_format", layout(manifest)]


def layout(manifest):
    """The image input's layout from the manifest's "layout" (nchw when absent, as TPU-MLIR assumes)."""
    value = str(manifest.get("layout") or "nchw").lower()
    if value not in ("nchw", "nhwc"):
        raise ManifestError(f"the manifest's \"layout\" is {manifest.get('layout')!r}; use \"nchw\" or \"nhwc\"")
    return value


def input_size(manifest):
    pre = manifest["preprocessing"]
    size = [pre.get("height"), pre.get("width")]
    if not all(isinstance(v, int) and v > 0 for v in size):
        raise ManifestError(f"the manifest's preprocessing needs positive integer \"width\" and \"height\" (the network input), got {size!r}")
    return size


def test_image(folder):
    if not os.path.isdir(folder):
        raise ManifestError(f"calibration folder '{folder}' not found: make it with extract_calibration.py, or pass "
                            f"--calibration DIR (its first image is also the validation input of every step)")
    images = sorted(f for f in os.listdir(folder) if f.lower().endswith(EXTENSIONS))
    if not images:
        raise ManifestError(f"calibration folder '{folder}' holds no images ({', '.join(EXTENSIONS)})")
    return os.path.join(folder, images[0])


def onnx_names(path):
    try:
        import onnx  # noqa: PLC0415 (optional: the manifest's names are used without it)
    except ImportError:
        return None
    model = onnx.load(path, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    return (inputs[0], outputs) if len(inputs) == 1 and outputs else None


def write(manifest_path, onnx_path, bmodel_path, fused):
    """The bmodel's manifest: the ONNX model's, with its name and file, the tensor names, and its
    embedding outputs (TPU-MLIR keeps every graph output, each with its own INT8 scale)."""
    manifest = load(manifest_path)
    names = onnx_names(onnx_path)
    out = dict(manifest)
    stem = os.path.splitext(os.path.basename(bmodel_path))[0]
    out["name"] = stem
    out["model"] = os.path.basename(bmodel_path)
    if names is not None:
        inputs, outputs = names
        missing = [e for e in manifest.get("embeddings") or [] if e not in outputs]
        if missing:
            raise ManifestError(f"the manifest's embeddings {missing!r} are not outputs of '{onnx_path}' (its outputs: {outputs!r}); "
                                f"add them with embedding_outputs.py or remove them from the manifest")
        out["inputName"] = inputs
        out["outputName"] = manifest.get("outputName") or outputs[0]
    if fused:
        out["fusedPreprocessing"] = True
    path = os.path.splitext(bmodel_path)[0] + ".manifest.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
    return path


def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "transform-flags":
            print("\n".join(transform_flags(load(argv[1]))))
        elif len(argv) == 2 and argv[0] == "layout":
            print(layout(load(argv[1])))
        elif len(argv) == 2 and argv[0] == "input-size":
            print(" ".join(str(v) for v in input_size(load(argv[1]))))
        elif len(argv) == 2 and argv[0] == "test-image":
            print(test_image(argv[1]))
        elif len(argv) in (4, 5) and argv[0] == "write" and (len(argv) == 4 or argv[4] == "--fused-preprocess"):
            print(f"wrote {write(argv[1], argv[2], argv[3], len(argv) == 5)}")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ManifestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
