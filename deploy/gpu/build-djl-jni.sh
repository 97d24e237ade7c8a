#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) against the libtorch installed on this node and
# installs it beside that libtorch, so that spark-kge's training tasks use the node's own PyTorch
# (any version DJL's sources compile against, CUDA or CPU) instead of the 2.7.1 build DJL ships.
# A JNI built for another libtorch loads but fails at the first tensor: build one per libtorch.
#
#   deploy/gpu/build-djl-jni.sh --djl-src DIR [--torch DIR] [--install-dir DIR] [--jobs N]
#   deploy/gpu/build-djl-jni.sh --clone DIR   [--torch DIR] ...
#
#   --djl-src DIR      a checkout of DJL (github.com/deepjavalibrary/djl) at tag v$DJL_VERSION;
#                      spark-kge does not carry DJL's sources
#   --clone DIR        clone that tag into DIR first (needs git and network access)
#   --djl-version V    the DJL version of the application jar (default: 0.36.0, spark-kge's pom)
#   --torch DIR        the torch package folder (pip: .../site-packages/torch) or an unpacked
#                      libtorch; it holds lib/libtorch.so and share/cmake/Torch (default: the
#                      torch that python3 imports)
#   --install-dir DIR  where libdjl_torch.so goes (default: the torch folder's lib/, where DJL looks
#                      first when PYTORCH_LIBRARY_PATH points there)
#   --jobs N           parallel compile jobs (default: the number of cores)
#
# Needs: a JDK 17 (javac and the JNI headers: JAVA_HOME, or javac on the PATH), CMake 3.18+, a C++17
# compiler, and for a CUDA torch the CUDA toolkit (nvcc) that CMake's Torch package looks for.
# Prints the environment a training node needs; writes it to INSTALL_DIR/spark-kge-torch.env too.
set -euo pipefail

DJL_VERSION=0.36.0
DJL_SRC=""
CLONE_DIR=""
TORCH_DIR=""
INSTALL_DIR=""
JOBS="$(nproc 2>/dev/null || echo 2)"

usage() {
  sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fail() {
  echo "build-djl-jni: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --djl-src) DJL_SRC="${2:?--djl-src needs a folder}"; shift 2 ;;
    --clone) CLONE_DIR="${2:?--clone needs a folder}"; shift 2 ;;
    --djl-version) DJL_VERSION="${2:?--djl-version needs a version}"; shift 2 ;;
    --torch) TORCH_DIR="${2:?--torch needs a folder}"; shift 2 ;;
    --install-dir) INSTALL_DIR="${2:?--install-dir needs a folder}"; shift 2 ;;
    --jobs) JOBS="${2:?--jobs needs a number}"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "build-djl-jni: unknown argument: $1" >&2; usage ;;
  esac
done

if [ -n "$CLONE_DIR" ] && [ -n "$DJL_SRC" ]; then
  fail "give --djl-src or --clone, not both"
fi
if [ -z "$CLONE_DIR" ] && [ -z "$DJL_SRC" ]; then
  echo "build-djl-jni: give --djl-src DIR (a DJL checkout at v$DJL_VERSION) or --clone DIR" >&2
  usage
fi
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || fail "--jobs must be a positive number, got '$JOBS'"

# Tools first: a missing one should not surface half way through a build.
command -v cmake >/dev/null || fail "cmake is needed (apt-get install cmake, or pip install cmake)"
command -v c++ >/dev/null || command -v g++ >/dev/null || fail "a C++17 compiler (c++ or g++) is needed"
if [ -z "${JAVA_HOME:-}" ]; then
  javac_path="$(command -v javac || true)"
  [ -n "$javac_path" ] || fail "a JDK is needed: set JAVA_HOME or put javac on the PATH"
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$javac_path")")")"
fi
[ -x "$JAVA_HOME/bin/javac" ] || fail "JAVA_HOME=$JAVA_HOME has no bin/javac (a JRE is not enough)"
[ -f "$JAVA_HOME/include/jni.h" ] || fail "JAVA_HOME=$JAVA_HOME has no include/jni.h"
export JAVA_HOME

if [ -n "$CLONE_DIR" ]; then
  command -v git >/dev/null || fail "git is needed for --clone"
  [ ! -e "$CLONE_DIR" ] || fail "--clone $CLONE_DIR: the folder exists; use --djl-src $CLONE_DIR"
  git clone --depth 1 --branch "v$DJL_VERSION" https://github.com/deepjavalibrary/djl.git "$CLONE_DIR"
  DJL_SRC="$CLONE_DIR"
fi

# The DJL sources: this version's JNI must match the Java side inside the application jar.
[ -d "$DJL_SRC" ] || fail "--djl-src $DJL_SRC: no such folder"
DJL_SRC="$(cd "$DJL_SRC" && pwd)"
NATIVE="$DJL_SRC/engines/pytorch/pytorch-native"
JNI_JAVA="$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
for required in "$NATIVE/CMakeLists.txt" "$JNI_JAVA" "$DJL_SRC/api/src/main/native/djl/utils.h"; do
  [ -f "$required" ] || fail "$DJL_SRC is not a DJL source checkout: ${required#"$DJL_SRC"/} is missing"
