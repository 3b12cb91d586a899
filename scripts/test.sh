#!/usr/bin/env bash
# The whole Mesh test suite on a fresh Debian 12 machine: installs and starts what the tests
# need (a throwaway PostgreSQL 15 cluster on 127.0.0.1), builds, and runs `swift test`.
# Under CI=true a missing component fails the run; no test ever skips for want of one.
set -euo pipefail
cd "$(dirname "$0")/.."

export MESH_TRACES="${MESH_TRACES:-$(cd .. && pwd)/shared/traces}"
if [ ! -d "$MESH_TRACES/sequential_traces" ]; then
    echo "test.sh: editing traces not found at $MESH_TRACES (set MESH_TRACES)" >&2
    exit 1
fi

# PostgreSQL for the repository and server suites (installs postgresql-15 when missing).
MESH_TEST_POSTGRES_URL="$(scripts/postgres-test-cluster.sh)"
export MESH_TEST_POSTGRES_URL
trap 'scripts/postgres-test-cluster.sh stop >/dev/null 2>&1 || true' EXIT

swift build --build-tests
mkdir -p .build
# Line-buffered so a log shows exactly where a run stands; a hung test ends the run (and names
# itself: every test still running is listed as started but not passed) instead of hanging CI.
timeout --kill-after=30s "${MESH_TEST_TIMEOUT:-40m}" stdbuf -oL -eL swift test --skip-build 2>&1 \
    | tee .build/test-output.txt
