#!/bin/bash
# Replay fidelity (issue 12), by hand: for each fault point and its random suite in the detection
# matrix (workloads/detection.yaml), one 10 s run with the fault point (seed 1, else the next seed
# until a checker finds it invalid, up to 3), then `faultline replay RUN --repeat 3`.
#   bench/sim/replay_fidelity.sh [BUILD_DIR] [WORK_DIR] [POINT:SUITE ...]   (as root: iptables)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FL=${1:-$ROOT/build}/bin/faultline
WORK=${2:-$(mktemp -d /tmp/replay_fidelity.XXXXXX)}
cd "$WORK" || exit 2
echo "work dir: $WORK"
PAIRS=("${@:3}")
if [ ${#PAIRS[@]} = 0 ]; then
  PAIRS=(zk-1154:partition-leader zk-2845:kill-restart zk-3911:power-cut-slow-sync
         zk-4643:power-cut-slow-sync snapshot-uncommitted-tail:kill-restart
         commit-without-quorum:partition-leader vote-ignores-zxid:kill-elect
         no-epoch-fence:pause-leader local-read-as-linearizable:stale-reads
         forget-accepted-epoch:slow-discovery ack-before-fsync:power-cut)
fi
for pair in "${PAIRS[@]}"; do
  fault=${pair%%:*}; suite=${pair##*:}
  sed "s/tick_time_ms: 50}/tick_time_ms: 50, extra_flags: [--fault, $fault]}/" \
    "$ROOT/workloads/detection/$suite.yaml" > "$fault-$suite.yaml"
  run=0
  for seed in 1 2 3; do
    "$FL" run "$fault-$suite.yaml" --time-limit 10s --seed $seed > "run-$fault-$seed.log" 2>&1
    rc=$?
    id=$(grep -m1 -o '^run [0-9]*' "run-$fault-$seed.log" | cut -d' ' -f2)
    if [ "$rc" = 1 ]; then run=$id; break; fi
  done
  if [ "$run" = 0 ]; then echo "$fault ($suite): no invalid run in 3 seeds"; continue; fi
  echo "== $fault ($suite, run $run)"
  "$FL" replay "$run" --repeat 3 2>&1 | grep -E "^replay [0-9]|^replay fidelity"
done
