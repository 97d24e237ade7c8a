#!/usr/bin/env bash
# Partitioner benchmark (not a test): generates synthetic KGs and times k-core, PageRank, tokenize and
# partition, optionally against an earlier revision's implementation in the same run.
# Usage: bench/partitioner/run.sh SIZE [SIZE...]     e.g. bench/partitioner/run.sh 100000 1000000
# Env: BENCH_WORK (default /tmp/sparkkge-partitioner-bench), BENCH_HEAP (default 6g),
#      BENCH_ANCHORS/BENCH_K/BENCH_M/BENCH_SHARDS (defaults 1000/20/12/8), BENCH_PARTITIONS (default 8),
#      BENCH_STAGES (comma list of kcore,pagerank,tokenize,partition; default kcore,tokenize,partition),
#      BENCH_BASELINE (a git revision: its partitioner classes run the same stages, each size in its own
#      JVM right after the current one, and the table ends with current / baseline time ratios),
#      BENCH_SPARK_OPTS (extra -D options for both JVMs, e.g. -Dspark.kge.graphx.partition-strategy=RandomVertexCut).
# Each size and implementation runs in its own JVM (local[2]) so peak RSS is per run; results
# accumulate in $BENCH_WORK/results.tsv (size, implementation, stage, seconds, heap peak MiB).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_WORK:-/tmp/sparkkge-partitioner-bench}
HEAP=${BENCH_HEAP:-6g}
mkdir -p "$WORK"
cd "$ROOT"
mvn -o -q -pl partitioner compile
mvn -o -q -pl partitioner dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
# Private copies of the classes, so rebuilding the module during a long run cannot change them.
rm -rf "$WORK/current-classes" && cp -r "$ROOT/partitioner/target/classes" "$WORK/current-classes"
IMPLS="current"
if [ -n "${BENCH_BASELINE:-}" ]; then
  SRC="$WORK/baseline-src"
  git worktree remove --force "$SRC" 2>/dev/null || rm -rf "$SRC"
  git worktree add --detach "$SRC" "$BENCH_BASELINE" >/dev/null
  (cd "$SRC" && mvn -o -q -pl partitioner compile)
  rm -rf "$WORK/baseline-classes" && cp -r "$SRC/partitioner/target/classes" "$WORK/baseline-classes"
  git worktree remove --force "$SRC"
  IMPLS="current baseline"
fi
OPENS=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' pom.xml)
export SPARK_LOCAL_IP=127.0.0.1
LOG4J="-Dlog4j2.configurationFile=$ROOT/partitioner/src/test/resources/log4j2-test.properties"
RESULTS="$WORK/results.tsv"
for IMPL in $IMPLS; do
  rm -rf "$WORK/classes-$IMPL" && mkdir -p "$WORK/classes-$IMPL"
  javac -nowarn -d "$WORK/classes-$IMPL" -cp "$WORK/$IMPL-classes:$(cat "$WORK/cp.txt")" \
    bench/partitioner/src/org/sparkkge/bench/partitioner/*.java
done
for SIZE in "$@"; do
  DATA="$WORK/kg-$SIZE"
  if [ ! -f "$DATA/meta.txt" ]; then
    java -Xmx"$HEAP" $OPENS $LOG4J -cp "$WORK/classes-current:$WORK/current-classes:$(cat "$WORK/cp.txt")" \
      org.sparkkge.bench.partitioner.SyntheticKg "$SIZE" "$DATA" 1
  fi
  for IMPL in $IMPLS; do
    echo "== $SIZE triples, $IMPL ($( [ "$IMPL" = baseline ] && echo "$BENCH_BASELINE" || git rev-parse --short HEAD)), $(date -u +%H:%M:%S) UTC, uptime:$(uptime)"
    rm -rf "$WORK/out-$SIZE-$IMPL"
    /usr/bin/time -f "wall %e s, max RSS %M KiB" java -Xmx"$HEAP" $OPENS $LOG4J ${BENCH_SPARK_OPTS:-} \
      -Dbench.label="$IMPL" -Dbench.partitions="${BENCH_PARTITIONS:-8}" \
      -Dbench.stages="${BENCH_STAGES:-kcore,tokenize,partition}" \
      -cp "$WORK/classes-$IMPL:$WORK/$IMPL-classes:$(cat "$WORK/cp.txt")" org.sparkkge.bench.partitioner.PartitionerBench \
      "$DATA" "$WORK/out-$SIZE-$IMPL" "$RESULTS" "${BENCH_ANCHORS:-1000}" "${BENCH_K:-20}" "${BENCH_M:-12}" \
      "${BENCH_SHARDS:-8}"
  done
done
echo "== seconds per stage (latest run of each size, implementation and stage; all runs in $RESULTS)"
awk -F'\t' 'NF == 5 { key = $1 "\t" $3; t[key "\t" $2] = $4; keys[key] = 1 }
  END { printf "%-12s %-22s %12s %12s %8s\n", "triples", "stage", "current s", "baseline s", "ratio";
        for (key in keys) { split(key, k, "\t"); c = t[key "\tcurrent"]; b = t[key "\tbaseline"];
          printf "%-12s %-22s %12s %12s %8s\n", k[1], k[2], c, b, (c != "" && b != "" && b > 0) ? sprintf("%.2f", c / b) : "" } }' \
  "$RESULTS" | sort -k1,1n -k2,2
