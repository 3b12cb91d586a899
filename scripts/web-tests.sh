#!/usr/bin/env bash
# The web client's tests (docs/web.md):
#   - node's test runner over Tests/web/*.test.mjs: the OT core against the Swift-generated
#     Tests/Fixtures/ot-scenarios.json and the editing traces, the sync client against an
#     in-memory server, the textarea mapping, the highlighter, the page's budget and rules;
#   - Tests/web/browser_test.py: two real headless Chromiums (Debian's chromium and
#     chromium-driver, Selenium from PyPI in a venv) against Tests/web/devserver.mjs;
#   - Tests/web/browser_debug_test.py: the run and debug panels against the real `mesh serve`
#     ($MESH_BIN, default .build/debug/mesh) with the sandbox: it needs dockerd
#     (scripts/docker-daemon.sh start) and the runtime image (`mesh runtime build`), which
#     scripts/test.sh provides before it calls this script.
# On Debian, as root or under CI=true (through sudo when not root), installs nodejs, chromium and
# chromium-driver when missing; creates .build/web-venv with Selenium. Under CI=true a missing
# component (the fixture, the mesh binary, dockerd or the runtime image included) fails the run,
# never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

CI_RUN=0
case "${CI:-}" in true|1|yes) CI_RUN=1 ;; esac

apt_install() {
    [ "$#" -gt 0 ] || return 0
    if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
        echo "web-tests.sh: not Debian; install $* yourself" >&2
        return 0
    fi
    local run=()
    if [ "$(id -u)" != 0 ]; then
        if [ "$CI_RUN" = 1 ] && command -v sudo >/dev/null; then run=(sudo); else
            echo "web-tests.sh: $* missing (apt-get install $*, as root)" >&2
            return 0
        fi
    fi
    echo "web-tests.sh: apt-get install $*" >&2
    "${run[@]+"${run[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
        || { "${run[@]+"${run[@]}"}" apt-get update -q >&2 && "${run[@]+"${run[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; } \
        || echo "web-tests.sh: could not install $*" >&2
}

wanted=()
command -v node >/dev/null || wanted+=(nodejs)
command -v chromium >/dev/null || wanted+=(chromium)
command -v chromedriver >/dev/null || wanted+=(chromium-driver)
apt_install "${wanted[@]+"${wanted[@]}"}"

VENV=.build/web-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
    echo "web-tests.sh: creating $VENV (selenium)" >&2
    mkdir -p .build
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'selenium>=4.20,<5' || echo "web-tests.sh: could not install selenium" >&2
fi

status=0
node --test Tests/web/*.test.mjs || status=1
"$VENV/bin/python" Tests/web/browser_test.py || status=1
MESH_BIN="${MESH_BIN:-.build/debug/mesh}" "$VENV/bin/python" Tests/web/browser_debug_test.py || status=1
exit $status
