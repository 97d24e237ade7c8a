#!/usr/bin/env bash
# Partitioner benchmark (not a test): generates synthetic KGs and times k-core, tokenize and partition.
# Usage: bench/partitioner/run.sh SIZE [SIZE...]     e.g. bench/partitioner/run.sh 100000 1000000
# Env: BENCH_WORK (default /tmp/sparkkge-partitioner-bench), BENCH_HEAP (default 6g),
#      BENCH_ANCHORS/BENCH_K/BENCH_M/BENCH_SHARDS (defaults 1000/20/12/8), BENCH_PARTITIONS (default 8),
#      BENCH_STAGES (comma list of kcore,tokenize,partition; default all three).
# Each size runs in its own JVM (local[2]) so peak RSS is per size; results accumulate in
# $BENCH_WORK/results.tsv and a table of time ratios per 10x is printed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_WORK:-/tmp/sparkkge-partitioner-bench}
HEAP=${BENCH_HEAP:-6g}
mkdir -p "$WORK/classes"
cd "$ROOT"
mvn -o -q -pl partitioner compile
mvn -o -q -pl partitioner dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
# A private copy of the classes, so rebuilding the module during a long run cannot change them.
rm -rf "$WORK/partitioner-classes" && cp -r "$ROOT/partitioner/target/classes" "$WORK/partitioner-classes"
CP="$WORK/partitioner-classes:$(cat "$WORK/cp.txt")"
javac -nowarn -d "$WORK/classes" -cp "$CP" bench/partitioner/src/org/sparkkge/bench/partitioner/*.java
CP="$WORK/classes:$CP"
OPENS=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' pom.xml)
export SPARK_LOCAL_IP=127.0.0.1
LOG4J="-Dlog4j2.configurationFile=$ROOT/partitioner/src/test/resources/log4j2-test.properties"
RESULTS="$WORK/results.tsv"
for SIZE in "$@"; do
  DATA="$WORK/kg-$SIZE"
  if [ ! -f "$DATA/meta.txt" ]; then
    java -Xmx"$HEAP" $OPENS $LOG4J -cp "$CP" org.sparkkge.bench.partitioner.SyntheticKg "$SIZE" "$DATA" 1
  fi
  echo "== $SIZE triples, $(date -u +%H:%M:%S) UTC, uptime:$(uptime)"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" java -Xmx"$HEAP" $OPENS $LOG4J \
    -Dbench.partitions="${BENCH_PARTITIONS:-8}" -Dbench.stages="${BENCH_STAGES:-kcore,tokenize,partition}" -cp "$CP" org.sparkkge.bench.partitioner.PartitionerBench \
    "$DATA" "$WORK/out-$SIZE" "$RESULTS" "${BENCH_ANCHORS:-1000}" "${BENCH_K:-20}" "${BENCH_M:-12}" \
    "${BENCH_SHARDS:-8}"
  echo "   uptime after: $(uptime)"
done
echo "== seconds per stage and ratio to the previous size (results of all runs in $RESULTS)"
sort -t$'\t' -k2,2 -k1,1n "$RESULTS" | awk -F'\t' '
  { key=$2; if (key==prevkey && prevsize>0) { r=$3/prevsec; g=$1/prevsize;
      printf "%-22s %10d triples %9.2f s   x%.2f for x%.0f size\n", key, $1, $3, r, g }
    else printf "%-22s %10d triples %9.2f s\n", key, $1, $3;
    prevkey=key; prevsize=$1; prevsec=$3 }'
