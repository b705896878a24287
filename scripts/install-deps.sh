#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and demo Tidewire.
#   scripts/install-deps.sh          native toolchain, libraries, mosquitto broker
#   scripts/install-deps.sh --cross  also the arm64/armhf cross toolchains and
#                                    qemu-user (used by .ci/run); the target-arch
#                                    libraries are not installed into the system:
#                                    scripts/cross-sysroot.sh unpacks them into a
#                                    sysroot under build-cross/
# Idempotent: packages already installed are skipped, so a warm machine costs ~1 s.
set -euo pipefail

native=(
  build-essential cmake pkg-config git ca-certificates curl
  mosquitto mosquitto-clients libmosquitto-dev
  libpaho-mqtt-dev libpaho-mqttpp-dev
  libsqlite3-dev sqlite3
  libprotobuf-dev protobuf-compiler
  libboost-dev
  libzstd-dev
  libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
)
# Host-arch packages only. Installing :arm64/:armhf libraries next to the amd64 ones
# breaks whenever the foreign indexes lag (Multi-Arch: same packages must match
# versions across archs), so those come via scripts/cross-sysroot.sh instead.
cross=(
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
  g++-arm-linux-gnueabihf binutils-arm-linux-gnueabihf
  qemu-user
)

want=("${native[@]}")
if [[ "${1:-}" == "--cross" ]]; then want+=("${cross[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "run as root (or: sudo $0 $*) to install them with apt-get" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
# A mirror mid-sync makes one index fail to fetch; retry, then go on with what we have.
for try in 1 2 3; do apt-get update -qq && break; echo "apt-get update failed (try $try), retrying" >&2; sleep 5; done
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The test suite starts its own brokers; the packaged system service is not wanted.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
