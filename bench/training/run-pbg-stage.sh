#!/usr/bin/env bash
# The Spark train stage against the in-task trainer at PyTorch-BigGraph's set-up (not a test), in one
# run: first the trainer alone (bench/embedding-core/run.sh: two trainings at once, one libtorch thread
# each, as two Spark tasks of one executor), then `bin/spark-kge train` on FB15k-237 partitioned at
# P = 2 with the same model and sampling: reciprocal ComplEx d=200, batch 1,000, chunks of 1,000
# positives sharing 1,000 uniform negatives + 50 batch negatives, softmax margin 5, accidental hits
# removed, Adagrad lr 0.1, one libtorch thread per task, 5 epochs, no validation. PyTorch-BigGraph
# passes once per epoch over its buckets and draws negatives from the bucket's partitions only: the
# stage run does the same (train.bucket-slices = 1, train.negative-pool = 0) unless SETTINGS say
# otherwise. Prints the stage's triples/s, its share of the trainer's, the multiple of PBG's 2,800
# triples/s, and like-for-like shares: cold (whole stage against the trainers with their start-up)
# and warm (the stage's later rounds against the trainers' timed steps).
# Usage: bench/training/run-pbg-stage.sh [--set key=value ...]   (extra settings for the stage run)
# Env: BENCH_WORK (default /tmp/kge-bench-pbg-stage), SPARK_KGE_TARGET (a build folder of its own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${BENCH_WORK:-/tmp/kge-bench-pbg-stage}"
DATA="$ROOT/../shared/datasets/fb15k-237"
mkdir -p "$WORK"
cd "$ROOT"
echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD), stage settings: $*"
bench/embedding-core/run.sh models=complex_reciprocal steps=30 threads=1 trainers=2 chunkSize=1000 \
  softmaxMargin=5 large=15000 > "$WORK/in-task.txt"
IN_TASK=$(sed -n 's/.*trainings at once.* sum \([0-9,]*\) triples\/s.*/\1/p' "$WORK/in-task.txt" | tr -d ,)
# the same section with the trainers' start-up (model set-up, first steps): the cold figure
IN_TASK_COLD=$(sed -n 's/.*trainings at once.*incl\. start-up: \([0-9,]*\)\/s.*/\1/p' "$WORK/in-task.txt" | tr -d ,)
OUT="$WORK/out"
if [[ ! -f "$OUT/_stages/partition.json" ]]; then
  bin/spark-kge ingest --output "$OUT" --overwrite --train "$DATA/train.txt.gz" --valid "$DATA/valid.txt.gz" \
    --test "$DATA/test.txt.gz" > "$WORK/ingest.log" 2>&1
  bin/spark-kge partition --output "$OUT" --overwrite --set partition.shards=2 > "$WORK/partition.log" 2>&1
fi
bin/spark-kge train --output "$OUT" --overwrite --set train.model=complex_reciprocal --set train.dim=200 \
  --set train.batch-size=1000 --set train.negatives=1000 --set train.batch-negatives=50 \
  --set train.chunk-size=1000 --set train.softmax-margin=5 --set train.remove-accidental-hits=true \
  --set train.lr=0.1 --set train.threads=1 --set train.epochs=5 --set train.round-fraction=1.0 \
  --set train.validation.every-rounds=0 --set train.bucket-slices=1 --set train.negative-pool=0 \
  "$@" > "$WORK/train.log" 2>&1 || { tail -20 "$WORK/train.log"; exit 1; }
python3 bench/training/stage-share.py "$OUT" "$IN_TASK" "trainer" pbg --cold "$IN_TASK_COLD"
