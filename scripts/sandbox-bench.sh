#!/usr/bin/env bash
# Benchmark: what a session's own Go build cache costs. Each round shares Tests/Fixtures/go as a
# NEW session and times, in order:
#   cold run     the session's first `mesh run ./hello` (its cache volume is filled from the
#                image's sealed cache, then the build)
#   warm run     the same run again (the session's cache now holds hello's build)
#   debug launch `initialize` (the container starts) and `launch` → first `stopped` through
#                `mesh dap` in that session (Delve builds debugme with the session's cache)
#   cold debug   the same launch as the FIRST thing in another new session
#
#   scripts/sandbox-bench.sh [ROUNDS]   # default 5; needs dockerd and `mesh runtime build`
#
# Uses $MESH_BIN (default .build/release/mesh, else .build/debug/mesh); only 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
MESH="${MESH_BIN:-$( [ -x .build/release/mesh ] && echo "$PWD/.build/release/mesh" || echo "$PWD/.build/debug/mesh")}"
WORK="$(mktemp -d /tmp/mesh-sandbox-bench.XXXXXX)"
# Each session's 190 MB cache volume goes with the session: delete them before the server stops.
cleanup() {
    for dir in "$WORK"/project-*; do
        [ -f "$dir/.mesh/session.json" ] || continue
        "$MESH" session delete "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$dir/.mesh/session.json")" > /dev/null 2>&1 || true
    done
    kill $SERVER 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
SERVER=""

"$MESH" serve --port 0 --data-dir "$WORK/data" --bcrypt-cost 4 --log-level error > "$WORK/serve.out" 2>&1 &
SERVER=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.out" | head -1)"
export MESH_HOME="$WORK/home"
echo "bench password" | "$MESH" signup --email bench@example.test --name Bench --password-stdin --server "$URL" > /dev/null

now_ms() { date +%s%3N; }
# A new session holding the Go fixtures; prints its folder.
new_session() {
    local dir="$WORK/project-$1"
    cp -r Tests/Fixtures/go "$dir"
    "$MESH" share "$dir" > /dev/null
    echo "$dir"
}
run_ms() {
    local start; start="$(now_ms)"
    (cd "$1" && "$MESH" run ./hello > /dev/null 2>&1) || true   # hello exits with 3 on purpose
    echo $(( $(now_ms) - start ))
}
launch_ms() {
    python3 Tests/Fixtures/dap_probe.py --source Tests/Fixtures/go/debugme --program "$1/debugme" --steps 0 --pings 0 \
        -- "$MESH" dap --root "$1" \
        | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["initialize_ms"] + s["launch_to_first_stopped_ms"])'
}

echo "sandbox-bench: $ROUNDS rounds; mesh: $MESH; $(nproc) cores; $(date -u +%FT%TZ)"
cold=() warm=() debug=() cold_debug=()
for round in $(seq "$ROUNDS"); do
    dir="$(new_session "r$round")"
    c="$(run_ms "$dir")"; w="$(run_ms "$dir")"; d="$(launch_ms "$dir")"
    other="$(new_session "d$round")"
    cd_ms="$(launch_ms "$other")"
    printf 'round %2d: cold run %6d ms  warm run %6d ms  debug launch %8.1f ms  cold debug launch %8.1f ms\n' "$round" "$c" "$w" "$d" "$cd_ms"
    cold+=("$c") warm+=("$w") debug+=("$d") cold_debug+=("$cd_ms")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median: cold run $(median "${cold[@]}") ms, warm run $(median "${warm[@]}") ms, debug launch $(median "${debug[@]}") ms, cold debug launch $(median "${cold_debug[@]}") ms"
echo "cache volumes now: $(docker volume ls -q --filter name=mesh-gocache | wc -l), sizes: $(docker system df -v 2>/dev/null | awk '/mesh-gocache/ {print $NF}' | sort | uniq -c | tr '\n' ' ')"
