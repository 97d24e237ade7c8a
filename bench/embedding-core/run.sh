#!/usr/bin/env bash
# Training throughput benchmark of embedding-core (FB15k-237, PyTorch-BigGraph set-up), see
# docs/benchmarks.md. Usage: bench/embedding-core/run.sh [key=value ...]
#   e.g. bench/embedding-core/run.sh steps=40 threads=1 models=complex
#        bench/embedding-core/run.sh models=complex steps=10 epochs=7     # + epoch-limited quality run
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
classpath="$(bench/embedding-core/classpath.sh)"
echo "uptime: $(uptime)"
# the environment bin/spark-kge gives libtorch (SPARK_KGE_NATIVE_MEMORY=default: glibc's and libtorch's own)
# shellcheck source=deploy/lib/native-memory.sh
source "$root/deploy/lib/native-memory.sh"
exec java -Xmx8g -Dai.djl.offline=true -cp "$classpath" \
  org.sparkkge.core.bench.TrainingBenchmark data="$root/../shared/datasets/fb15k-237" "$@"