done
found_version="$(sed -n 's/^djl *= *"\([^"]*\)".*/\1/p' "$DJL_SRC/gradle/libs.versions.toml" 2>/dev/null | head -n 1)"
[ -n "$found_version" ] || fail "$DJL_SRC/gradle/libs.versions.toml names no djl version"
[ "$found_version" = "$DJL_VERSION" ] \
  || fail "$DJL_SRC holds DJL $found_version, the application jar uses DJL $DJL_VERSION (git -C $DJL_SRC checkout v$DJL_VERSION)"

# The torch to build against.
if [ -z "$TORCH_DIR" ]; then
  command -v python3 >/dev/null || fail "no --torch given and no python3 to find torch with"
  TORCH_DIR="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)" \
    || fail "no --torch given and python3 cannot import torch"
fi
[ -d "$TORCH_DIR" ] || fail "--torch $TORCH_DIR: no such folder"
TORCH_DIR="$(cd "$TORCH_DIR" && pwd)"
[ -f "$TORCH_DIR/lib/libtorch.so" ] || fail "$TORCH_DIR has no lib/libtorch.so (give the torch package folder or an unpacked libtorch)"
[ -d "$TORCH_DIR/share/cmake/Torch" ] || fail "$TORCH_DIR has no share/cmake/Torch (CMake's Torch package, needed to compile against it)"
torch_version=""
if [ -f "$TORCH_DIR/version.py" ]; then # pip wheel: __version__ = '2.11.0+cu130'
  torch_version="$(sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$TORCH_DIR/version.py" | head -n 1)"
elif [ -f "$TORCH_DIR/build-version" ]; then # libtorch zip: 2.7.1+cu128
  torch_version="$(head -n 1 "$TORCH_DIR/build-version")"
fi
[ -n "$torch_version" ] || fail "cannot tell the version of $TORCH_DIR (no version.py or build-version)"
base_version="${torch_version%%+*}"
use_cuda=""
[ ! -f "$TORCH_DIR/lib/libtorch_cuda.so" ] || use_cuda=1
pt_version=""
# DJL's own build switches to its 1.13 code paths for these (engines/pytorch/pytorch-native/build.sh)
if [[ "$base_version" == "1.13.1" || "$base_version" == "2.0.1" || "$base_version" =~ ^2\.1\. ]]; then
  pt_version=V1_13_X
fi
INSTALL_DIR="${INSTALL_DIR:-$TORCH_DIR/lib}"
mkdir -p "$INSTALL_DIR"

echo "build-djl-jni: DJL $DJL_VERSION JNI against torch $torch_version (${use_cuda:+CUDA}${use_cuda:-CPU}) in $TORCH_DIR" >&2
build="$NATIVE/build" # DJL's CMakeLists.txt takes the JNI header from build/include
rm -rf "$build"
mkdir -p "$build/classes"
"$JAVA_HOME/bin/javac" -h "$build/include" -d "$build/classes" \
  -sourcepath "$DJL_SRC/api/src/main/java:$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java" \
  "$JNI_JAVA"
cmake -S "$NATIVE" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_DIR/share/cmake" -DPT_VERSION="$pt_version" -DUSE_CUDA="$use_cuda"
cmake --build "$build" --config Release -- -j "$JOBS"
[ -f "$build/libdjl_torch.so" ] || fail "the build produced no $build/libdjl_torch.so"

# Replace any earlier JNI in one rename: a task starting now loads the old or the new, never half.
tmp="$(mktemp "$INSTALL_DIR/.libdjl_torch.so.XXXXXX")"
cp "$build/libdjl_torch.so" "$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$INSTALL_DIR/libdjl_torch.so"

env_file="$INSTALL_DIR/spark-kge-torch.env"
{
  echo "PYTORCH_LIBRARY_PATH=$TORCH_DIR/lib"
  echo "PYTORCH_VERSION=$base_version"
  echo "LD_LIBRARY_PATH=$TORCH_DIR/lib"
  echo "DJL_OFFLINE=true"
} > "$env_file.tmp"
mv -f "$env_file.tmp" "$env_file"

if [ "$INSTALL_DIR" != "$TORCH_DIR/lib" ]; then
  echo "build-djl-jni: note: DJL looks for libdjl_torch.so in PYTORCH_LIBRARY_PATH; copy $INSTALL_DIR/libdjl_torch.so into $TORCH_DIR/lib on every node" >&2
fi
echo "build-djl-jni: installed $INSTALL_DIR/libdjl_torch.so; set on every training node (also in $env_file):" >&2
cat "$env_file"
echo "build-djl-jni: then check the node with: bin/spark-kge doctor (docs/gpu.md)" >&2
