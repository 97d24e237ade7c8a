#!/usr/bin/env bash
# NodePiece against shallow training, time per triple on FB15k-237 (same model, negatives, batch,
# threads; random tokens of the example's vocabulary shape), see docs/benchmarks.md.
# Usage: bench/embedding-core/nodepiece.sh [key=value ...], e.g. steps=40 threads=2
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
classpath="$(bench/embedding-core/classpath.sh)"
echo "uptime: $(uptime)"
# the environment bin/spark-kge gives libtorch (SPARK_KGE_NATIVE_MEMORY=default: glibc's and libtorch's own)
# shellcheck source=deploy/lib/native-memory.sh
source "$root/deploy/lib/native-memory.sh"
exec java -Xmx8g -Dai.djl.offline=true -cp "$classpath" \
  org.sparkkge.core.bench.NodePieceBenchmark data="$root/../shared/datasets/fb15k-237" "$@"
