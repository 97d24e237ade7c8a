#!/usr/bin/env bash
# Entities added after training (not a test): the inductive protocol of docs/benchmarks.md. Holds out
# a seeded fraction of the training entities with every triple that touches them (InductiveSplit),
# trains CONFIG on the rest through `bin/spark-kge run`, embeds the held-out entities from their edges
# without retraining (export.new-triples = their training and valid triples) and ranks their test
# triples against all entities (evaluate.new-entity-test), once per training mode: NodePiece encodes
# them from their tokens, shallow places them by the periphery rule. Prints per mode the transductive
# test MRR (triples between kept entities), the new-entity test MRR and Hits@10, and the train seconds.
# Usage: bench/training/run-inductive.sh DATA_DIR CONFIG [FRACTION=0.1] [SEED=1]
#   e.g. bench/training/run-inductive.sh ../shared/datasets/fb15k-237 conf/examples/fb15k-237-nodepiece.conf
# Env: BENCH_WORK (default /tmp/kge-bench-inductive/<data>-<fraction>-<seed>), BENCH_MODES (default
#   "nodepiece shallow"), BENCH_SETTINGS (extra --set options for every run), SPARK_KGE_TARGET (a build
#   folder of its own, so that rebuilding the working tree cannot change the jar of a long run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$(cd "$1" && pwd)"
CONFIG="$2"
FRACTION="${3:-0.1}"
SEED="${4:-1}"
WORK="${BENCH_WORK:-/tmp/kge-bench-inductive/$(basename "$DATA")-$FRACTION-$SEED}"
read -r -a MODES <<< "${BENCH_MODES:-nodepiece shallow}"
mkdir -p "$WORK/classes"
cd "$ROOT"
javac -nowarn -d "$WORK/classes" bench/training/src/org/sparkkge/bench/training/InductiveSplit.java
SPLIT="$WORK/split"
java -cp "$WORK/classes" org.sparkkge.bench.training.InductiveSplit "$DATA" "$SPLIT" "$FRACTION" "$SEED" > /dev/null
echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD), $CONFIG, $(basename "$DATA") fraction $FRACTION seed $SEED ${BENCH_SETTINGS:-}"
cat "$SPLIT/split.json"
for MODE in "${MODES[@]}"; do
  OUT="$WORK/$MODE"
  # BENCH_SETTINGS is an option list: split on purpose
  # shellcheck disable=SC2086
  bin/spark-kge run --config "$CONFIG" --output "$OUT" --overwrite \
    --train "$SPLIT/train.tsv" --valid "$SPLIT/valid.tsv" --test "$SPLIT/test.tsv" \
    --set train.mode="$MODE" --set export.new-triples="$SPLIT/support.tsv" \
    --set evaluate.new-entity-test="$SPLIT/test-new.tsv" ${BENCH_SETTINGS:-} > "$OUT.log" 2>&1 \
    || { tail -20 "$OUT.log"; exit 1; }
  python3 - "$OUT" "$MODE" <<'PY'
import json, sys
out, mode = sys.argv[1:3]
e = json.load(open(out + "/metrics.json"))["evaluation"]
n = e["new_entity_test"]
x = json.load(open(out + "/metrics.json"))["export"]
t = json.load(open(out + "/stats.json"))["train"]
unreachable = x.get("new_entities_unreachable_mean_vector", 0)
print(f"{mode}: transductive test MRR {e['filtered_mrr']:.4f} (hits@10 {e['filtered_hits@10']:.4f}); "
      f"new-entity test MRR {n['filtered_mrr']:.4f} (hits@10 {n['filtered_hits@10']:.4f}) over {n['triples']} triples, "
      f"{n['new_entities']} new entities ({unreachable} at the mean vector); train {t['train_seconds_this_run']:.0f} s")
PY
done
