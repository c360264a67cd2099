#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a Debian 12 machine for leakscan and builds it.
#   bash setup.sh                   install packages (and npm, for the README's
#                                   scan of a real package), build ./build/leakscan
#   bash setup.sh test              ... then run the whole test suite
#   bash setup.sh test --sanitize   ... the same in an ASan+UBSan build (build-asan/)
# Installs only what is missing; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")"

PKGS=(build-essential meson ninja-build pkg-config git ca-certificates python3
      libhyperscan-dev libpcre2-dev libyaml-dev zlib1g-dev libisal-dev libmd-dev libcmocka-dev
      liblzma-dev libbz2-dev libzstd-dev libarchive-dev
      python3-jsonschema
      zip xz-utils zstd bzip2 binutils libarchive-tools rpm cpio time)

mode="${1:-build}"
# The README's scan command fetches a real package with npm; the tests
# never need it, so only a plain build installs it.
if [ "$mode" = build ] && ! command -v npm >/dev/null 2>&1; then
  PKGS+=(npm)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

sanitize=0
[ "${2:-}" = "--sanitize" ] && sanitize=1

builddir=build
opts=(-Dwerror=true)
if [ $sanitize -eq 1 ]; then
  builddir=build-asan
  opts+=(-Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug)
fi
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "${opts[@]}" >/dev/null
fi
# Meson's own output goes to a log; on failure show it.
if ! meson compile -C "$builddir" >"$builddir/compile.log" 2>&1; then
  cat "$builddir/compile.log" >&2
  exit 1
fi

# The binary lives in src/; a link at the top of the build folder is what
# the README and the benches name.
ln -sfn src/leakscan "$builddir/leakscan"

case "$mode" in
  build) echo "setup: built $builddir/leakscan" >&2 ;;
  test)
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    meson test -C "$builddir" --print-errorlogs --num-processes 2 \
      ${LEAKSCAN_TEST_ARGS:-}
    ;;
  *) echo "usage: bash setup.sh [build|test [--sanitize]]" >&2; exit 2 ;;
esac
