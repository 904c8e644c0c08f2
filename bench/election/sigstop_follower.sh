#!/bin/bash
# sigstop_follower.sh: does a follower that was SIGSTOPped step down when it resumes? (issue 8:
# "a process that stalled must not step down on its next Tick while peer messages that prove
# the quorum is alive wait unread"). Measures; asserts nothing; never in ctest.
#
#   bench/election/sigstop_follower.sh ZABD [PAUSE_MS=1000] [ROUNDS=5]
#
# Each round: a fresh 3-node cluster on 127.0.0.1 (tick_time_ms 50, sync_limit 5 = 250 ms),
# one SET, SIGSTOP one follower for PAUSE_MS, SIGCONT, 1 s later one more SET through it; then
# the follower's step_down and stall events are counted from its event log. Needs redis-cli and
# python3 (free ports). Kills only the processes it started, by pid, and removes its temp dirs.
set -u
ZABD=${1:?usage: sigstop_follower.sh ZABD [PAUSE_MS] [ROUNDS]}
PAUSE_MS=${2:-1000}
ROUNDS=${3:-5}
[ -x "$ZABD" ] || { echo "sigstop_follower.sh: $ZABD is not executable" >&2; exit 2; }
case "$PAUSE_MS$ROUNDS" in *[!0-9]*) echo "sigstop_follower.sh: PAUSE_MS and ROUNDS are integers" >&2; exit 2;; esac
PIDS=()
DIR=""
cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=()
  [ -n "$DIR" ] && rm -rf "$DIR"
  DIR=""
}
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
stepped=0
for r in $(seq "$ROUNDS"); do
  DIR=$(mktemp -d /tmp/sigstop-follower-XXXXXX)
  declare -A C P
  echo "nodes:" > "$DIR/c.yaml"
  for i in 1 2 3; do
    C[$i]=$(port); P[$i]=$(port)
    echo "  - {id: $i, client: 127.0.0.1:${C[$i]}, peer: 127.0.0.1:${P[$i]}}" >> "$DIR/c.yaml"
  done
  printf "data_dir: %s/data\ntick_time_ms: 50\ninit_limit: 10\nsync_limit: 5\nread_mode: linearizable\nsecret: s\nsnapshot_every: 10000\n" "$DIR" >> "$DIR/c.yaml"
  declare -A PID
  for i in 1 2 3; do
    "$ZABD" --config "$DIR/c.yaml" --id $i --log-level warn > "$DIR/n$i.out" 2>&1 &
    PID[$i]=$!; PIDS+=($!)
  done
  F=""
  for _ in $(seq 100); do  # up to 10 s for a follower in broadcast
    for i in 1 2 3; do
      out=$(redis-cli -p "${C[$i]}" ROLE 2>/dev/null | tr '\n' ' ')
      case "$out" in following*broadcast*) F=$i; break;; esac
    done
    [ -n "$F" ] && break
    sleep 0.1
  done
  if [ -z "$F" ]; then echo "round $r: no follower in broadcast within 10 s"; cleanup; continue; fi
  redis-cli -p "${C[$F]}" SET a 1 > /dev/null
  kill -STOP "${PID[$F]}"
  sleep "$(python3 -c "print($PAUSE_MS/1000)")"
  kill -CONT "${PID[$F]}"
  sleep 1
  reply=$(redis-cli -p "${C[$F]}" SET b 2 2>&1)
  E="$DIR/data/$F/events.jsonl"
  n=$(grep -c '"step_down"' "$E")
  [ "$n" -gt 0 ] && stepped=$((stepped + 1))
  echo "round $r: follower $F paused ${PAUSE_MS} ms: step_down $n, stall events $(grep -c '"stall"' "$E"), SET after: $reply $(grep '"step_down"' "$E" | grep -o '"reason":"[^"]*"' | sort | uniq -c | tr '\n' ' ')"
  cleanup
done
echo "sigstop_follower: $stepped of $ROUNDS rounds stepped down (pause ${PAUSE_MS} ms, sync_limit 250 ms)"
