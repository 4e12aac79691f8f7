#!/usr/bin/env bash
# Compiles the INT8 bmodels (batch 1 and 4) with TPU-MLIR, every step validated:
#   ./gen_int8bmodel_mlir.sh bm1684x [--dry-run] [--asymmetric] [options]   (--help lists them)
# Calibrates once on the batch-1 MLIR (run_calibration.py on --calibration, 100 images, fed through
# the model's preprocessing that the transform stored), then deploys both batch sizes with that
# table (and --qtable, when given).
set -euo pipefail
PRECISION=int8
# shellcheck source=mlir_common.sh
source "$(dirname "$0")/mlir_common.sh"
parse_args "$@"
if [ "$DRY_RUN" -eq 0 ] && [ ! -d "$CALIBRATION" ]; then
  fail "calibration folder '$CALIBRATION' not found; make it with extract_calibration.py or pass --calibration DIR"
fi
table="$WORK/simclrv2_int8_cali_table"
transform 1
run run_calibration.py "$WORK/$(name_of 1).mlir" --dataset "$CALIBRATION" --input_num 100 "$CHIP_FLAG" "$TARGET" -o "$table"
extra=(--calibration_table "$table")
if [ -n "$QTABLE" ]; then
  extra+=(--quantize_table "$(realpath -m "$QTABLE")")
fi
if [ "$ASYMMETRIC" -eq 1 ]; then
  extra+=(--asymmetric)
fi
if [ "$QUANT_INPUT" -eq 1 ]; then
  extra+=(--quant_input)
fi
for batch in 1 4; do
  if [ "$batch" -ne 1 ]; then
    transform "$batch"
  fi
  deploy "$batch" INT8 "${extra[@]}"
done
