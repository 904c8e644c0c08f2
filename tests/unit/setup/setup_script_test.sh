#!/usr/bin/env bash
# scripts/setup.sh's choices, with cmake and dpkg-query replaced by recorders (nothing is
# installed or built): the default builds only faultline + zabd with tests not configured,
# --with adds the optional systems' packages, --all configures and builds everything, bad
# arguments are refused with exit 2 and a line saying why.
set -uo pipefail
SRC=${1:?usage: setup_script_test.sh SOURCE_DIR}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin"
cat > "$TMP/bin/cmake" <<'SH'
#!/bin/sh
echo "cmake $*" >> "$RECORD"
SH
cat > "$TMP/bin/dpkg-query" <<'SH'
#!/bin/sh
echo "dpkg-query $*" >> "$RECORD"
printf 'install ok installed'
SH
chmod +x "$TMP/bin/cmake" "$TMP/bin/dpkg-query"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME ARGS...: runs setup.sh with a fresh build folder; sets $out, $rc, $rec.
run() {
  local name=$1
  shift
  export RECORD="$TMP/$name.record"
  : > "$RECORD"
  out=$(PATH="$TMP/bin:$PATH" BUILD_DIR="$TMP/$name-build" bash "$SRC/scripts/setup.sh" "$@" 2>&1)
  rc=$?
  rec=$(cat "$RECORD")
}
has() { grep -qF -- "$2" <<< "$1"; }

run default
[ "$rc" -eq 0 ] || fail "default: exit $rc: $out"
has "$rec" "-DFAULTLINE_TESTS=OFF" || fail "default: tests configured: $rec"
has "$rec" "--target faultline zabd" || fail "default: builds more than faultline + zabd: $rec"
has "$rec" "-DFAULTLINE_UNITY=ON" || fail "default: not a unity build: $rec"
has "$rec" "libgtest-dev" && fail "default: asks for GoogleTest: $rec"
has "$rec" "zookeeper" && fail "default: asks for ZooKeeper: $rec"

run with --with zookeeper,etcd
[ "$rc" -eq 0 ] || fail "--with: exit $rc: $out"
for p in zookeeper libzookeeper-mt-dev etcd-server; do
  has "$rec" "dpkg-query -W -f=\${Status} $p" || fail "--with: $p not checked: $rec"
done
has "$rec" "--target faultline zabd" || fail "--with: builds more than faultline + zabd: $rec"

run all --all
[ "$rc" -eq 0 ] || fail "--all: exit $rc: $out"
has "$rec" "-DFAULTLINE_TESTS=ON" || fail "--all: tests not configured: $rec"
has "$rec" "--target" && fail "--all: builds only some targets: $rec"
has "$rec" "-DFAULTLINE_UNITY=ON" || fail "--all: not a unity build: $rec"
for p in libgtest-dev chromium curl zookeeper libzookeeper-mt-dev etcd-server; do
  has "$rec" " $p" || fail "--all: $p not checked: $rec"
done

run unknown --with cassandra
[ "$rc" -eq 2 ] || fail "--with cassandra: exit $rc"
has "$out" "unknown optional system 'cassandra'" || fail "--with cassandra: $out"
has "$rec" "cmake" && fail "--with cassandra: built anyway: $rec"

run bogus --bogus
[ "$rc" -eq 2 ] || fail "--bogus: exit $rc"
has "$out" "usage: scripts/setup.sh" || fail "--bogus: $out"

run missing --with
[ "$rc" -eq 2 ] || fail "--with without a value: exit $rc"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "setup.sh: default, --with, --all and bad arguments as expected"
