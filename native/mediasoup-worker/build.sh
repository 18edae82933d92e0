#!/usr/bin/env bash
# Builds the mediasoup worker from the C++ source shipped in the mediasoup npm
# package, against Debian 12's libraries, for machines where mediasoup's own
# install step (a prebuilt binary from GitHub) cannot run.
#
#   native/mediasoup-worker/build.sh [--install-deps] [--check] [--force] [--jobs N]
#
# Output: native/build/mediasoup-worker, plus native/build/mediasoup-worker.key
# (mediasoup version + hash of the patches, the shim and the meson flags). A
# second run with the same key does nothing. The npm package itself is never
# edited: the worker tree is copied into native/build/work-VERSION/ and patched
# there; that folder is kept so a changed patch rebuilds only what it touches.
#
# --install-deps  apt-get installs the build tools and libraries (adding the
#                 bookworm-backports source for meson >= 1.1 if it is missing).
#                 Without it the script installs nothing and only checks.
# --check         builds and installs nothing: exit 0 when the worker is up to
#                 date, 10 when it needs a build and the tools are there, 11
#                 when it needs a build and tools are missing (npm test's setup
#                 asks this before deciding what needs root).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/native/build"
ms_dir="$root/node_modules/mediasoup"

install_deps=0
force=0
check=0
jobs="$(nproc 2>/dev/null || echo 2)"
while [ $# -gt 0 ]; do
  case "$1" in
    --install-deps) install_deps=1 ;;
    --force) force=1 ;;
    --check) check=1 ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "mediasoup-worker: $*"; }
die() { echo "mediasoup-worker: error: $*" >&2; exit 1; }

debs=(meson ninja-build pkg-config g++ python3 patch
  libuv1-dev libssl-dev libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler)

[ -f "$ms_dir/package.json" ] || die "node_modules/mediasoup is missing: run npm ci first"
ms_version="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)",*$/\1/p' "$ms_dir/package.json" | head -1)"
[ -n "$ms_version" ] || die "cannot read the mediasoup version from $ms_dir/package.json"

patches=("$here"/*.patch)
shim="$here/unordered_dense/ankerl/unordered_dense.h"
# Everything that changes the binary: mediasoup's version, the patches, the
# shim and the meson flags (not this script's comments or messages).
meson_flags=(--buildtype release -Db_ndebug=true --wrap-mode=nodownload)
key="mediasoup-$ms_version-$( (cat "${patches[@]}" "$shim"; echo "${meson_flags[*]}") | sha256sum | cut -c1-16)"
bin="$out/mediasoup-worker"

if [ "$force" = 0 ] && [ -x "$bin" ] && [ "$(cat "$out/mediasoup-worker.key" 2>/dev/null)" = "$key" ]; then
  log "up to date ($key): $bin"
  exit 0
fi

# Check every tool and library before spending minutes compiling.
check_deps() {
  missing=()
  for tool in meson ninja pkg-config c++ flatc patch; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  for mod in libuv openssl libsrtp2 flatbuffers absl_strings absl_optional absl_memory; do
    pkg-config --exists "$mod" 2>/dev/null || missing+=("pkg-config:$mod")
  done
  if command -v meson >/dev/null 2>&1 && ! printf '%s\n%s\n' 1.1.0 "$(meson --version)" | sort -V -C; then
    missing+=("meson>=1.1")
  fi
}
check_deps
if [ "$check" = 1 ]; then
  if [ ${#missing[@]} -gt 0 ]; then log "needs a build ($key); missing ${missing[*]}"; exit 11; fi
  log "needs a build ($key)"
  exit 10
fi
if [ ${#missing[@]} -gt 0 ] && [ "$install_deps" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # bookworm's meson is 1.0.1; the worker's meson.build needs >= 1.1.
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding the bookworm-backports apt source (meson >= 1.1)"
    cat > /etc/apt/sources.list.d/ketang-bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  log "installing Debian build dependencies"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -t bookworm-backports meson >/dev/null
  apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
  check_deps
fi
if [ ${#missing[@]} -gt 0 ]; then
  die "missing ${missing[*]}; install them with: $0 --install-deps (Debian: ${debs[*]}, meson from bookworm-backports)"
fi
meson_version="$(meson --version)"

start=$(date +%s)
work="$out/work-$ms_version"
stage="$work/stage"
log "building $key with meson $meson_version, $jobs jobs, in $work"
rm -rf "$stage"
mkdir -p "$stage" "$work/src"
# Everything but the meson subprojects (wraps that would download sources).
( cd "$ms_dir/worker" && tar --exclude=./subprojects --exclude=./out -cf - . ) | tar -xf - -C "$stage"
for p in "${patches[@]}"; do
  log "applying $(basename "$p")"
  patch -d "$stage" -p1 --batch --forward --quiet < "$p" || die "$(basename "$p") does not apply to mediasoup $ms_version"
done
mkdir -p "$stage/deps/unordered_dense/include/ankerl"
cp "$shim" "$stage/deps/unordered_dense/include/ankerl/"
# Only files whose content changed replace the previous build's copy, so a
# changed patch recompiles only what it touches (a fresh clone builds all).
( cd "$stage" && find . -type f ) | while IFS= read -r f; do
  if ! cmp -s "$stage/$f" "$work/src/$f"; then
    mkdir -p "$(dirname "$work/src/$f")"
    cp "$stage/$f" "$work/src/$f"
  fi
done
rm -rf "$stage"

# Same release flags as mediasoup's own build (tasks.py); no wrap may download.
if [ ! -f "$work/build/build.ninja" ]; then
  rm -rf "$work/build"
  meson setup "$work/build" "$work/src" "${meson_flags[@]}" >"$work/meson-setup.log" 2>&1 \
    || { tail -40 "$work/meson-setup.log" >&2; die "meson setup failed (log: $work/meson-setup.log)"; }
fi
ninja -C "$work/build" -j "$jobs" mediasoup-worker >"$work/ninja.log" 2>&1 \
  || { grep -B2 -A12 -m3 'error' "$work/ninja.log" >&2 || tail -40 "$work/ninja.log" >&2; die "compile failed (log: $work/ninja.log)"; }

cp "$work/build/mediasoup-worker" "$bin.tmp"
strip "$bin.tmp" 2>/dev/null || true
mv -f "$bin.tmp" "$bin"
echo "$key" > "$out/mediasoup-worker.key"
log "built $bin in $(( $(date +%s) - start )) s"
