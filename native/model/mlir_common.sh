# shellcheck shell=bash
# Shared by gen_fp32bmodel_mlir.sh, gen_fp16bmodel_mlir.sh and gen_int8bmodel_mlir.sh: arguments,
# the model manifest (the one source of the preprocessing), the TPU-MLIR check, dry runs, and the
# validated TPU-MLIR steps. The calling script sets PRECISION (fp32, fp16, int8) first.

usage() {
  cat <<USAGE
usage: $(basename "$0") <target> [--onnx PATH] [--manifest PATH] [--out DIR] [--work DIR]
                                 [--calibration DIR] [--test-input FILE] [--tolerance C,E]
                                 [--qtable FILE] [--asymmetric] [--quant-input] [--fuse-preprocess]
                                 [--chip-flag --chip|--processor] [--dry-run]
  target            the TPU: bm1684x (or bm1684, bm1688, cv186x; bm1684 has no FP16)
  --onnx PATH       the exported model (default: ../models/onnx/simclrv2_bm1684x.onnx, the reference's)
  --manifest PATH   its manifest, the preprocessing the model expects (default: beside the ONNX,
                    <model>.manifest.json, as export_onnx.py writes it); required
  --out DIR         where the bmodels and their manifests go (default: ../models/<TARGET>)
  --work DIR        TPU-MLIR's work files; the tools run inside it (default: <out>/mlir_work)
  --calibration D   calibration images (extract_calibration.py; default ../datasets/cali_data);
                    INT8 calibrates on them, and the first one validates every step
  --test-input F    the validation image instead of the calibration folder's first
  --tolerance C,E   model_deploy.py's cosine,euclidean similarity floor (default per mode:
                    F32 0.99,0.99  F16 0.99,0.90  INT8 0.90,0.80)
  --qtable FILE     INT8: a quantize table (layers kept in float)
  --asymmetric      INT8 with zero points (the library honours them)
  --quant-input     INT8: the bmodel takes its input as INT8 (model_deploy.py --quant_input), which
                    BMCV's convert_to writes directly; without it the input is FLOAT32
  --fuse-preprocess the bmodel takes UINT8 RGB_PLANAR pixels and does mean/scale itself
  --chip-flag F     the target option: --chip (default, every TPU-MLIR) or --processor (>= 1.6)
  --dry-run         print every command instead of running it
The manifest's "layout" ("nhwc" for a model whose image input is NHWC) becomes TPU-MLIR's
--channel_format and the input shape's order.
Writes simclrv2_<precision>_1b.bmodel and simclrv2_<precision>_4b.bmodel, each with its
.manifest.json (the bmodel's tensor names, the model's preprocessing and labels).
USAGE
}

TARGET=""
ONNX=""
MANIFEST=""
OUT=""
WORK=""
CALIBRATION=""
TEST_INPUT=""
TOLERANCE=""
QTABLE=""
ASYMMETRIC=0
QUANT_INPUT=0
FUSE=0
CHIP_FLAG="--chip"
DRY_RUN=0
PRE_FLAGS=()
INPUT_H=""
INPUT_W=""
LAYOUT=nchw
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() {
  echo "error: $*" >&2
  exit 2
}

