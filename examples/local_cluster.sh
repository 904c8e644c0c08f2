#!/usr/bin/env bash
# Starts a 3-node zabd cluster on 127.0.0.1 (examples/cluster.yaml ports, data in a temp dir),
# shows redis-cli against it, then stops every node it started (by pid), even on Ctrl-C.
#
#   examples/local_cluster.sh [path/to/zabd]        # default: build/bin/zabd
#   KEEP_RUNNING=1 examples/local_cluster.sh        # leave it up until Ctrl-C
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
zabd="${1:-$here/../build/bin/zabd}"
[[ -x "$zabd" ]] || { echo "no zabd binary at $zabd (build it first)" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli not found (apt-get install redis-tools)" >&2; exit 1; }

work="$(mktemp -d /tmp/zabd-example-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

for id in 1 2 3; do
  "$zabd" --config "$here/cluster.yaml" --id "$id" --data-dir "$work/$id" \
    --log-level warn >"$work/node$id.log" 2>&1 &
  pids+=("$!")
done

echo "waiting for a leader..."
for _ in $(seq 1 100); do
  if [[ "$(redis-cli -p 7001 SET hello world 2>/dev/null)" == "OK" ]]; then break; fi
  sleep 0.1
done
for port in 7001 7002 7003; do
  echo "node on :$port  ROLE = $(redis-cli -p $port ROLE | head -1)  GET hello = $(redis-cli -p $port GET hello)"
done
redis-cli -p 7002 CAS hello world there
echo "after CAS via :7002, GET hello on :7003 = $(redis-cli -p 7003 GET hello)"

if [[ -n "${KEEP_RUNNING:-}" ]]; then
  echo "cluster up on 127.0.0.1:7001-7003 (data in $work); Ctrl-C stops it"
  wait
fi
