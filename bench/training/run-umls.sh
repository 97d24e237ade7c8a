#!/usr/bin/env bash
# Quality against the number of tasks (not a test): the committed UMLS example through the whole
# pipeline, `bin/spark-kge run --config conf/examples/umls.conf` on the embedded local[2] Spark, for
# each shard count P and seed; prints the filtered test MRR of each run and, per P, the mean over the
# seeds and its difference to P=1's mean.
# Usage: bench/training/run-umls.sh "SHARDS..." "SEEDS..."     e.g. run-umls.sh "1 2 4 8" "42 1 2"
# Env: BENCH_WORK (default /tmp/kge-bench-umls), BENCH_SETTINGS (extra --set options).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
read -r -a SHARDS <<< "${1:-1 2 4 8}"
read -r -a SEEDS <<< "${2:-42 1 2}"
WORK="${BENCH_WORK:-/tmp/kge-bench-umls}"
mkdir -p "$WORK"
: > "$WORK/results.txt"
cd "$ROOT"
echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"
for P in "${SHARDS[@]}"; do
  for SEED in "${SEEDS[@]}"; do
    OUT="$WORK/p$P-seed$SEED"
    # BENCH_SETTINGS is an option list: split on purpose
    # shellcheck disable=SC2086
    bin/spark-kge run --config conf/examples/umls.conf --output "$OUT" --overwrite --set partition.shards="$P" \
      --set train.seed="$SEED" ${BENCH_SETTINGS:-} > "$OUT.log" 2>&1 || { tail -20 "$OUT.log"; exit 1; }
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1] + "/metrics.json")); t=json.load(open(sys.argv[1] + "/stats.json"))["train"]
print(sys.argv[2], sys.argv[3], round(m["evaluation"]["filtered_mrr"], 4), round(t["train_seconds_this_run"], 1))' "$OUT" "$P" "$SEED" \
      | tee -a "$WORK/results.txt"
  done
done
python3 - "$WORK/results.txt" "${SHARDS[*]}" "${SEEDS[*]}" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
shards, seeds = sys.argv[2].split(), sys.argv[3].split()
mean = {p: statistics.mean(float(r[2]) for r in rows if r[0] == p and r[1] in seeds) for p in shards}
for p in shards:
    runs = " ".join(f"{float(r[2]):.4f}" for r in rows if r[0] == p and r[1] in seeds)
    print(f"P={p}: filtered test MRR {runs} (seeds {' '.join(seeds)}), mean {mean[p]:.4f}, "
          f"mean - P=1 mean {mean[p] - mean.get('1', mean[p]):+.4f}")
PY