# CALIBRATION, QTABLE, ASYMMETRIC and QUANT_INPUT are read by gen_int8bmodel_mlir.sh.
# shellcheck disable=SC2034
parse_args() {
  if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    usage
    exit 2
  fi
  TARGET=$1
  shift
  case "$TARGET" in
    bm1684x | bm1684 | bm1688 | cv186x) ;;
    *) fail "unknown target '$TARGET'; use bm1684x (or bm1684, bm1688, cv186x)" ;;
  esac
  if [ "$PRECISION" = "fp16" ] && [ "$TARGET" = "bm1684" ]; then
    fail "the BM1684 cannot run FP16 (TPU-MLIR lowers F32 and INT8 only for it); use gen_fp32bmodel_mlir.sh or gen_int8bmodel_mlir.sh, or target bm1684x"
  fi
  ONNX="$HERE/../models/onnx/simclrv2_bm1684x.onnx"
  OUT="$HERE/../models/$(echo "$TARGET" | tr '[:lower:]' '[:upper:]')"
  CALIBRATION="$HERE/../datasets/cali_data"
  while [ $# -gt 0 ]; do
    case "$1" in
      --onnx) ONNX=$2; shift 2 ;;
      --manifest) MANIFEST=$2; shift 2 ;;
      --out) OUT=$2; shift 2 ;;
      --work) WORK=$2; shift 2 ;;
      --calibration) CALIBRATION=$2; shift 2 ;;
      --test-input) TEST_INPUT=$2; shift 2 ;;
      --tolerance) TOLERANCE=$2; shift 2 ;;
      --qtable) QTABLE=$2; shift 2 ;;
      --asymmetric) ASYMMETRIC=1; shift ;;
      --quant-input) QUANT_INPUT=1; shift ;;
      --fuse-preprocess) FUSE=1; shift ;;
      --chip-flag)
        case "$2" in --chip | --processor) CHIP_FLAG=$2 ;; *) fail "--chip-flag takes --chip or --processor, got '$2'" ;; esac
        shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      *) echo "error: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
  done
  if [ "$ASYMMETRIC" -eq 1 ] && [ "$PRECISION" != "int8" ]; then
    fail "--asymmetric is for INT8 (gen_int8bmodel_mlir.sh)"
  fi
  if [ "$QUANT_INPUT" -eq 1 ] && [ "$PRECISION" != "int8" ]; then
    fail "--quant-input is for INT8 (gen_int8bmodel_mlir.sh); FP32/FP16 bmodels take FLOAT32 input"
  fi
  if [ "$QUANT_INPUT" -eq 1 ] && [ "$FUSE" -eq 1 ]; then
    fail "--quant-input and --fuse-preprocess exclude each other: a fused bmodel takes UINT8 pixels"
  fi
  ONNX=$(realpath -m "$ONNX")
  MANIFEST=$(realpath -m "${MANIFEST:-${ONNX%.onnx}.manifest.json}")
  OUT=$(realpath -m "$OUT")
  WORK=$(realpath -m "${WORK:-$OUT/mlir_work}")
  CALIBRATION=$(realpath -m "$CALIBRATION")
  local flags size
  flags=$(python3 "$HERE/mlir_manifest.py" transform-flags "$MANIFEST") || exit 2
  mapfile -t PRE_FLAGS <<<"$flags"
  size=$(python3 "$HERE/mlir_manifest.py" input-size "$MANIFEST") || exit 2
  read -r INPUT_H INPUT_W <<<"$size"
  LAYOUT=$(python3 "$HERE/mlir_manifest.py" layout "$MANIFEST") || exit 2
  if [ -z "$TEST_INPUT" ]; then
    if [ "$DRY_RUN" -eq 1 ] && [ ! -d "$CALIBRATION" ]; then
      TEST_INPUT="$CALIBRATION/<first image>"
    else
      TEST_INPUT=$(python3 "$HERE/mlir_manifest.py" test-image "$CALIBRATION") || exit 2
    fi
  fi
  TEST_INPUT=$(realpath -m "$TEST_INPUT")
  if [ "$DRY_RUN" -eq 0 ]; then
    local tool
    for tool in model_transform.py model_deploy.py $([ "$PRECISION" = "int8" ] && echo run_calibration.py); do
      command -v "$tool" >/dev/null 2>&1 \
        || fail "TPU-MLIR is not on PATH ($tool). Install it (pip install tpu_mlir, or Sophgo's TPU-MLIR docker image and 'source envsetup.sh'), then re-run; --dry-run prints the commands without it."
    done
    [ -f "$ONNX" ] || fail "ONNX model '$ONNX' not found; export one with export_onnx.py or pass --onnx PATH"
    [ -f "$TEST_INPUT" ] || fail "validation input '$TEST_INPUT' not found; pass --test-input FILE or --calibration DIR"
    mkdir -p "$OUT" "$WORK"
  fi
  echo "cd $(printf '%q' "$WORK")"
}

# Prints a command (shell-quoted) and runs it inside the work folder unless --dry-run.
run() {
  printf '%q ' "$@"
  printf '\n'
  if [ "$DRY_RUN" -eq 0 ]; then
    (cd "$WORK" && "$@")
  fi
}

# The work-file name of one precision and batch size: distinct, so no step overwrites another's files.
name_of() {
  echo "simclrv2_${PRECISION}_${1}b"
}

# model_transform.py for one batch size: ONNX -> MLIR with the model's preprocessing, validated
# against the ONNX run on the validation image (writes <name>_in_f32.npz and <name>_top_outputs.npz).
transform() {
  local batch=$1 name
  name=$(name_of "$batch")
  local shape="[[${batch},3,${INPUT_H},${INPUT_W}]]"
  if [ "$LAYOUT" = "nhwc" ]; then
    shape="[[${batch},${INPUT_H},${INPUT_W},3]]"
  fi
  run model_transform.py --model_name "$name" --model_def "$ONNX" \
    --input_shapes "$shape" "${PRE_FLAGS[@]}" \
    --test_input "$TEST_INPUT" --test_result "$WORK/${name}_top_outputs.npz" --mlir "$WORK/$name.mlir"
}

# model_deploy.py for one batch size, validated against the transform's outputs (a failed
# comparison fails the script with TPU-MLIR's message), then the manifest beside the bmodel.
deploy() {
  local batch=$1 quantize=$2 name tolerance test_input fuse=()
  shift 2
  name=$(name_of "$batch")
  case "$quantize" in F32) tolerance=0.99,0.99 ;; F16) tolerance=0.99,0.90 ;; *) tolerance=0.90,0.80 ;; esac
  test_input="$WORK/${name}_in_f32.npz"
  if [ "$FUSE" -eq 1 ]; then
    local arrangement=PLANAR
    if [ "$LAYOUT" = "nhwc" ]; then
      arrangement=PACKED
    fi
    fuse=(--fuse_preprocess --customization_format "$(echo "${PRE_FLAGS[5]}" | tr '[:lower:]' '[:upper:]')_$arrangement")
    test_input="$TEST_INPUT"
  fi
  run model_deploy.py --mlir "$WORK/$name.mlir" --quantize "$quantize" "$CHIP_FLAG" "$TARGET" "${fuse[@]}" "$@" \
    --test_input "$test_input" --test_reference "$WORK/${name}_top_outputs.npz" --tolerance "${TOLERANCE:-$tolerance}" \
    --model "$OUT/$name.bmodel"
  local manifest=(python3 "$HERE/mlir_manifest.py" write "$MANIFEST" "$ONNX" "$OUT/$name.bmodel")
  if [ "$FUSE" -eq 1 ]; then
    manifest+=(--fused-preprocess)
  fi
  run "${manifest[@]}"
}
