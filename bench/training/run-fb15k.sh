#!/usr/bin/env bash
# Training benchmarks (not tests): FB15k-237, same model/epochs/seed, P=1 vs P=4 random shards, and
# the per-round Spark overhead. Prints one line per run with MRR, training seconds, triples/s and
# overhead, plus `uptime` (other helpers share the 2 cores: the load average matters).
# Usage: bench/training/run-fb15k.sh [EPOCHS] [SHARDS...]     e.g. bench/training/run-fb15k.sh 1 1 4
# Env: BENCH_DATA, BENCH_WORK, BENCH_SETTINGS (extra --set options), BENCH_STRATEGY (partition
# strategy: random (default), bucket2d or locality; locality tokenizes the base once, with the
# NodePiece settings of conf/examples/fb15k-237.conf), BENCH_REDUCE_K (k > 0: run the reduce stage
# with that k before partitioning, so training uses the k-core and export places the periphery; the
# test metrics are then also printed for the core and periphery regions of metrics.json by_region).
# Needs: spark-jobs compiled into spark-jobs/target-train (mvn -o -pl spark-jobs -Dkge.target=target-train compile).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EPOCHS="${1:-1}"; shift || true
SHARDS=("$@")
[[ ${#SHARDS[@]} -gt 0 ]] || SHARDS=(1 4)
# BENCH_DATA: folder with train/valid/test.txt.gz (default FB15k-237 beside the repository)
DATA="${BENCH_DATA:-$ROOT/../shared/datasets/fb15k-237}"
WORK="${BENCH_WORK:-/tmp/kge-bench-training/$(basename "$DATA")}"
CP_FILE="$WORK/../classpath.txt"
mkdir -p "$WORK"
if [[ ! -s "$CP_FILE" ]]; then
  (cd "$ROOT" && mvn -o -q -B -pl spark-jobs -Dkge.target=target-train dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >&2)
fi
CP="$ROOT/spark-jobs/target-train/classes:$(cat "$CP_FILE")"
# Spark's --add-opens list, from the root pom's spark.jvm.opens property
OPENS="$(python3 -c 'import re,sys; print(" ".join(re.search(r"<spark.jvm.opens>(.*?)</spark.jvm.opens>", open(sys.argv[1]).read(), re.S).group(1).split()))' "$ROOT/pom.xml")"
# OPENS and BENCH_SETTINGS are option lists: split on purpose
# shellcheck disable=SC2086
kge() { SPARK_LOCAL_IP=127.0.0.1 java $OPENS -Xmx6g -Dai.djl.offline=true -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$CP" org.sparkkge.jobs.cli.Main "$@" --master 'local[2]'; }
# BENCH_SETTINGS: extra --set options (e.g. smaller batches for UMLS); later settings win
# shellcheck disable=SC2206
MODEL=(--set train.model=complex --set train.dim=100 --set train.batch-size=1000 --set train.chunk-size=50
  --set train.negatives=200 --set train.batch-negatives=50 --set train.lr=0.1 --set train.seed=1
  --set train.epochs="$EPOCHS" --set train.round-fraction=0.5 --set train.threads=1 ${BENCH_SETTINGS:-})
if [[ ! -f "$WORK/base/_SUCCESS" ]]; then
  kge ingest --output "$WORK/base" --overwrite --train "$DATA/train.txt.gz" --valid "$DATA/valid.txt.gz" --test "$DATA/test.txt.gz" >/dev/null
fi
STRATEGY="${BENCH_STRATEGY:-random}"
if [[ "$STRATEGY" == locality && ! -f "$WORK/base/_stages/tokenize.json" ]]; then
  kge tokenize --output "$WORK/base" --config "$ROOT/conf/examples/fb15k-237.conf" >/dev/null
fi
for P in "${SHARDS[@]}"; do
  OUT="$WORK/p$P-$STRATEGY${BENCH_REDUCE_K:+-k$BENCH_REDUCE_K}"; rm -rf "$OUT"; cp -r "$WORK/base" "$OUT"
  if [[ -n "${BENCH_REDUCE_K:-}" ]]; then
    reduce_start=$(date +%s)
    kge reduce --output "$OUT" --set reduce.k="$BENCH_REDUCE_K" >/dev/null
    echo "reduce.k=$BENCH_REDUCE_K: reduce stage $(( $(date +%s) - reduce_start )) s"
  fi
  kge partition --output "$OUT" --set partition.shards="$P" --set partition.strategy="$STRATEGY" >/dev/null
  start=$(date +%s)
  kge train --output "$OUT" "${MODEL[@]}" >/dev/null 2>"$OUT.train.log"
  kge export --output "$OUT" >/dev/null 2>>"$OUT.train.log"
  kge evaluate --output "$OUT" >/dev/null 2>>"$OUT.train.log"
  python3 - "$OUT" "$P" "$(( $(date +%s) - start ))" "$STRATEGY" <<'PY'
import json, sys
out, p, wall = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(out + "/metrics.json"))
t, e = m["train"], m["evaluation"]
print(f"P={p} ({sys.argv[4]}) rounds={t['rounds']} filtered_mrr={e['filtered_mrr']:.4f} hits@10={e['filtered_hits@10']:.4f} "
      f"train_s={t['train_seconds_this_run']:.1f} triples/s={t['triples_per_second_this_run']:.0f} "
      f"spark_overhead_s/round={t['spark_overhead_seconds_per_round']:.2f} wall_s(train+export+eval)={wall}")
for region, r in e.get("by_region", {}).items():
    if region != "definition":
        print(f"  {region}: {r['triples']} test triples, filtered_mrr={r.get('mrr', float('nan')):.4f} "
              f"hits@10={r.get('hits@10', float('nan')):.4f}")
PY
  uptime
done
