#!/usr/bin/env bash
# The photo pipeline side by side with what a user would otherwise write: `simclrv2 bench --photos N`
# (the library on ONNX Runtime: the old path, decode threads, reduced libturbojpeg decode) and a Python
# pipeline with OpenCV on the same N photos (photo_pipeline_opencv.py: cv2.imread reduced 1/4, a
# two-thread pool, the same ONNX model through cv2.dnn, batch 4, softmax), one after the other.
#   bash benchmarks/reference/compare_photos.sh [N]        (default 600)
# Needs Debian's python3-opencv and python3-numpy for the Python side, and a Release build of the tool.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-600}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import cv2, numpy' 2>/dev/null; then
  echo "OpenCV is missing for $py: apt-get install python3-opencv" >&2
  exit 2
fi
model="$root/samples/models/simclrv2-r18w025-cifar10.onnx"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet run -c Release --project "$root/samples/SimClrV2.Cli" -- bench --photos "$count" --photo-folder "$out/photos" \
  --output-dir "$out/bench" | tee "$out/dotnet.txt"
"$py" "$root/benchmarks/reference/photo_pipeline_opencv.py" --input "$out/photos" --model "$model" | tee "$out/opencv.txt"
ours=$(grep -F '[all threads, reduced decode (default)]' "$out/dotnet.txt" | tail -1 | awk -F'|' '{gsub(/ /, "", $9); print $9}')
theirs=$(sed -n 's/.*images_per_s=\([0-9.]*\).*/\1/p' "$out/opencv.txt")
echo "photos: SimClrV2.Sophon default ${ours} images/s, Python + OpenCV ${theirs} images/s, ratio $(echo "scale=2; $ours / $theirs" | bc)"
