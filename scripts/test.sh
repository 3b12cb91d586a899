#!/usr/bin/env bash
# The whole Mesh test suite on a fresh Debian 12 machine: installs and starts what the tests
# need (a throwaway PostgreSQL 15 cluster on 127.0.0.1; dockerd, Go and Delve; openssl; Neovim
# 0.11 in a venv; Emacs, eglot and Node.js from Debian), builds, builds the sandbox runtime image, runs
# `swift test` and the editor tests (Neovim, Emacs, the Helix / VS Code / Emacs configurations).
# Under CI=true a missing component fails the run; no test ever skips for want of one.
set -euo pipefail
cd "$(dirname "$0")/.."

export MESH_TRACES="${MESH_TRACES:-$PWD/Tests/Fixtures/traces}"
if [ ! -d "$MESH_TRACES/sequential_traces" ]; then
    echo "test.sh: editing traces not found at $MESH_TRACES (set MESH_TRACES)" >&2
    exit 1
fi

# openssl: the TLS suites make their CA and certificates with it and look at what the server
# presents (under CI=true they fail without it).
if ! command -v openssl >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "test.sh: openssl is missing (apt-get install openssl, as root)" >&2; exit 1; }
    echo "test.sh: installing openssl" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends openssl >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends openssl >&2
    fi
    command -v openssl >/dev/null || { echo "test.sh: openssl installed but not on PATH" >&2; exit 1; }
fi

# PostgreSQL for the repository and server suites (installs postgresql-15 when missing).
MESH_TEST_POSTGRES_URL="$(scripts/postgres-test-cluster.sh)"
export MESH_TEST_POSTGRES_URL
# dockerd (--bridge=none --iptables=false), Go and Delve for the sandbox and debug suites.
scripts/docker-daemon.sh start
# What the tests write (SQLite files, data folders, workspaces, servers' logs) goes to this run's
# own folder: removed after a passing run, so repeated runs do not fill /tmp; kept after a
# failing one, for its logs.
TEST_TMP="$(mktemp -d /tmp/mesh-tests.XXXXXX)"
chmod 755 "$TEST_TMP"
status=1
finish() {
    scripts/postgres-test-cluster.sh stop >/dev/null 2>&1 || true
    scripts/docker-daemon.sh stop >/dev/null 2>&1 || true
    if [ "$status" = 0 ]; then rm -rf "$TEST_TMP" || true; else echo "test.sh: the tests' files are kept in $TEST_TMP" >&2; fi
}
trap finish EXIT

# mesh-relay's own tests (build flags, launch rewriting, cache trimming, Landlock confinement).
(cd runtime/relay && go vet . && go test -count=1 .)

# Every module a target imports is declared for it in Package.swift, and every declared one used.
scripts/check-imports.py
swift build --build-tests
mkdir -p .build
# The sandbox runtime image (Go, Delve, mesh-relay from this machine's packages; no registry).
.build/debug/mesh runtime build

# Line-buffered so a log shows exactly where a run stands; a hung test ends the run (and names
# itself: every test still running is listed as started but not passed) instead of hanging CI.
status=0
HEAVY="LiveFuzzTests|DecoderFuzzTests|CookieFuzzTests|LanguageServerFuzzTests|EditorSyncModelTests"
# Several nodes: suites that run two or three servers whose heartbeats decide who is alive, so
# they run one at a time after the others (on two busy cores a starved node was taken for dead).
CLUSTER_SUITES="ClusterTests ClusterFailoverTests DebugAcrossNodesTests"
CLUSTER="${CLUSTER_SUITES// /|}"
# Suites that keep the process's shared event loops busy for a minute and more (multi-megabyte
# documents; three clients typing without pause): in the main run they held other suites'
# servers (a stop past its 60 s bound, the sandbox's liveness writes late), so they run on their
# own too.
APART_SUITES="BackpressureTests OpenDuringCommitTests"
APART="${APART_SUITES// /|}"
TMPDIR="$TEST_TMP" timeout --kill-after=30s "${MESH_TEST_TIMEOUT:-40m}" stdbuf -oL -eL swift test --skip-build --skip "$HEAVY|$CLUSTER|$APART" 2>&1 \
    | tee .build/test-output.txt || status=1
for suite in $CLUSTER_SUITES $APART_SUITES; do
    TMPDIR="$TEST_TMP" timeout --kill-after=30s "${MESH_TEST_TIMEOUT:-40m}" stdbuf -oL -eL swift test --skip-build --filter "$suite" 2>&1 \
        | tee -a .build/test-output.txt || status=1
done
# The suites that keep both cores busy for minutes (the live fuzz's 100,000 frames, the decoder
# and mesh lsp fuzzers, 70,000 editor-model scenarios) run on their own after the others, so
# that they slow no test that measures time (a refused connection answered "fast", a slow
# reader cut off within seconds).
TMPDIR="$TEST_TMP" timeout --kill-after=30s "${MESH_TEST_TIMEOUT:-40m}" stdbuf -oL -eL swift test --skip-build --filter "$HEAVY" 2>&1 \
    | tee -a .build/test-output.txt || status=1

# Real editors: headless Neovim 0.11 instances and batch Emacs through `mesh lsp`, and the
# editors' configuration files (installs Neovim in a venv, Emacs and Node.js from Debian).
TMPDIR="$TEST_TMP" timeout --kill-after=30s "${MESH_EDITOR_TEST_TIMEOUT:-10m}" scripts/editor-tests.sh || status=1

# The web client: node's test runner (the OT core against MeshOT's fixture and the traces, the
# sync client, the debug client, the page's rules), two headless Chromiums (installs chromium,
# chromium-driver and Selenium when missing), and the run and debug panels against
# .build/debug/mesh serve with the dockerd and runtime image above.
TMPDIR="$TEST_TMP" timeout --kill-after=30s "${MESH_WEB_TEST_TIMEOUT:-10m}" scripts/web-tests.sh || status=1
exit $status
