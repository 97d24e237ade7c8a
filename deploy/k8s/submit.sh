#!/usr/bin/env bash
# Submits one spark-kge stage (or the whole pipeline) to Kubernetes with spark-submit.
#
#   deploy/k8s/submit.sh --api https://k8s.example:6443 --image registry/spark-kge:0.1.0-gpu \
#       --gpus-per-executor 1 --data-claim kge-data \
#       run --config /data/conf/fb15k-237.conf --output /data/runs/fb15k-237/2026-11-26
#
# Driver and executors run the image from deploy/docker/ (the application jar sits in it, so the jar is
# given as local://). The GPU executor pod template tolerates GPU nodes (Spark itself requests
# nvidia.com/gpu from --gpus-per-executor); --data-claim mounts a PersistentVolumeClaim at /data on driver
# and executors for inputs, configuration and outputs (or use s3a:// paths instead).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"

API=""
IMAGE=""
NAMESPACE="spark-kge"
SERVICE_ACCOUNT="spark-kge"
DATA_CLAIM=""
DATA_MOUNT="/data"
IMAGE_JAR="local:///opt/spark-kge/spark-kge-app.jar"
TEMPLATE_DIR="$KGE_DEPLOY_DIR/k8s"

usage() {
  cat <<'USAGE'
Usage: deploy/k8s/submit.sh --api URL --image IMAGE [options] STAGE [stage options]
Kubernetes options:
  --api URL                  Kubernetes API server (becomes --master k8s://URL)
  --image IMAGE              spark-kge container image (deploy/docker/), CPU or GPU variant
  --namespace NS             namespace (default spark-kge)
  --service-account NAME     driver service account allowed to create executor pods (default spark-kge)
  --data-claim CLAIM         PersistentVolumeClaim mounted at --data-mount on driver and executors
  --data-mount PATH          mount path of the claim (default /data)
  --template-dir DIR         folder with driver-pod.yaml, executor-pod.yaml (CPU) and executor-pod-gpu.yaml
                             (default deploy/k8s)
The jar defaults to the one inside the image (local:///opt/spark-kge/spark-kge-app.jar); --config must be
a path the driver pod can read (on the claim, or baked into the image under /opt/spark-kge/conf).
USAGE
  kge_common_usage
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --api) [ $# -ge 2 ] || kge_die "--api needs a value"; API="$2"; shift 2; continue ;;
    --image) [ $# -ge 2 ] || kge_die "--image needs a value"; IMAGE="$2"; shift 2; continue ;;
    --namespace) [ $# -ge 2 ] || kge_die "--namespace needs a value"; NAMESPACE="$2"; shift 2; continue ;;
    --service-account) [ $# -ge 2 ] || kge_die "--service-account needs a value"; SERVICE_ACCOUNT="$2"; shift 2; continue ;;
    --data-claim) [ $# -ge 2 ] || kge_die "--data-claim needs a value"; DATA_CLAIM="$2"; shift 2; continue ;;
    --data-mount) [ $# -ge 2 ] || kge_die "--data-mount needs a value"; DATA_MOUNT="$2"; shift 2; continue ;;
    --template-dir) [ $# -ge 2 ] || kge_die "--template-dir needs a value"; TEMPLATE_DIR="$2"; shift 2; continue ;;
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
[ -n "$API" ] || kge_die "--api is required (the Kubernetes API server URL)"
[ -n "$IMAGE" ] || kge_die "--image is required (build it from deploy/docker/)"
[ -n "$JAR" ] || JAR="${SPARK_KGE_JAR:-$IMAGE_JAR}"
api="${API#k8s://}"

CMD=("$SPARK_SUBMIT" --master "k8s://$api" --deploy-mode cluster --name "$APP_NAME"
     --class "$KGE_MAIN_CLASS"
     --driver-memory "$DRIVER_MEMORY" --executor-memory "$EXECUTOR_MEMORY"
     --conf "spark.executor.instances=$NUM_EXECUTORS"
     --conf "spark.executor.cores=$EXECUTOR_CORES"
     --conf "spark.kubernetes.namespace=$NAMESPACE"
     --conf "spark.kubernetes.container.image=$IMAGE"
     --conf "spark.kubernetes.authenticate.driver.serviceAccountName=$SERVICE_ACCOUNT"
     --conf "spark.kubernetes.driver.podTemplateFile=$TEMPLATE_DIR/driver-pod.yaml"
     --conf "spark.kubernetes.driverEnv.DJL_OFFLINE=true")
if [ -n "$DATA_CLAIM" ]; then
  for role in driver executor; do
    CMD+=(--conf "spark.kubernetes.$role.volumes.persistentVolumeClaim.data.options.claimName=$DATA_CLAIM"
          --conf "spark.kubernetes.$role.volumes.persistentVolumeClaim.data.mount.path=$DATA_MOUNT")
  done
fi
kge_common_conf
if [ "$GPUS_PER_EXECUTOR" -gt 0 ]; then
  # The image carries the discovery script; the vendor makes Spark request nvidia.com/gpu for the pod.
  CMD+=(--conf "spark.kubernetes.executor.podTemplateFile=$TEMPLATE_DIR/executor-pod-gpu.yaml"
        --conf "spark.executor.resource.gpu.vendor=nvidia.com"
        --conf "spark.executor.resource.gpu.discoveryScript=/opt/spark-kge/bin/discover-gpus.sh")
else
  CMD+=(--conf "spark.kubernetes.executor.podTemplateFile=$TEMPLATE_DIR/executor-pod.yaml")
fi
CMD+=("$JAR" "${STAGE_ARGS[0]}")
[ -n "$CONFIG" ] && CMD+=(--config "$CONFIG")
CMD+=("${STAGE_ARGS[@]:1}")
kge_exec
