#!/usr/bin/env bash
# Compiles the INT8 bmodels (batch 1 and 4) with TPU-MLIR: ./gen_int8bmodel_mlir.sh bm1684x [--dry-run] [options]
# Calibrates once on the batch-1 MLIR (run_calibration.py on --calibration, 100 images), then
# deploys both batch sizes with that table (and --qtable, when given).
set -euo pipefail
# shellcheck source=mlir_common.sh
source "$(dirname "$0")/mlir_common.sh"
parse_args "$@"
if [ "$DRY_RUN" -eq 0 ] && [ ! -d "$CALIBRATION" ]; then
  echo "error: calibration folder '$CALIBRATION' not found; make it with extract_calibration.py or pass --calibration DIR" >&2
  exit 2
fi
table="$WORK/simclrv2_cali_table"
transform 1
run run_calibration.py "$WORK/simclrv2_1b.mlir" --dataset "$CALIBRATION" --input_num 100 -o "$table"
extra=(--calibration_table "$table")
if [ -n "$QTABLE" ]; then
  extra+=(--quantize_table "$QTABLE")
fi
for batch in 1 4; do
  if [ "$batch" -ne 1 ]; then
    transform "$batch"
  fi
  deploy "$batch" INT8 int8 "${extra[@]}"
done
