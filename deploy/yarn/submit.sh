#!/usr/bin/env bash
# Submits one spark-kge stage (or the whole pipeline) to a YARN cluster with spark-submit.
#
#   deploy/yarn/submit.sh [options] STAGE [stage options]
#   deploy/yarn/submit.sh --gpus-per-executor 1 --config conf/examples/fb15k-237.conf \
#       run --output hdfs:///kge/fb15k-237/2026-11-26
#
# The configuration file travels with --files and the stage reads it from the container's working
# folder. GPUs are scheduled through YARN's yarn.io/gpu resource (Hadoop 3.1+ with GPU isolation on the
# NodeManagers); the discovery script in deploy/gpu/ travels with --files too.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"

DEPLOY_MODE="cluster"
QUEUE=""
PRINCIPAL=""
KEYTAB=""
MAX_APP_ATTEMPTS=1

usage() {
  cat <<'USAGE'
Usage: deploy/yarn/submit.sh [options] STAGE [stage options]
YARN options:
  --deploy-mode cluster|client   where the driver runs (default cluster)
  --queue QUEUE                  YARN queue
  --principal NAME --keytab FILE Kerberos login for long runs (passed through to spark-submit)
  --max-app-attempts N           YARN application attempts (default 1: retries belong to the scheduler)
USAGE
  kge_common_usage
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --deploy-mode) [ $# -ge 2 ] || kge_die "--deploy-mode needs a value"; DEPLOY_MODE="$2"; shift 2; continue ;;
    --queue) [ $# -ge 2 ] || kge_die "--queue needs a value"; QUEUE="$2"; shift 2; continue ;;
    --principal) [ $# -ge 2 ] || kge_die "--principal needs a value"; PRINCIPAL="$2"; shift 2; continue ;;
    --keytab) [ $# -ge 2 ] || kge_die "--keytab needs a value"; KEYTAB="$2"; shift 2; continue ;;
    --max-app-attempts) [ $# -ge 2 ] || kge_die "--max-app-attempts needs a value"; MAX_APP_ATTEMPTS="$2"; shift 2; continue ;;
  esac
  kge_parse_common_option "$@"
  if [ "$USED" -eq 0 ]; then
    case "$1" in
      -*) kge_die "unknown option: $1 (see --help)" ;;
      *) STAGE_ARGS=("$@"); break ;;
    esac
  fi
  shift "$USED"
done

kge_validate_common
case "$DEPLOY_MODE" in cluster|client) ;; *) kge_die "--deploy-mode must be cluster or client, got '$DEPLOY_MODE'" ;; esac
[[ "$MAX_APP_ATTEMPTS" =~ ^[1-9][0-9]*$ ]] || kge_die "--max-app-attempts expects a positive whole number, got '$MAX_APP_ATTEMPTS'"
if { [ -n "$PRINCIPAL" ] && [ -z "$KEYTAB" ]; } || { [ -z "$PRINCIPAL" ] && [ -n "$KEYTAB" ]; }; then
  kge_die "--principal and --keytab go together"
fi
if [ "$GPUS_PER_EXECUTOR" -gt 0 ] && [ -z "$LIBTORCH_DIR" ]; then
  # Without it DJL would load the CPU libtorch from the jar and the GPUs would sit idle.
  kge_die "--gpus-per-executor needs --libtorch-dir: the CUDA libtorch 2.7.1 (cu128) folder on the NodeManagers (docs/gpu.md)"
fi
[ -n "$JAR" ] || JAR="${SPARK_KGE_JAR:-$KGE_REPO_DIR/spark-jobs/target/spark-kge-app.jar}"

files=("$KGE_DEPLOY_DIR/gpu/discover-gpus.sh")
[ -n "$CONFIG" ] && files+=("$CONFIG")
files_csv=$(IFS=','; echo "${files[*]}")

CMD=("$SPARK_SUBMIT" --master yarn --deploy-mode "$DEPLOY_MODE" --name "$APP_NAME"
     --class "$KGE_MAIN_CLASS"
     --num-executors "$NUM_EXECUTORS" --executor-memory "$EXECUTOR_MEMORY"
     --executor-cores "$EXECUTOR_CORES" --driver-memory "$DRIVER_MEMORY"
     --files "$files_csv")
[ -n "$QUEUE" ] && CMD+=(--queue "$QUEUE")
[ -n "$PRINCIPAL" ] && CMD+=(--principal "$PRINCIPAL" --keytab "$KEYTAB")
# One attempt per submission: a failed stage is retried by the caller (the Airflow DAG), which can tell
# a transient failure from a bad input or configuration (exit codes 1 and 2) that would fail again.
CMD+=(--conf "spark.yarn.maxAppAttempts=$MAX_APP_ATTEMPTS")
CMD+=(--conf "spark.yarn.appMasterEnv.DJL_OFFLINE=true")
# the driver's share of NativeMemory's settings in cluster mode (the executors get them from the app)
for setting in THP_MEM_ALLOC_ENABLE=1 MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 \
  MALLOC_TOP_PAD_=268435456; do
  CMD+=(--conf "spark.yarn.appMasterEnv.$setting")
done
kge_common_conf
if [ "$GPUS_PER_EXECUTOR" -gt 0 ]; then
  # --files puts the script in every container's working folder.
  CMD+=(--conf "spark.executor.resource.gpu.discoveryScript=./discover-gpus.sh")
fi
if [ -n "$LIBTORCH_DIR" ]; then
  CMD+=(--conf "spark.yarn.appMasterEnv.PYTORCH_LIBRARY_PATH=$LIBTORCH_DIR")
fi
CMD+=("$JAR" "${STAGE_ARGS[0]}")
# In cluster mode the driver reads the shipped copy from its working folder, so pass the bare name.
if [ -n "$CONFIG" ]; then
  if [ "$DEPLOY_MODE" = "cluster" ]; then CMD+=(--config "$(basename "$CONFIG")"); else CMD+=(--config "$CONFIG"); fi
fi
CMD+=("${STAGE_ARGS[@]:1}")
kge_exec
