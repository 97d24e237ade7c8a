#!/usr/bin/env bash
# Shared by deploy/yarn/submit.sh and deploy/k8s/submit.sh: option parsing, the parts of the
# spark-submit command that do not depend on the cluster manager, and --dry-run.
# Sourced, not executed. Every function fills or reads the globals named in UPPER case, which the
# sourcing script reads too (hence SC2034 is off for this file).
# shellcheck disable=SC2034

KGE_MAIN_CLASS="org.sparkkge.jobs.cli.Main"
KGE_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KGE_REPO_DIR="$(cd "$KGE_DEPLOY_DIR/.." && pwd)"

# Defaults sized for one GPU (or 4 cores) per executor; every one can be overridden by a flag.
DRY_RUN=0
JAR=""
CONFIG=""
APP_NAME=""
NUM_EXECUTORS=2
EXECUTOR_MEMORY="8g"
EXECUTOR_CORES=4
DRIVER_MEMORY="4g"
GPUS_PER_EXECUTOR=0
LIBTORCH_DIR=""
SPARK_SUBMIT="${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit"
EXTRA_CONF=()
STAGE_ARGS=()
CMD=()

kge_die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 2; }

kge_common_usage() {
  cat <<'USAGE'
Common options:
  --dry-run                  print the exact spark-submit command and exit without running it
  --jar PATH                 application jar (default: $SPARK_KGE_JAR, else the one the build writes)
  --config FILE              spark-kge configuration file, shipped to the cluster
  --name NAME                Spark application name (default: spark-kge-STAGE)
  --num-executors N          executors (default 2)
  --executor-memory SIZE     heap per executor (default 8g)
  --executor-cores N         cores per executor (default 4)
  --driver-memory SIZE       driver heap (default 4g)
  --gpus-per-executor N      GPUs per executor, one training task per GPU (default 0: train on CPU)
  --libtorch-dir DIR         folder holding CUDA libtorch 2.7.1 (cu128) on the nodes or in the image;
                             becomes PYTORCH_LIBRARY_PATH for DJL (see docs/gpu.md)
  --spark-submit PATH        spark-submit to run (default: $SPARK_HOME/bin/spark-submit or spark-submit)
  --conf KEY=VALUE           extra Spark configuration, repeatable
  -h, --help                 this help
Everything from STAGE on is passed to spark-kge unchanged, e.g.
  ingest --output hdfs:///kge/fb15k --train hdfs:///raw/fb15k/train.txt.gz
USAGE
}

# Parses one common option at "$1" (value in "$2"); sets USED to the words it took (0: not ours).
kge_parse_common_option() {
  case "$1" in
    --dry-run) DRY_RUN=1; USED=1 ;;
    --jar) [ $# -ge 2 ] || kge_die "--jar needs a value"; JAR="$2"; USED=2 ;;
    --config) [ $# -ge 2 ] || kge_die "--config needs a value"; CONFIG="$2"; USED=2 ;;
    --name) [ $# -ge 2 ] || kge_die "--name needs a value"; APP_NAME="$2"; USED=2 ;;
    --num-executors) [ $# -ge 2 ] || kge_die "--num-executors needs a value"; NUM_EXECUTORS="$2"; USED=2 ;;
    --executor-memory) [ $# -ge 2 ] || kge_die "--executor-memory needs a value"; EXECUTOR_MEMORY="$2"; USED=2 ;;
    --executor-cores) [ $# -ge 2 ] || kge_die "--executor-cores needs a value"; EXECUTOR_CORES="$2"; USED=2 ;;
    --driver-memory) [ $# -ge 2 ] || kge_die "--driver-memory needs a value"; DRIVER_MEMORY="$2"; USED=2 ;;
    --gpus-per-executor) [ $# -ge 2 ] || kge_die "--gpus-per-executor needs a value"; GPUS_PER_EXECUTOR="$2"; USED=2 ;;
    --libtorch-dir) [ $# -ge 2 ] || kge_die "--libtorch-dir needs a value"; LIBTORCH_DIR="$2"; USED=2 ;;
    --spark-submit) [ $# -ge 2 ] || kge_die "--spark-submit needs a value"; SPARK_SUBMIT="$2"; USED=2 ;;
    --conf) [ $# -ge 2 ] || kge_die "--conf needs a value"; EXTRA_CONF+=("$2"); USED=2 ;;
    *) USED=0 ;;
  esac
}

