#!/usr/bin/env python3
"""Emacs end-to-end check for editors/emacs/mesh.el: eglot drives `mesh lsp` next to a plain
headless Neovim, against a real `mesh serve` on 127.0.0.1.

Ada shares a folder and edits in Neovim; Eve joins and edits in batch Emacs (emacs_check.el).
Each must see the other's line, and the server's text must hold both. Needs `emacs` (28+)
with eglot on its load path (Debian: elpa-eglot); MESH_EMACS_LOAD_PATH adds directories.
Exit status: 0 pass (or skip outside CI), 1 failure.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mesh_fixture import Account, Failure, Server, log, run_mesh  # noqa: E402
from nvim_instance import REPO, Instance, wait_until  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def load_path() -> list[str]:
    dirs = os.environ.get("MESH_EMACS_LOAD_PATH", "").split(":")
    dirs += sorted(glob.glob("/usr/share/emacs/site-lisp/elpa/*"))  # Debian's elpa-* packages
    return [arg for d in dirs if d for arg in ("-L", d)] + ["-L", str(REPO / "editors" / "emacs")]


def main() -> int:
    mesh = os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh"))
    nvim = os.environ.get("NVIM_BIN", "nvim")
    if not shutil.which("emacs"):
        print(("FAIL" if CI else "SKIP") + ": emacs not found", flush=True)
        return 1 if CI else 0
    base = REPO / ".build" / "editor-tests"
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="emacs-", dir=base))
    server = Server(mesh, root)
    editor = None
    ok = False
    try:
        accounts = {}
        for key, name in (("ada", "Ada"), ("eve", "Eve")):
            home = root / f"home-{key}"
            run_mesh(mesh, ["signup", "--email", f"{key}@example.test", "--name", name, "--password-stdin",
                            "--server", server.url], home, stdin=f"{key} password 123\n")
            accounts[key] = Account(home=home, name=name, mesh=mesh, server=server.url)
        ada_dir, eve_dir = root / "ada", root / "eve"
        ada_dir.mkdir()
        (ada_dir / "notes.txt").write_text("hello 🎉\nsecond line\n", encoding="utf-8")
        shared = run_mesh(mesh, ["share", str(ada_dir), "--server", server.url], accounts["ada"].home)
        run_mesh(mesh, ["join", shared["invite"]["code"], str(eve_dir), "--server", server.url], accounts["eve"].home)

        editor = Instance(name="ada-nvim", account=accounts["ada"], folder=ada_dir, plugin=False,
                          nvim_bin=nvim, mesh=mesh, root=root)
        editor.start("notes.txt")
        wait_until(editor.ready, 30, what="Neovim to attach mesh lsp")

        env = dict(os.environ, MESH_HOME=str(accounts["eve"].home), MESH_FILE=str(eve_dir / "notes.txt"),
                   PATH=f"{Path(mesh).parent}:{os.environ['PATH']}")
        env = {k: v for k, v in env.items() if not k.startswith("MESH_") or k in ("MESH_HOME", "MESH_FILE")}
        emacs = subprocess.Popen(["emacs", "--batch", "-Q", *load_path(), "-l", str(Path(__file__).with_name("emacs_check.el"))],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            # When Emacs's line arrives in Neovim, answer with one of Neovim's.
            wait_until(lambda: "emacs was here" in editor.text() or emacs.poll() is not None, 60, interval=0.2,
                       what="Emacs's line in Neovim")
            log(f"Neovim shows: {editor.text()!r}")
            editor.lua("vim.api.nvim_buf_set_lines(0, -1, -1, true, { 'nvim was here' })")
            output, _ = emacs.communicate(timeout=60)
        finally:
            if emacs.poll() is None:
                emacs.kill()
        run = subprocess.CompletedProcess(emacs.args, emacs.returncode, "", output)
        print(run.stderr[:4000], flush=True)
        if run.returncode != 0 or "OK" not in run.stderr:
            raise Failure(f"emacs exited {run.returncode}")
        docs = accounts["ada"].get(f"/v1/sessions/{shared['session']['id']}/documents")
        text = accounts["ada"].get(f"/v1/sessions/{shared['session']['id']}/documents/{docs[0]['id']}")["text"]
        expected = "emacs was here\nhello 🎉\nsecond line\nnvim was here\n"
        wait_until(lambda: editor.text() == expected, 10, what="Neovim to show the final text")
        assert text == expected, f"server text {text!r}, expected {expected!r}"
        log("emacs: eglot + mesh.el edited alongside Neovim; both lines on the server")
        ok = True
    except (Failure, AssertionError, subprocess.TimeoutExpired) as error:
        print(f"FAIL: {error}; work dir {root}", flush=True)
    finally:
        if editor:
            editor.close()
        server.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
