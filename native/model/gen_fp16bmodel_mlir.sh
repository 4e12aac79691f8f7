#!/usr/bin/env bash
# Compiles the FP16 bmodels (batch 1 and 4) with TPU-MLIR, every step validated:
#   ./gen_fp16bmodel_mlir.sh bm1684x [--dry-run] [options]   (--help lists them)
set -euo pipefail
PRECISION=fp16
# shellcheck source=mlir_common.sh
source "$(dirname "$0")/mlir_common.sh"
parse_args "$@"
for batch in 1 4; do
  transform "$batch"
  deploy "$batch" F16
done
