#!/usr/bin/env bash
# GPU benchmark, runnable on any node with a GPU, Java 17, Maven and the benchmark graphs: one table
# of trainer throughput on FB15k-237 per device (ComplEx d200 at PyTorch-BigGraph's set-up and at
# the large batches a GPU needs, each row against the CPU at PyTorch-BigGraph's set-up in the same
# run), then a timed quality run of conf/examples/fb15k-237.conf's training on the first GPU
# (in-process trainer, early stopping on validation, filtered test metrics). See docs/gpu.md.
#
#   bench/gpu/run.sh [data=FB15k-237 folder] [minutes=10] [devices=cpu,gpu0]
#
# The node's libtorch: PYTORCH_LIBRARY_PATH (and PYTORCH_VERSION) as printed by
# deploy/gpu/build-djl-jni.sh; without it DJL uses the CPU libtorch of the build and there is no GPU row.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

data="../shared/datasets/fb15k-237"
minutes=10
devices=""
for arg in "$@"; do
  case "$arg" in
    data=*) data="${arg#data=}" ;;
    minutes=*) minutes="${arg#minutes=}" ;;
    devices=*) devices="${arg#devices=}" ;;
    *) echo "bench/gpu/run.sh: unknown argument $arg (data=, minutes=, devices=)" >&2; exit 2 ;;
  esac
done
[ -f "$data/train.txt.gz" ] || [ -f "$data/train.txt" ] || { echo "bench/gpu/run.sh: no FB15k-237 at $data (data=FOLDER)" >&2; exit 2; }

classpath="$(bench/embedding-core/classpath.sh)"
echo "uptime: $(uptime)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader

table="$(mktemp)"
trap 'rm -f "$table"' EXIT
java -Xmx16g -Dai.djl.offline=true -cp "$classpath" org.sparkkge.core.bench.DeviceBenchmark \
  data="$data" ${devices:+devices="$devices"} | tee "$table"

if grep -q '^gpu(0) ' "$table"; then
  java -Xmx16g -Dai.djl.offline=true -cp "$classpath" org.sparkkge.core.bench.QualityBenchmark \
    conf=conf/examples/fb15k-237.conf data="$data" minutes="$minutes" device=gpu0
else
  echo "no gpu(0) row (libtorch sees no GPU): the quality run is skipped (bench/embedding-core/quality.sh runs it on the CPU)"
fi
