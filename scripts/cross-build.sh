#!/usr/bin/env bash
# Cross-builds the firmware subset (TW_FIRMWARE_ONLY) for a board, runs its tests under
# qemu-user and leaves a stripped agent:
#   scripts/cross-build.sh arm64|armhf
# Output: build-cross/ARCH/ (build tree), build-cross/ARCH/tidewire-agent.stripped.
# Needs: scripts/install-deps.sh --cross (cross g++, binutils, qemu-user), then makes
# the sysroot with scripts/cross-sysroot.sh (root needed the first time, for apt).
# Environment: TW_SYSROOT (see cross-sysroot.sh), TW_JOBS (default 2),
#              TW_CTEST_TIMEOUT (seconds per test without its own TIMEOUT, default 300).
set -euo pipefail

arch=${1:-}
case "$arch" in
  arm64) triplet=aarch64-linux-gnu; qemu="qemu-aarch64" ;;
  armhf) triplet=arm-linux-gnueabihf; qemu="qemu-arm" ;;
  *) echo "usage: $0 arm64|armhf" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$repo/build-cross/$arch
export TW_SYSROOT=${TW_SYSROOT:-$repo/build-cross/sysroot-$arch}
jobs=${TW_JOBS:-2}

for tool in "$triplet-g++" "$triplet-strip" "$qemu" /usr/bin/protoc cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool not found: run scripts/install-deps.sh --cross (as root)" >&2
    exit 1
  fi
done

t0=$SECONDS
bash "$repo/scripts/cross-sysroot.sh" "$arch"
t_sysroot=$((SECONDS - t0))

t0=$SECONDS
cmake -S "$repo" -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchain-$triplet.cmake" \
  -DTW_SYSROOT="$TW_SYSROOT" \
  -DTW_FIRMWARE_ONLY=ON \
  -DCMAKE_BUILD_TYPE=MinSizeRel
cmake --build "$build" -j"$jobs"
t_build=$((SECONDS - t0))

t0=$SECONDS
# Tests run through CMAKE_CROSSCOMPILING_EMULATOR (qemu); no tests at all is an error.
ctest --test-dir "$build" --output-on-failure --no-tests=error \
  --timeout "${TW_CTEST_TIMEOUT:-300}"
t_test=$((SECONDS - t0))

agent=$(find "$build" -path "$build/CMakeFiles" -prune -o \
  -type f -name tidewire-agent -perm -u+x -print | head -n1)
if [[ -z $agent ]]; then
  echo "no tidewire-agent executable under $build" >&2
  exit 1
fi
out=$build/tidewire-agent.stripped
"$triplet-strip" --strip-all -o "$out" "$agent"
size=$(stat -c %s "$out")

echo "cross-build $arch: sysroot ${t_sysroot}s, build ${t_build}s, tests ${t_test}s"
echo "tidewire-agent ($arch, stripped): $size bytes  ($out)"
