#!/usr/bin/env bash
# The k-core trade-off (not a test): one graph through ingest, reduce, partition, train, export and
# evaluate for each k, each on the CLI of the embedded local Spark, with the same model, epochs and
# seed; for k > 0 export is then rerun with the periphery fit and evaluated again. Prints one
# Markdown row per run: entities and triples kept, train seconds, the trained entity table's bytes
# (rows x (embedding floats + 1 Adagrad float) x 4), filtered test MRR over all test triples, over
# those in the core and over those touching the periphery, and the fit's seconds.
# Usage: bench/kcore/tradeoff.sh DATA "K..." FIT_EPOCHS
#   DATA holds train/valid/test as text (train.txt.gz ...) or Parquet folders (train/ ...: the
#   partitioner's SyntheticKg); e.g. bench/kcore/tradeoff.sh ../shared/datasets/codex-s "0 2 3 5 10 20" 5
# Env: BENCH_WORK (default /tmp/kge-bench-kcore/<data name>), BENCH_CONFIG (a configuration file, e.g.
#   conf/examples/fb15k-237.conf, in place of the short-training defaults below), BENCH_SETTINGS (--set
#   options after those; later settings win), BENCH_HEAP (driver heap, default 8g).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$(cd "$1" && pwd)"
read -r -a KS <<< "$2"
FIT="$3"
WORK="${BENCH_WORK:-/tmp/kge-bench-kcore/$(basename "$DATA")}"
export SPARK_KGE_JAVA_OPTS="-Xmx${BENCH_HEAP:-8g}"
mkdir -p "$WORK"
cd "$ROOT"
if [[ -d "$DATA/train" ]]; then
  INPUTS=(--train "$DATA/train" --valid "$DATA/valid" --test "$DATA/test" --set ingest.format=parquet)
else
  INPUTS=(--train "$DATA/train.txt.gz" --valid "$DATA/valid.txt.gz" --test "$DATA/test.txt.gz")
fi
if [[ -n "${BENCH_CONFIG:-}" ]]; then
  MODEL=(--config "$BENCH_CONFIG" --set partition.shards=2 --set train.validation.every-rounds=0)
else
  MODEL=(--set train.model=complex --set train.dim=100 --set train.batch-size=1000 --set train.chunk-size=50
    --set train.negatives=200 --set train.batch-negatives=50 --set train.lr=0.1 --set train.seed=1
    --set train.threads=1 --set train.epochs=5 --set train.round-fraction=1.0 --set partition.shards=2
    --set train.validation.every-rounds=0)
fi
# BENCH_SETTINGS is an option list: split on purpose
# shellcheck disable=SC2206
MODEL+=(${BENCH_SETTINGS:-})

stage() { # STAGE OUT [args...]: one CLI stage, its log appended to OUT.log
  local name="$1" out="$2"; shift 2
  bin/spark-kge "$name" --output "$out" --overwrite "$@" >> "$out.log" 2>&1 || { tail -20 "$out.log"; exit 1; }
}

row() { # OUT K FIT: one Markdown row
  python3 - "$@" <<'PY'
import json, sys
out, k, fit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stats = json.load(open(out + "/stats.json"))
metrics = json.load(open(out + "/metrics.json"))
model = json.load(open(out + "/model.json"))
red, train, exp, ev = stats["reduce"], stats["train"], stats["export"], metrics["evaluation"]
rows, width = train["entity_table_rows"], model["dim"]  # a row holds dim floats (ComplEx: dim/2 complex)
region = ev.get("by_region", {})
def mrr(name):
    return f"{region[name]['mrr']:.4f}" if "mrr" in region.get(name, {}) else ""  # no mrr: no triples
fit_s = exp["periphery_fit"].get("seconds") if fit else None
print(f"| {k} | {fit} | {rows:,} / {red['entities']:,} | {red['core']['triples']:,} / {red['triples']:,} "
      f"| {train['train_seconds_this_run']:.0f} | {rows * (width + 1) * 4 / 2**20:.1f} | {ev['filtered_mrr']:.4f} "
      f"| {mrr('core')} | {mrr('periphery')} | {'' if fit_s is None else f'{fit_s:.0f}'} |")
PY
}

echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD), $DATA, k = ${KS[*]}, fit epochs $FIT, ${BENCH_CONFIG:-} ${BENCH_SETTINGS:-}"
echo "| k | fit epochs | entities trained | triples trained | train s | entity table MiB | MRR all | core | periphery | fit s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
BASE="$WORK/ingested"
if [[ ! -f "$BASE/_ingested" ]]; then
  rm -rf "$BASE" "$BASE.log"
  stage ingest "$BASE" "${INPUTS[@]}"
  touch "$BASE/_ingested"
fi
for K in "${KS[@]}"; do
  OUT="$WORK/k$K"
  rm -rf "$OUT" "$OUT.log"
  cp -a "$BASE" "$OUT"
  if ! bin/spark-kge reduce --output "$OUT" --overwrite --set reduce.k="$K" >> "$OUT.log" 2>&1; then
    if grep -q "exceeds the largest core number" "$OUT.log"; then
      echo "| $K | | the $K-core is empty: $(grep -o 'largest core number of triples/train ([0-9]*)' "$OUT.log" | head -1) |"
      continue
    fi
    tail -20 "$OUT.log"; exit 1
  fi
  stage partition "$OUT" "${MODEL[@]}"
  stage train "$OUT" "${MODEL[@]}"
  stage export "$OUT" "${MODEL[@]}" --set reduce.fit-epochs=0
  stage evaluate "$OUT" "${MODEL[@]}"
  row "$OUT" "$K" 0 | tee -a "$WORK/results.md"
  PLACED=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["export"]["entities_propagated"])' "$OUT/stats.json")
  if [[ "$PLACED" != 0 && "$FIT" != 0 ]]; then
    stage export "$OUT" "${MODEL[@]}" --set reduce.fit-epochs="$FIT"
    stage evaluate "$OUT" "${MODEL[@]}"
    row "$OUT" "$K" "$FIT" | tee -a "$WORK/results.md"
  fi
done
