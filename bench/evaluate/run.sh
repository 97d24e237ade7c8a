#!/usr/bin/env bash
# Evaluation ranking benchmark (not a test): broadcast vs blockwise filtered ranking of a dataset's test
# triples with seeded random embeddings (DistributedRanking, no training), in one JVM, local[2].
# Usage: bench/evaluate/run.sh [DATASET] [MODEL] [DIM] [GROUPS] [BLOCKS...]
#   e.g. bench/evaluate/run.sh fb15k-237 complex 200 4 4 16
# Env: BENCH_WORK (default /tmp/sparkkge-evaluate-bench), BENCH_HEAP (default 4g).
# Needs spark-jobs compiled into spark-jobs/target-helperA (mvn -o -q -pl spark-jobs -am -Dkge.target=target-helperA compile)
# or BENCH_CLASSES pointing at compiled spark-jobs classes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATASET=${1:-fb15k-237}; MODEL=${2:-complex}; DIM=${3:-200}; QUERY_GROUPS=${4:-4}
shift $(( $# < 4 ? $# : 4 ))
BLOCKS=("$@"); [[ ${#BLOCKS[@]} -gt 0 ]] || BLOCKS=(4 16)
WORK=${BENCH_WORK:-/tmp/sparkkge-evaluate-bench}
CLASSES=${BENCH_CLASSES:-$ROOT/spark-jobs/target-helperA/classes}
DATA="$ROOT/../shared/datasets/$DATASET"
[[ -d "$DATA" ]] || DATA="$ROOT/data/$DATASET"
mkdir -p "$WORK/classes"
cd "$ROOT"
# -am: embedding-core and partitioner come from the reactor (their target-helperA classes), not from ~/.m2
[[ -s "$WORK/cp.txt" ]] || mvn -o -q -pl spark-jobs -am -Dkge.target=target-helperA compile dependency:build-classpath \
  -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
# a private copy of the classes, so rebuilding the module during a run cannot change them
rm -rf "$WORK/spark-jobs-classes" && cp -r "$CLASSES" "$WORK/spark-jobs-classes"
CP="$WORK/spark-jobs-classes:$(cat "$WORK/cp.txt")"
javac -nowarn -d "$WORK/classes" -cp "$CP" bench/evaluate/src/org/sparkkge/bench/evaluate/*.java
CP="$WORK/classes:$CP"
OPENS=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' pom.xml)
export SPARK_LOCAL_IP=127.0.0.1
JAVA=(java -Xmx"${BENCH_HEAP:-4g}" $OPENS -Dai.djl.offline=true -Dlog4j2.configurationFile="$ROOT/spark-jobs/src/test/resources/log4j2-test.properties" -cp "$CP")
if [[ ! -f "$WORK/$DATASET/_SUCCESS" ]]; then
  "${JAVA[@]}" org.sparkkge.jobs.cli.Main ingest --master 'local[2]' --output "$WORK/$DATASET" --overwrite \
    --train "$DATA/train.txt.gz" --valid "$DATA/valid.txt.gz" --test "$DATA/test.txt.gz" >/dev/null
fi
echo "== $(date -u +%H:%M:%S) UTC, uptime:$(uptime)"
/usr/bin/time -f "wall %e s, max RSS %M KiB" "${JAVA[@]}" org.sparkkge.bench.evaluate.RankingBench \
  "$WORK/$DATASET" "$MODEL" "$DIM" "$QUERY_GROUPS" "${BLOCKS[@]}"
echo "   uptime after: $(uptime)"
