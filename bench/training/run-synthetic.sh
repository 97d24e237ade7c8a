#!/usr/bin/env bash
# Scale benchmark (not a test): a structured synthetic graph (bench/partitioner SyntheticKg with
# communities: the tail of (h, r, ?) lies in one community of C) through the whole pipeline,
# `bin/spark-kge run` on local[2], for each shard count given. Prints per run: each stage's seconds,
# peak RSS of the JVM, filtered test MRR, the largest task's entity rows, and the filtered MRR of a
# popularity ranking of the same test triples (what a model that learned nothing structural scores).
# Usage: bench/training/run-synthetic.sh TRIPLES EPOCHS SHARDS...   e.g. run-synthetic.sh 1000000 1 1 8
#   With no SHARDS it only generates the graph (train/, valid/, test/ as Parquet) and prints its folder.
# Env: BENCH_WORK (default /tmp/kge-bench-synthetic), BENCH_HEAP (driver heap, default 8g),
#      BENCH_ENTITIES_PER_TRIPLE (default 0.1), BENCH_RELATIONS (default 500), BENCH_COMMUNITIES
#      (default 100), BENCH_STRUCTURE (typed, the default: each relation has a domain and a range community;
#      shift: the tail's community is the head's shifted by the relation), BENCH_HELD_OUT (valid and test
#      triples each, default 10000), BENCH_SETTINGS
#      (extra --set options; the defaults below are the model's), BENCH_STAGES (e.g. "ingest partition
#      train export evaluate": run these stages one command each instead of `run`, which also runs
#      reduce and tokenize; each stage's peak RSS is printed, and the run's is the largest of them),
#      SPARK_KGE_TARGET (a build folder of its own, so that rebuilding the working tree cannot change the
#      jar of a long run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRIPLES="$1"; EPOCHS="$2"; shift 2
WORK="${BENCH_WORK:-/tmp/kge-bench-synthetic}"
HEAP="${BENCH_HEAP:-8g}"
mkdir -p "$WORK/classes"
cd "$ROOT"
# the application jar (built by the launcher when missing or stale), then the bench classes on the partitioner's classpath
bin/spark-kge --version >/dev/null
mvn -o -q -pl partitioner compile
mvn -o -q -pl partitioner dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="$ROOT/partitioner/target/classes:$(cat "$WORK/cp.txt")"
javac -nowarn -d "$WORK/classes" -cp "$CP" bench/partitioner/src/org/sparkkge/bench/partitioner/SyntheticKg.java \
  bench/training/src/org/sparkkge/bench/training/PopularityBaseline.java
CP="$WORK/classes:$CP"
OPENS=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' pom.xml)
export SPARK_LOCAL_IP=127.0.0.1
LOG4J="-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties"
STRUCTURE="${BENCH_STRUCTURE:-typed}"
DATA="$WORK/kg-$TRIPLES-$STRUCTURE"
if [[ ! -f "$DATA/meta.txt" ]]; then
  # OPENS is an option list: split on purpose
  # shellcheck disable=SC2086
  java -Xmx"$HEAP" $OPENS $LOG4J -cp "$CP" org.sparkkge.bench.partitioner.SyntheticKg "$TRIPLES" "$DATA" 1 \
    "${BENCH_ENTITIES_PER_TRIPLE:-0.1}" "${BENCH_RELATIONS:-500}" "${BENCH_COMMUNITIES:-100}" "${BENCH_HELD_OUT:-10000}" "$STRUCTURE"
fi
if [[ $# -eq 0 ]]; then
  echo "$DATA"
  exit 0
fi
# BENCH_SETTINGS: extra --set options; later settings win
# shellcheck disable=SC2206
MODEL=(--set train.model=complex --set train.dim=100 --set train.epochs="$EPOCHS" --set train.round-fraction=1.0
  --set train.validation.max-triples=5000 ${BENCH_SETTINGS:-})
BASELINE=""
for P in "$@"; do
  OUT="$WORK/out-$TRIPLES-$STRUCTURE-e$EPOCHS-p$P"
  echo "== $TRIPLES triples, P=$P, $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"
  INPUTS=(--train "$DATA/train" --valid "$DATA/valid" --test "$DATA/test" --set ingest.format=parquet)
  SETTINGS=(--set partition.shards="$P" "${MODEL[@]}")
  if [[ -z "${BENCH_STAGES:-}" ]]; then
    rm -f "$OUT.rss-by-stage"
    /usr/bin/time -f "%M" -o "$OUT.rss" env SPARK_KGE_JAVA_OPTS="-Xmx$HEAP" bin/spark-kge run --output "$OUT" \
      --overwrite "${INPUTS[@]}" "${SETTINGS[@]}" > "$OUT.log" 2>&1 || { tail -20 "$OUT.log"; exit 1; }
  else
    rm -rf "$OUT"; : > "$OUT.log"; : > "$OUT.rss-by-stage"
    for STAGE in $BENCH_STAGES; do
      ARGS=(); [[ "$STAGE" == ingest ]] && ARGS=("${INPUTS[@]}")
      /usr/bin/time -f "%M" -o "$OUT.stage-rss" env SPARK_KGE_JAVA_OPTS="-Xmx$HEAP" bin/spark-kge "$STAGE" \
        --output "$OUT" "${ARGS[@]}" "${SETTINGS[@]}" >> "$OUT.log" 2>&1 || { tail -20 "$OUT.log"; exit 1; }
      echo "$STAGE $(cat "$OUT.stage-rss")" >> "$OUT.rss-by-stage"
    done
    # the run's peak: the largest of the stages'
    sort -k2,2n "$OUT.rss-by-stage" | tail -1 | cut -d' ' -f2 > "$OUT.rss"
  fi
  if [[ -z "$BASELINE" ]]; then
    # shellcheck disable=SC2086
    BASELINE=$(java -Xmx4g $OPENS $LOG4J -cp "$CP" org.sparkkge.bench.training.PopularityBaseline "$OUT" test 2>/dev/null | tail -1)
  fi
  python3 - "$OUT" "$(cat "$OUT.rss")" "$BASELINE" <<'PY'
import json, os, sys
out, rss_kib, baseline = sys.argv[1], int(sys.argv[2]), sys.argv[3]
by_stage = []
if os.path.exists(out + ".rss-by-stage"):
    by_stage = [line.split() for line in open(out + ".rss-by-stage") if line.strip()]
manifest = json.load(open(out + "/manifest.json"))
metrics = json.load(open(out + "/metrics.json"))
stats = json.load(open(out + "/stats.json"))
stages = " ".join(f"{k}={v['seconds']:.0f}s" for k, v in manifest["stages"].items())
e, t = metrics["evaluation"], stats["train"]
print(f"  stages: {stages}")
if by_stage:
    print("  peak RSS per stage: " + " ".join(f"{name}={int(kib) / 1048576:.2f} GiB" for name, kib in by_stage))
print(f"  peak RSS {rss_kib / 1048576:.2f} GiB; entities {t['entities']:,}; largest task rows "
      f"{t.get('largest_task_table_rows', 0):,} (with the negative pool); loss per round {t['round_mean_loss']}")
print(f"  valid MRR per round {t.get('round_valid_mrr')}")
print(f"  test filtered MRR {e['filtered_mrr']:.4f}, Hits@10 {e['filtered_hits@10']:.4f}; {baseline}")
print(f"  train {t['train_seconds_this_run']:.0f} s, {t['triples_per_second_this_run']:.0f} triples/s, "
      f"Spark overhead per round {t['spark_overhead_seconds_per_round']:.1f} s")
PY
done
