#!/usr/bin/env bash
# Installs what faultline needs on Debian 12 (apt packages only) and builds it into build/.
#
#   scripts/setup.sh                      what the default suite needs: faultline + zabd only
#                                         (tests and benchmarks are not even configured)
#   scripts/setup.sh --with zookeeper,etcd   also the optional systems under test
#   scripts/setup.sh --all                everything: test tools, every optional system, every
#                                         target (what scripts/run-tests.sh and CI use)
#
# Idempotent: re-running only rebuilds what changed. Installing needs root (or sudo). A build
# folder that was configured with tests keeps them (the default setup then builds only
# faultline and zabd in it).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/setup.sh [--with zookeeper,etcd] [--all]" >&2
  exit 2
}

WITH=()
ALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --with)
      [ $# -ge 2 ] || usage
      IFS=, read -r -a WITH <<< "$2"
      shift 2
      ;;
    --with=*)
      IFS=, read -r -a WITH <<< "${1#--with=}"
      shift
      ;;
    --all)
      ALL=1
      shift
      ;;
    *) usage ;;
  esac
done
if [ "$ALL" -eq 1 ]; then WITH=(zookeeper etcd); fi

# What faultline + zabd need to build and run the default suite (iptables + iproute2: partitions
# in a private network namespace when run as root).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libboost-filesystem-dev
  libyaml-cpp-dev libsqlite3-dev sqlite3
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  iptables iproute2 procps
)
# Tests and benchmarks: GoogleTest, Google Benchmark, redis-cli (zabd e2e), and for the report
# tests xmllint (JUnit schema), headless Chromium (report DOM) and curl (faultline serve).
TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev redis-tools libxml2-utils chromium curl)
for system in "${WITH[@]}"; do
  case "$system" in
    zookeeper) PACKAGES+=(zookeeper libzookeeper-mt-dev) ;;
    etcd) PACKAGES+=(etcd-server) ;;
    "") ;;
    *) echo "setup: unknown optional system '$system' (zookeeper, etcd)" >&2; exit 2 ;;
  esac
done
if [ "$ALL" -eq 1 ]; then PACKAGES+=("${TEST_PACKAGES[@]}"); fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# Unity build (CMakeLists.txt FAULTLINE_UNITY): a fresh build compiles sources 8 to a unit.
CONFIGURE=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_UNITY=ON)
if [ "$ALL" -eq 1 ]; then
  CONFIGURE+=(-DFAULTLINE_TESTS=ON)
elif [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CONFIGURE+=(-DFAULTLINE_TESTS=OFF)  # a fresh build folder for the default suite only
fi
cmake "${CONFIGURE[@]}" >/dev/null
if [ "$ALL" -eq 1 ]; then
  cmake --build "$BUILD_DIR" -j"$JOBS"
else
  cmake --build "$BUILD_DIR" -j"$JOBS" --target faultline zabd
fi
