#!/usr/bin/env bash
# Spark resource discovery script for spark-kge executors.
#
# Spark runs it when an executor starts (spark.executor.resource.gpu.discoveryScript) and expects one
# JSON object on stdout: {"name": "gpu", "addresses": ["0", "1", ...]}. Spark then hands each task its
# GPU address through TaskContext.resources(), and the trainer puts the task on that device.
#
# Sources, first that answers wins:
#   1. nvidia-smi (bare metal, YARN NodeManagers, Kubernetes pods with the NVIDIA runtime);
#   2. CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES set by the container runtime or YARN's GPU isolation
#      (indices are renumbered from 0 inside the container, which is what CUDA sees);
#   3. none: an empty address list, so an executor without GPUs fails to register GPU resources loudly
#      instead of pretending.
# SPARK_KGE_FAKE_NVIDIA_SMI may name a replacement for nvidia-smi (used by the tests).
set -euo pipefail

smi="${SPARK_KGE_FAKE_NVIDIA_SMI:-nvidia-smi}"
addresses=()

if command -v "$smi" >/dev/null 2>&1; then
  while IFS= read -r index; do
    index="${index//[[:space:]]/}"
    [[ "$index" =~ ^[0-9]+$ ]] && addresses+=("$index")
  done < <("$smi" --query-gpu=index --format=csv,noheader 2>/dev/null || true)
fi

if [ ${#addresses[@]} -eq 0 ]; then
  visible="${CUDA_VISIBLE_DEVICES:-${NVIDIA_VISIBLE_DEVICES:-}}"
  if [ -n "$visible" ] && [ "$visible" != "none" ] && [ "$visible" != "void" ]; then
    IFS=',' read -r -a entries <<< "$visible"
    if [ "$visible" = "all" ]; then
      entries=()
    fi
    for i in "${!entries[@]}"; do
      addresses+=("$i")
    done
  fi
fi

json='{"name": "gpu", "addresses": ['
for i in "${!addresses[@]}"; do
  [ "$i" -gt 0 ] && json+=', '
  json+="\"${addresses[$i]}\""
done
json+=']}'
printf '%s\n' "$json"
