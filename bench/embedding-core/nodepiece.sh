#!/usr/bin/env bash
# NodePiece against shallow training, time per triple on FB15k-237 (same model, negatives, batch,
# threads; random tokens of the example's vocabulary shape), see docs/benchmarks.md.
# Usage: bench/embedding-core/nodepiece.sh [key=value ...], e.g. steps=40 threads=2
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# own output folder, so the benchmark never collides with a test build of the same tree
mvn -o -q -pl embedding-core -Dkge.target=target-bench test-compile
cp_file="$(mktemp)"
mvn -o -q -pl embedding-core -Dkge.target=target-bench dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
out="embedding-core/target-bench"
echo "uptime: $(uptime)"
exec java -Xmx8g -Dai.djl.offline=true -cp "$out/test-classes:$out/classes:$(cat "$cp_file")" \
  org.sparkkge.core.bench.NodePieceBenchmark data="$root/../shared/datasets/fb15k-237" "$@"
