#!/usr/bin/env bash
# Runs the reference's numpy host code and our BenchmarkDotNet preprocess/postprocess suites on the
# same machine, one after the other, and prints ms per image side by side with the ratio.
#   bash benchmarks/reference/compare.sh [PATH/test_batch] [--quick]
# Needs Debian's python3-numpy for the reference side.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
input=${1:-$root/../shared/data/cifar10/test_batch}
job=${2:-}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import numpy' 2>/dev/null; then
  echo "numpy is missing for $py: apt-get install python3-numpy" >&2
  exit 2
fi
if [ ! -f "$input" ]; then
  echo "CIFAR-10 pickle '$input' not found: pass the path of cifar-10-batches-py/test_batch" >&2
  exit 2
fi
out=$(mktemp -d)
# OPENBLAS_* settings slow numpy on some CPUs; the reference side runs without them.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" "$root/benchmarks/reference/reference_pipeline.py" --input "$input" | tee "$out/reference.txt"
(cd "$root/benchmarks/SimClrV2.Sophon.Benchmarks" && dotnet run -c Release -- $job --artifacts "$out/bdn" \
   --filter '*PreprocessBenchmarks*' '*PostprocessBenchmarks*' '*DecodeBenchmarks.CifarPickle*' --exporters json >"$out/bdn.log" 2>&1) || { tail -40 "$out/bdn.log"; exit 1; }
cat "$out"/bdn/results/*.md
python3 - "$out" <<'PY'
import glob, json, re, sys
out = sys.argv[1]
ref = {}
for line in open(f"{out}/reference.txt"):
    m = re.match(r"reference (\w+) batch=(\w+) ms_per_image=([\d.]+)", line)
    if m:
        ref[(m.group(1), m.group(2))] = float(m.group(3))
ours = {}
for path in glob.glob(f"{out}/bdn/results/*-report-full-compressed.json"):
    for b in json.load(open(path))["Benchmarks"]:
        ns = b["Statistics"]["Mean"]
        params = b.get("Parameters", "")
        alloc = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
        if b["Method"] == "Simd" and "Output=Float32" in params and "Source=Planar" in params:
            batch = re.search(r"Batch=(\d+)", params).group(1)
            ours[("preprocess", batch)] = (ns / 1e6, alloc)
        if b["Method"] == "CifarPickle":
            ours[("decode", "all")] = (ns / 1e6, alloc)
        if b["Method"] == "Postprocessor":
            for batch in ("1", "4"):
                ours[("postprocess", batch)] = (ns / 1e6, alloc)
print(f"{'stage':<12} {'batch':>5} {'reference ms/img':>17} {'ours ms/img':>12} {'speed-up':>9} {'ours B/img':>10}")
for stage, batches in (("decode", ("all",)), ("preprocess", ("1", "4")), ("postprocess", ("1", "4"))):
    for batch in batches:
        r = ref.get((stage, batch)); o = ours.get((stage, batch))
        if r and o:
            print(f"{stage:<12} {batch:>5} {r:>17.4f} {o[0]:>12.5f} {r / o[0]:>8.0f}x {o[1] if o[1] is not None else '?':>10}")
PY
