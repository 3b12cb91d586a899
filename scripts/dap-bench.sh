#!/usr/bin/env bash
# Benchmark: `launch` → first `stopped` at a breakpoint, and `next` → `stopped` round trips
# (STEPS per round, inside a loop), through Mesh (editor → mesh dap → server → Delve in a fresh
# sandbox container) and through a direct `dlv dap` on this machine, side by side in one run, on
# Tests/Fixtures/go/debugme.
#
#   scripts/dap-bench.sh [ROUNDS] [STEPS]   # default 10 and 8; needs dockerd and `mesh runtime build`
#
# Also times PINGS (default 20) `threads` requests per round at that stop: a request Delve answers
# without touching the program, so the difference is Mesh's own transport overhead.
#
# Uses $MESH_BIN (default .build/release/mesh, else .build/debug/mesh). Prints each round and the
# medians. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-10}"
STEPS="${2:-8}"
PINGS="${PINGS:-20}"   # `threads` round trips per round: the adapter's own overhead, without Delve stepping
MESH="${MESH_BIN:-$( [ -x .build/release/mesh ] && echo "$PWD/.build/release/mesh" || echo "$PWD/.build/debug/mesh")}"
WORK="$(mktemp -d /tmp/mesh-dap-bench.XXXXXX)"
trap 'kill $SERVER $DLV 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER="" DLV=""

"$MESH" serve --port 0 --data-dir "$WORK/data" --bcrypt-cost 4 --log-level error > "$WORK/serve.out" 2>&1 &
SERVER=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.out" | head -1)"
export MESH_HOME="$WORK/home"
echo "bench password" | "$MESH" signup --email bench@example.test --name Bench --password-stdin --server "$URL" > /dev/null
cp -r Tests/Fixtures/go "$WORK/project"
"$MESH" share "$WORK/project" > /dev/null

# Prints "LAUNCH_MS|NEXT_MS NEXT_MS ...|THREADS_MS THREADS_MS ..." for one session.
probe() {
    python3 Tests/Fixtures/dap_probe.py --source Tests/Fixtures/go/debugme --steps "$STEPS" --pings "$PINGS" "$@" \
        | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["launch_to_first_stopped_ms"], " ".join(map(str, s.get("next_ms", []))), " ".join(map(str, s.get("threads_ms", []))), sep="|")'
}

echo "dap-bench: $ROUNDS rounds, $STEPS steps each; mesh: $MESH; $(nproc) cores; $(date -u +%FT%TZ)"
mesh_times=() direct_times=() mesh_next=() direct_next=() mesh_ping=() direct_ping=()
for round in $(seq "$ROUNDS"); do
    IFS='|' read -r m m_next m_ping <<< "$(probe --program "$WORK/project/debugme" -- "$MESH" dap --root "$WORK/project")"
    PORT=$((20000 + RANDOM % 20000))
    (cd Tests/Fixtures/go/debugme && exec dlv dap --listen="127.0.0.1:$PORT" > "$WORK/dlv.log" 2>&1) &
    DLV=$!
    # dlv serves one connection: wait for its "listening" line rather than probing the port.
    for _ in $(seq 100); do grep -q "listening" "$WORK/dlv.log" 2>/dev/null && break; sleep 0.05; done
    IFS='|' read -r d d_next d_ping <<< "$(probe --program "$PWD/Tests/Fixtures/go/debugme" --connect "127.0.0.1:$PORT")"
    kill $DLV 2>/dev/null || true; wait $DLV 2>/dev/null || true; DLV=""
    printf 'round %2d: mesh dap %8.1f ms   direct dlv dap %8.1f ms\n' "$round" "$m" "$d"
    mesh_times+=("$m") direct_times+=("$d")
    # shellcheck disable=SC2206
    mesh_next+=($m_next) direct_next+=($d_next) mesh_ping+=($m_ping) direct_ping+=($d_ping)
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
M="$(median "${mesh_times[@]}")" D="$(median "${direct_times[@]}")"
echo "median launch → first stopped: mesh dap $M ms, direct dlv dap $D ms, ratio $(awk -v m="$M" -v d="$D" 'BEGIN {printf "%.2f", m/d}') (target ≤ 2)"
MN="$(median "${mesh_next[@]}")" DN="$(median "${direct_next[@]}")"
echo "median next → stopped (${#mesh_next[@]} and ${#direct_next[@]} steps): mesh dap $MN ms, direct dlv dap $DN ms, difference $(awk -v m="$MN" -v d="$DN" 'BEGIN {printf "%.2f", m-d}') ms (target ≤ 1)"
if [ "${#mesh_ping[@]}" -gt 0 ]; then
    MP="$(median "${mesh_ping[@]}")" DP="$(median "${direct_ping[@]}")"
    echo "median threads → response (${#mesh_ping[@]} and ${#direct_ping[@]} requests): mesh dap $MP ms, direct dlv dap $DP ms, difference $(awk -v m="$MP" -v d="$DP" 'BEGIN {printf "%.3f", m-d}') ms"
fi
