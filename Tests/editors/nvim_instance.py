"""One embedded, headless Neovim driven through pynvim, with the test helpers of
mesh_test.lua loaded, either with the editors/nvim plugin (`require('mesh').setup()`, or with
`enable`: only `vim.lsp.enable('mesh')` and the plugin's lsp/mesh.lua, finding `mesh` on the
child's PATH) or with a plain vim.lsp.start."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mesh_fixture import Account, Failure

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "editors" / "nvim"
HELPERS_LUA = Path(__file__).with_name("mesh_test.lua")


@dataclass
class Instance:
    name: str
    account: Account
    folder: Path
    plugin: bool
    nvim_bin: str
    mesh: str
    root: Path
    nvim: object = None
    log_level: str = "warn"
    tap: bool = False
    versioned_edits: bool = False  # plain instance advertises workspaceEdit.documentChanges
    debounce: int | None = None  # flags.debounce_text_changes (None: the plugin's 50, Neovim's 150)
    enable: bool = False  # with plugin: vim.lsp.enable('mesh') (lsp/mesh.lua) instead of setup()
    env: dict | None = None  # extra environment of the Neovim process (and so of its mesh lsp)
    edits: int = 0
    pid: int = 0

    def start(self, file: str) -> None:
        import pynvim

        state = self.root / f"state-{self.name}"
        state.mkdir(exist_ok=True)
        # The child inherits the environment: a private state dir keeps each lsp.log apart.
        extra = {"XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(state / "config"),
                 "XDG_DATA_HOME": str(state / "data"), **(self.env or {})}
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        try:
            self.nvim = pynvim.attach("child", argv=[self.nvim_bin, "--embed", "--headless", "--clean",
                                                     "-n", "-i", "NONE"])
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.pid = self.nvim.call("getpid")
        self.lua("dofile(...)", str(HELPERS_LUA))
        self.lua("vim.lsp.set_log_level(...); vim.o.shortmess = vim.o.shortmess .. 'sWF'", self.log_level)
        env = {"MESH_HOME": str(self.account.home)}
        # The server command: `mesh lsp`, or the same behind lsp_tap.py recording every message.
        cmd = [self.mesh, "lsp"]
        if self.tap:
            cmd = [sys.executable, str(Path(__file__).with_name("lsp_tap.py")),
                   str(self.root / f"trace-{self.name}.jsonl"), *cmd]
        if self.plugin and self.enable:
            # Neovim 0.11's own way: the plugin folder on the runtimepath, one call, no options
            # (`mesh` comes from PATH, MESH_HOME from the environment: see `env`).
            self.lua("""
                local plugin, file = ...
                vim.opt.rtp:prepend(plugin)
                vim.lsp.enable('mesh')
                vim.cmd.edit(vim.fn.fnameescape(file))
            """, str(PLUGIN_DIR), str(self.folder / file))
        elif self.plugin:
            self.lua("""
                local plugin, cmd, env, file, debounce = ...
                if debounce == vim.NIL then debounce = nil end
                vim.opt.rtp:prepend(plugin)
                require('mesh').setup({ cmd = cmd, cmd_env = env, debounce_text_changes = debounce })
                vim.cmd.edit(vim.fn.fnameescape(file))
            """, str(PLUGIN_DIR), cmd, env, str(self.folder / file), self.debounce)
        else:
            self.lua("""
                local cmd, env, file, root, versioned, debounce = ...
                if debounce == vim.NIL then debounce = nil end
                vim.cmd.edit(vim.fn.fnameescape(file))
                local capabilities = vim.lsp.protocol.make_client_capabilities()
                capabilities.workspace.workspaceEdit.documentChanges = versioned or nil
                vim.lsp.start({ name = 'mesh', cmd = cmd, cmd_env = env, root_dir = root, capabilities = capabilities,
                                flags = { debounce_text_changes = debounce } })
                vim.lsp.inlay_hint.enable(true)
            """, cmd, env, str(self.folder / file), str(self.folder), self.versioned_edits, self.debounce)

    def lua(self, code: str, *args):
        return self.nvim.exec_lua(code, *args)

    def text(self) -> str:
        return self.lua("return mesh_test.text()")

    def ready(self) -> bool:
        return bool(self.lua("return mesh_test.ready()"))

    def lsp_log(self) -> str:
        path = self.root / f"state-{self.name}" / "nvim" / "lsp.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no lsp.log)"

    def children(self) -> list[int]:
        """Pids of this Neovim's child processes (its `mesh lsp`)."""
        return child_pids(self.pid)

    def close(self) -> None:
        if self.nvim is None:
            return
        try:
            self.nvim.command("qa!", async_=True)
        except Exception:
            pass
        try:
            self.nvim.close()
        except Exception:
            pass
        self.nvim = None


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")


def first_difference(a: str, b: str) -> str:
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"first difference at code point {i} (lengths {len(a)} / {len(b)}): {a[max(0, i - 20):i + 20]!r} vs {b[max(0, i - 20):i + 20]!r}"


def child_pids(parent: int) -> list[int]:
    """Pids whose parent is `parent` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces or parentheses: split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_components(nvim: str, mesh: str) -> int | None:
    """The exit code when Neovim, `mesh` or pynvim is missing (a failure under CI=true, else a
    skip, said on stdout); None when everything is there."""
    missing = [what for what, ok in [(f"nvim at {nvim}", os.access(nvim, os.X_OK)),
                                     (f"mesh at {mesh}", os.access(mesh, os.X_OK))] if not ok]
    try:
        import pynvim  # noqa: F401
    except ImportError:
        missing.append("pynvim")
    if not missing:
        return None
    print(f"{'FAIL' if CI else 'SKIP'}: missing {', '.join(missing)}", flush=True)
    return 1 if CI else 0


def reap(lsp_pids: list[int], server, root: Path, keep: bool, label: str = "") -> None:
    """After the editors quit: waits up to 10 s for their `mesh lsp` processes to end (killing
    those that outlive it), stops the server, and removes the work folder unless `keep`."""
    import shutil
    import signal
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in lsp_pids):
        time.sleep(0.1)
    for pid in lsp_pids:
        if alive(pid):
            print(f"mesh lsp {pid} outlived its editor; killing it", flush=True)
            os.kill(pid, signal.SIGKILL)
    if server:
        server.stop()
    if keep:
        print(f"{label}kept {root}", flush=True)
    else:
        shutil.rmtree(root, ignore_errors=True)
