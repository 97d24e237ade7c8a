#!/usr/bin/env bash
# Single-process quality benchmark of embedding-core: trains the train block of a spark-kge
# configuration within a wall-clock budget, early-stops on validation MRR and prints the filtered
# test metrics (docs/benchmarks.md). Usage: bench/embedding-core/quality.sh conf=FILE [key=value ...]
#   e.g. bench/embedding-core/quality.sh conf=conf/examples/fb15k-237-complex.conf minutes=60
#        bench/embedding-core/quality.sh conf=conf/examples/wn18rr.conf train.reg-weight=0.1 minutes=20
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
classpath="$(bench/embedding-core/classpath.sh)"
# the environment bin/spark-kge gives libtorch (SPARK_KGE_NATIVE_MEMORY=default: glibc's and libtorch's own)
# shellcheck source=deploy/lib/native-memory.sh
source "$root/deploy/lib/native-memory.sh"
exec java -Xmx8g -Dai.djl.offline=true -cp "$classpath" \
  org.sparkkge.core.bench.QualityBenchmark "$@"