kge_validate_common() {
  [ ${#STAGE_ARGS[@]} -gt 0 ] || kge_die "no stage given (ingest, reduce, tokenize, partition, train, export, evaluate or run)"
  case "${STAGE_ARGS[0]}" in
    -*) kge_die "unknown option: ${STAGE_ARGS[0]}" ;;
  esac
  [[ "$NUM_EXECUTORS" =~ ^[1-9][0-9]*$ ]] || kge_die "--num-executors expects a positive whole number, got '$NUM_EXECUTORS'"
  [[ "$EXECUTOR_CORES" =~ ^[1-9][0-9]*$ ]] || kge_die "--executor-cores expects a positive whole number, got '$EXECUTOR_CORES'"
  [[ "$GPUS_PER_EXECUTOR" =~ ^[0-9]+$ ]] || kge_die "--gpus-per-executor expects a whole number, got '$GPUS_PER_EXECUTOR'"
  [[ "$EXECUTOR_MEMORY" =~ ^[0-9]+[kmgtKMGT]?$ ]] || kge_die "--executor-memory expects a size like 8g, got '$EXECUTOR_MEMORY'"
  [[ "$DRIVER_MEMORY" =~ ^[0-9]+[kmgtKMGT]?$ ]] || kge_die "--driver-memory expects a size like 4g, got '$DRIVER_MEMORY'"
  [ -n "$APP_NAME" ] || APP_NAME="spark-kge-${STAGE_ARGS[0]}"
  if [ -n "$CONFIG" ] && [ "$DRY_RUN" -eq 0 ] && [ ! -f "$CONFIG" ]; then
    kge_die "configuration file not found: $CONFIG"
  fi
}

# Spark settings that every cluster manager shares: offline DJL, GPU scheduling, libtorch location.
kge_common_conf() {
  CMD+=(--conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true")
  CMD+=(--conf "spark.driver.extraJavaOptions=-Dai.djl.offline=true")
  CMD+=(--conf "spark.executorEnv.DJL_OFFLINE=true")
  if [ "$GPUS_PER_EXECUTOR" -gt 0 ]; then
    # GPUs per executor only: the application requests one GPU for each training task itself
    # (stage-level scheduling, docs/gpu.md), so the other stages' tasks hold none and use every core.
    CMD+=(--conf "spark.executor.resource.gpu.amount=$GPUS_PER_EXECUTOR")
  fi
  if [ -n "$LIBTORCH_DIR" ]; then
    CMD+=(--conf "spark.executorEnv.PYTORCH_LIBRARY_PATH=$LIBTORCH_DIR")
    CMD+=(--conf "spark.executorEnv.LD_LIBRARY_PATH=$LIBTORCH_DIR")
  fi
  local kv
  for kv in "${EXTRA_CONF[@]+"${EXTRA_CONF[@]}"}"; do
    [[ "$kv" == *=* ]] || kge_die "--conf expects KEY=VALUE, got '$kv'"
    CMD+=(--conf "$kv")
  done
}

# Prints the command (shell-quoted, one line) for --dry-run, or replaces this process with it.
kge_exec() {
  if [ "$DRY_RUN" -eq 1 ]; then
    local out="" word
    for word in "${CMD[@]}"; do out+="$(printf '%q' "$word") "; done
    printf '%s\n' "${out% }"
    exit 0
  fi
  exec "${CMD[@]}"
}
