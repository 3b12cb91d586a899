"""Which Emacs the editor tests run, and the load path that gives it eglot."""

from __future__ import annotations

import functools
import glob
import os
import subprocess

EMACS = os.environ.get("EMACS_BIN", "emacs")


@functools.cache
def load_path() -> tuple[str, ...]:
    """`-L DIR` arguments: MESH_EMACS_LOAD_PATH, then Debian's elpa-* packages (eglot 1.9 on
    Debian 12) unless this Emacs has eglot built in (29+), which is then preferred."""
    dirs = [d for d in os.environ.get("MESH_EMACS_LOAD_PATH", "").split(":") if d]
    try:
        builtin = subprocess.run([EMACS, "--batch", "-Q", "--eval", "(require 'eglot)"],
                                 capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        builtin = False
    if not builtin:
        dirs += sorted(glob.glob("/usr/share/emacs/site-lisp/elpa/*"))
    return tuple(arg for d in dirs for arg in ("-L", d))
