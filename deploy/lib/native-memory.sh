# shellcheck shell=bash
# Sourced by bin/spark-kge and the trainer benchmarks: the environment of a process that runs libtorch
# (org.sparkkge.jobs.spark.NativeMemory, which gives the executors the same). libtorch's CPU allocator
# puts blocks of 2 MiB and more on madvised huge pages (THP_MEM_ALLOC_ENABLE); glibc serves blocks
# below 32 MiB from its heap and keeps what is freed there for the next step (MALLOC_*), instead of a
# fresh mmap filled page by page on every training step (docs/benchmarks.md, "Native memory
# settings"). A variable already set keeps its value; SPARK_KGE_NATIVE_MEMORY=default sets none.
if [[ "${SPARK_KGE_NATIVE_MEMORY:-tuned}" != default ]]; then
  export THP_MEM_ALLOC_ENABLE="${THP_MEM_ALLOC_ENABLE:-1}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-68719476736}"
  export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-268435456}"
fi
