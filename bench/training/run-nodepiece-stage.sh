#!/usr/bin/env bash
# The Spark train stage in NodePiece mode against the in-task NodePiece trainer (not a test), in one
# run: first bench/embedding-core/nodepiece.sh with two trainings at once (one libtorch thread each, as
# two Spark tasks of one executor; random tokens of the example's vocabulary shape), then
# `bin/spark-kge train` with conf/examples/fb15k-237-nodepiece.conf (the same trainer settings, real
# tokens) on FB15k-237 at P = 2, the example's 6 epochs, no validation. Prints the stage's triples/s
# and its share of the trainers' sum, and each round's seconds (the first includes the JVM's warm-up,
# which the in-task figure leaves out).
# Usage: bench/training/run-nodepiece-stage.sh [--set key=value ...]   (extra settings for the stage)
# Env: BENCH_WORK (default /tmp/kge-bench-nodepiece-stage), SPARK_KGE_TARGET (a build folder of its own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${BENCH_WORK:-/tmp/kge-bench-nodepiece-stage}"
CONFIG=conf/examples/fb15k-237-nodepiece.conf
mkdir -p "$WORK"
cd "$ROOT"
echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD), stage settings: $*"
bench/embedding-core/nodepiece.sh steps=20 rounds=1 trainers=2 > "$WORK/in-task.txt"
grep -E '^round|trainings at once' "$WORK/in-task.txt"
IN_TASK=$(sed -n 's/.*trainings at once.* sum \([0-9,]*\) triples\/s.*/\1/p' "$WORK/in-task.txt" | tr -d ,)
OUT="$WORK/out"
if [[ ! -f "$OUT/_stages/partition.json" ]]; then
  for STAGE in ingest tokenize partition; do
    bin/spark-kge "$STAGE" --config "$CONFIG" --output "$OUT" --overwrite > "$WORK/$STAGE.log" 2>&1
  done
fi
bin/spark-kge train --config "$CONFIG" --output "$OUT" --overwrite \
  --set train.validation.every-rounds=0 "$@" > "$WORK/train.log" 2>&1 || { tail -20 "$WORK/train.log"; exit 1; }
python3 bench/training/stage-share.py "$OUT" "$IN_TASK" "NodePiece trainers"
