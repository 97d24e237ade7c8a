#!/usr/bin/env bash
# A committed example configuration through the whole pipeline against the number of tasks (not a
# test): `bin/spark-kge run --config CONFIG` on the embedded local Spark for each shard count P and
# seed. Prints per run the filtered test MRR, the train stage's seconds (per round, Spark overhead per
# round, stage efficiency), the validation MRR per validated round and any retried rounds; then per
# P the mean MRR and the train time against the first P's.
# Usage: bench/training/run-example.sh CONFIG "SHARDS..." "SEEDS..."
#   e.g. bench/training/run-example.sh conf/examples/fb15k-237.conf "2 8" "42"
# Env: BENCH_WORK (default /tmp/kge-bench-example/<config name>), BENCH_SETTINGS (extra --set options,
# e.g. "--set train.epochs=10 --set train.validation.every-rounds=5"; later settings win).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONFIG="$1"
read -r -a SHARDS <<< "${2:-2 8}"
read -r -a SEEDS <<< "${3:-42}"
WORK="${BENCH_WORK:-/tmp/kge-bench-example/$(basename "$CONFIG" .conf)}"
mkdir -p "$WORK"
: > "$WORK/results.txt"
cd "$ROOT"
echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD), $CONFIG ${BENCH_SETTINGS:-}"
for P in "${SHARDS[@]}"; do
  for SEED in "${SEEDS[@]}"; do
    OUT="$WORK/p$P-seed$SEED"
    # BENCH_SETTINGS is an option list: split on purpose
    # shellcheck disable=SC2086
    bin/spark-kge run --config "$CONFIG" --output "$OUT" --overwrite --set partition.shards="$P" \
      --set train.seed="$SEED" ${BENCH_SETTINGS:-} > "$OUT.log" 2>&1 || { tail -20 "$OUT.log"; exit 1; }
    python3 - "$OUT" "$P" "$SEED" <<'PY' | tee -a "$WORK/results.txt"
import glob, json, sys
out, p, seed = sys.argv[1:4]
mrr = json.load(open(out + "/metrics.json"))["evaluation"]["filtered_mrr"]
t = json.load(open(out + "/stats.json"))["train"]
valid = [(i + 1, v) for i, v in enumerate(t["round_valid_mrr"]) if v is not None]
retried = []
for f in sorted(glob.glob(out + "/model/checkpoints/round-*/round.json")):
    r = json.load(open(f))
    if r.get("diverged_attempts"):
        retried.append((r["round"], len(r["diverged_attempts"]), r.get("lr_scale")))
rounds = len(t["round_mean_loss"])
print(p, seed, round(mrr, 4), round(t["train_seconds_this_run"], 1),
      f"per_round={t['train_seconds_this_run'] / rounds:.1f}s overhead/round={t['spark_overhead_seconds_per_round']:.1f}s "
      f"efficiency={t['stage_efficiency']:.2f} valid={' '.join(f'{r}:{v:.4f}' for r, v in valid)} retried={retried}")
PY
  done
done
python3 - "$WORK/results.txt" "${SHARDS[*]}" "${SEEDS[*]}" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
shards, seeds = sys.argv[2].split(), sys.argv[3].split()
mrr = {p: statistics.mean(float(r[2]) for r in rows if r[0] == p) for p in shards}
secs = {p: statistics.mean(float(r[3]) for r in rows if r[0] == p) for p in shards}
for p in shards:
    print(f"P={p}: filtered test MRR mean {mrr[p]:.4f} (seeds {' '.join(seeds)}), train {secs[p]:.0f} s = "
          f"{secs[p] / secs[shards[0]]:.2f}x P={shards[0]}")
PY
