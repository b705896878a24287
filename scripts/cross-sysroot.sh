#!/usr/bin/env bash
# Builds a target-arch sysroot for the cross builds without installing any foreign-arch
# package into the host system:
#   scripts/cross-sysroot.sh arm64|armhf
# The Debian .debs of the firmware's libraries are fetched with `apt-get download`
# into a cache and unpacked with `dpkg-deb -x`. libc and libstdc++ are not in it: the
# cross compiler brings its own under /usr/<triplet>.
#
# Environment (all optional):
#   TW_SYSROOT          where to unpack       (default: <repo>/build-cross/sysroot-ARCH)
#   TW_CROSS_CACHE      where .debs are kept  (default: ~/.cache/tidewire/cross-debs)
#   TW_CROSS_EXTRA_PKGS more package names, space separated (e.g. "libssl-dev")
#   TW_CROSS_REFRESH=1  resolve against fresh apt indexes even if the cache is complete
# Idempotent: when the sysroot's stamp matches the package list it returns at once.
set -euo pipefail

arch=${1:-}
case "$arch" in
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *) echo "usage: $0 arm64|armhf" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sysroot=${TW_SYSROOT:-$repo/build-cross/sysroot-$arch}
cache_root=${TW_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tidewire/cross-debs}
cache=$cache_root/$arch

# What the firmware subset links (mosquitto, protobuf, sqlite, gtest) and what those
# libraries need in turn, minus libc6/libgcc-s1/libstdc++6 (from the cross toolchain).
pkgs=(
  libmosquitto1 libmosquitto-dev libssl3
  libprotobuf32 libprotobuf-lite32 libprotobuf-dev
  zlib1g zlib1g-dev
  libsqlite3-0 libsqlite3-dev
  libgtest-dev libgmock-dev
)
read -r -a extra <<<"${TW_CROSS_EXTRA_PKGS:-}"
pkgs+=("${extra[@]}")
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)

layout=2   # bump when the unpacked layout changes, to force a rebuild of old sysroots
want="layout=$layout arch=$arch pkgs=${pkgs[*]}"
stamp=$sysroot/.tidewire-sysroot
if [[ -f $stamp && "$(head -n1 "$stamp")" == "$want" ]]; then
  echo "sysroot $sysroot is up to date"
  exit 0
fi

mkdir -p "$cache"
manifest=$cache/manifest
# Two builds (arm64, armhf) may run at once: apt's lists and the cache are shared.
exec 9>"$cache_root/.lock"
flock 9

apt_update() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "not root: using the apt indexes as they are (run as root to refresh them)" >&2
    return 0
  fi
  dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
  # A mirror mid-sync makes one index fail to fetch; retry, then go on with what we have.
  local try
  for try in 1 2 3; do
    apt-get update -qq && return 0
    echo "apt-get update failed (try $try)" >&2
    [[ $try -lt 3 ]] && sleep 5
  done
  echo "going on with the indexes apt has" >&2
}

cached_debs() {  # prints the cached .deb paths if the cache manifest covers $want
  [[ -f $manifest && "$(head -n1 "$manifest")" == "$want" ]] || return 1
  local f
  while read -r f; do
    [[ -f $cache/$f ]] || return 1
    echo "$cache/$f"
  done < <(tail -n +2 "$manifest")
}

if [[ ${TW_CROSS_REFRESH:-0} == 1 ]] || ! cached_debs >/dev/null; then
  apt_update
  targets=()
  for p in "${pkgs[@]}"; do targets+=("$p:$arch"); done
  # --print-uris resolves the candidate versions without downloading anything:
  # 'URI' file size hash. It leaves out files already in the current directory, so it
  # runs in an empty one. Fetch only what the cache lacks.
  empty=$cache/.resolve
  rm -rf "$empty" && mkdir "$empty"
  uris=$(cd "$empty" && apt-get download -qq --print-uris "${targets[@]}")
  files=()
  missing=()
  while read -r _ f _; do
    files+=("$f")
    [[ -f $cache/$f ]] || missing+=("${f%%_*}:$arch")   # pkg_version_arch.deb
  done <<<"$uris"
  if ((${#files[@]} != ${#pkgs[@]})); then
    echo "apt resolved ${#files[@]} files for ${#pkgs[@]} packages:" >&2
    echo "$uris" >&2
    exit 1
  fi
  if ((${#missing[@]})); then
    echo "downloading ${#missing[@]} $arch packages into $cache"
    (cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "${missing[@]}")
  fi
  { echo "$want"; printf '%s\n' "${files[@]}"; } >"$manifest.new"
  mv "$manifest.new" "$manifest"
  # Drop superseded versions.
  for f in "$cache"/*.deb; do
    grep -qxF "$(basename "$f")" "$manifest" || rm -f "$f"
  done
fi
mapfile -t debs < <(cached_debs)

# Unpack into a fresh directory next to the sysroot, then swap it in.
tmp=$sysroot.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
for d in "${debs[@]}"; do dpkg-deb -x "$d" "$tmp"; done
rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/lintian"

# Debian's links are absolute (e.g. libz.so -> /lib/<triplet>/libz.so.1.2.13): in a
# sysroot they would point at the host's libraries. Make them relative.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [[ $target == /* ]] || continue
  ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link"
done < <(find "$tmp" -type l -print0)

# Every library in the sysroot must find what it needs, in the sysroot or in the
# cross toolchain's libc dir: catches a package missing from the list above.
libdirs=("$tmp/usr/lib/$triplet" "$tmp/lib/$triplet" "/usr/$triplet/lib")
readelf=$triplet-readelf
if command -v "$readelf" >/dev/null; then
  bad=0
  while IFS= read -r -d '' so; do
    while read -r needed; do
      found=0
      for dir in "${libdirs[@]}"; do [[ -e $dir/$needed ]] && { found=1; break; }; done
      if ((!found)); then echo "${so#"$tmp"/} needs $needed: not in the sysroot" >&2; bad=1; fi
    done < <("$readelf" -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  done < <(find "$tmp/usr/lib/$triplet" "$tmp/lib/$triplet" -maxdepth 1 -type f -name '*.so*' -print0 2>/dev/null)
  if ((bad)); then echo "add the missing packages to $0 (or TW_CROSS_EXTRA_PKGS)" >&2; exit 1; fi
else
  echo "warning: $readelf not found, not checking the sysroot's library dependencies" >&2
fi

{ echo "$want"; printf '%s\n' "${debs[@]##*/}"; } >"$tmp/.tidewire-sysroot"
# Replace only what this script made (a stamp inside) or an empty directory.
if [[ -e $sysroot && ! -f $stamp ]] && [[ -n "$(ls -A "$sysroot" 2>/dev/null)" ]]; then
  echo "$sysroot exists and is not a sysroot made by $0: not replacing it" >&2
  exit 1
fi
rm -rf "$sysroot"
mv "$tmp" "$sysroot"
trap - EXIT
echo "sysroot $sysroot ready (${#debs[@]} packages)"
