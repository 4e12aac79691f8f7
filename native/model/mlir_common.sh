# shellcheck shell=bash
# Shared by gen_fp32bmodel_mlir.sh, gen_fp16bmodel_mlir.sh and gen_int8bmodel_mlir.sh: arguments,
# the TPU-MLIR check, dry runs, and the two TPU-MLIR steps for batch 1 and batch 4.

usage() {
  cat <<USAGE
usage: $(basename "$0") <target> [--onnx PATH] [--out DIR] [--work DIR] [--dry-run]
                                 [--calibration DIR] [--qtable FILE] [--chip-flag FLAG]
  target           the TPU, e.g. bm1684x (as in the reference's scripts)
  --onnx PATH      the exported model (default: ../models/onnx/simclrv2_bm1684x.onnx, the reference's)
  --out DIR        where the bmodels go (default: ../models/<TARGET in upper case>)
  --work DIR       intermediate MLIR files (default: a folder under the output)
  --calibration D  INT8 only: calibration images (extract_calibration.py), default ../datasets/cali_data
  --qtable FILE    INT8 only: a TPU-MLIR quantize table (layers kept in float)
  --chip-flag F    the target option of model_deploy.py: --processor (TPU-MLIR >= 1.6, default) or --chip
  --dry-run        print every command instead of running it
Writes simclrv2_<precision>_1b.bmodel and simclrv2_<precision>_4b.bmodel.
USAGE
}

TARGET=""
ONNX=""
OUT=""
WORK=""
CALIBRATION=""
QTABLE=""
CHIP_FLAG="--processor"
DRY_RUN=0

# CALIBRATION and QTABLE are read by gen_int8bmodel_mlir.sh.
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
    *) echo "error: unknown target '$TARGET'; use bm1684x (or bm1684, bm1688, cv186x)" >&2; exit 2 ;;
  esac
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  ONNX="$here/../models/onnx/simclrv2_bm1684x.onnx"
  OUT="$here/../models/$(echo "$TARGET" | tr '[:lower:]' '[:upper:]')"
  CALIBRATION="$here/../datasets/cali_data"
  while [ $# -gt 0 ]; do
    case "$1" in
      --onnx) ONNX=$2; shift 2 ;;
      --out) OUT=$2; shift 2 ;;
      --work) WORK=$2; shift 2 ;;
      --calibration) CALIBRATION=$2; shift 2 ;;
      --qtable) QTABLE=$2; shift 2 ;;
      --chip-flag) CHIP_FLAG=$2; shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      *) echo "error: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
  done
  WORK=${WORK:-$OUT/mlir_work}
  if [ "$DRY_RUN" -eq 0 ]; then
    if ! command -v model_transform.py >/dev/null 2>&1 || ! command -v model_deploy.py >/dev/null 2>&1; then
      echo "error: TPU-MLIR is not on PATH (model_transform.py, model_deploy.py). Install it (pip install tpu_mlir, or Sophgo's TPU-MLIR docker image and 'source envsetup.sh'), then re-run; --dry-run prints the commands without it." >&2
      exit 2
    fi
    if [ ! -f "$ONNX" ]; then
      echo "error: ONNX model '$ONNX' not found; export one with export_onnx.py or pass --onnx PATH" >&2
      exit 2
    fi
    mkdir -p "$OUT" "$WORK"
  fi
}

# Prints a command (shell-quoted) and runs it unless --dry-run.
run() {
  printf '%q ' "$@"
  printf '\n'
  if [ "$DRY_RUN" -eq 0 ]; then
    "$@"
  fi
}

# model_transform.py for one batch size: ONNX -> MLIR (inputs are already normalised floats, as the
# reference feeds them, so no mean/scale is folded in).
transform() {
  local batch=$1
  run model_transform.py --model_name simclrv2 --model_def "$ONNX" \
    --input_shapes "[[${batch},3,32,32]]" --mlir "$WORK/simclrv2_${batch}b.mlir"
}

# model_deploy.py for one batch size and quantisation; extra arguments are passed on.
deploy() {
  local batch=$1 quantize=$2 precision=$3
  shift 3
  run model_deploy.py --mlir "$WORK/simclrv2_${batch}b.mlir" --quantize "$quantize" "$CHIP_FLAG" "$TARGET" \
    "$@" --model "$OUT/simclrv2_${precision}_${batch}b.bmodel"
}
