#!/usr/bin/env bash
# Compiles embedding-core with its tests (the benchmarks' sources) into embedding-core/target-bench,
# its own output folder so that a benchmark never collides with a test build of the same tree, and
# prints the classpath that runs them. Used by the benchmark scripts:
#   classpath="$(bench/embedding-core/classpath.sh)"
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mvn -o -q -pl embedding-core -Dkge.target=target-bench test-compile >&2
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -o -q -pl embedding-core -Dkge.target=target-bench dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >&2
out="$root/embedding-core/target-bench"
echo "$out/test-classes:$out/classes:$(cat "$cp_file")"
