"""The checks of neovim_native.py that need no server: `:helptags` on editors/nvim/doc, `:checkhealth
mesh` with a `mesh` that is not executable; and health(), which the shared-folder checks use too."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from mesh_fixture import Failure, log
from nvim_instance import PLUGIN_DIR

# Tags the help file must define (docs/editors.md and the brief name them).
PROMISED_TAGS = ["mesh.txt", "mesh-setup", ":checkhealth-mesh", "mesh-lsp-enable", "mesh-options",
                 "mesh-commands", "mesh-highlights", "mesh-statusline", "mesh.statusline()", "mesh-undo",
                 ":MeshShare", ":MeshJoin", ":MeshChat", ":MeshFollow", ":MeshWho", ":MeshAnnotate",
                 ":MeshInvite", "MeshCursor0", "MeshSelection0", "MeshLabel0"]


class OfflineChecks:
    """A base of neovim_native.Native, whose args, root and standalone (the pynvim sessions to close)
    these use."""

    def bare_nvim(self):
        """A headless Neovim with nothing of Mesh loaded (its own state folders)."""
        import pynvim
        state = self.root / f"state-bare-{len(self.standalone)}"
        state.mkdir()
        extra = {"XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(state / "config"),
                 "XDG_DATA_HOME": str(state / "data")}
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        try:
            nvim = pynvim.attach("child", argv=[self.args.nvim, "--embed", "--headless", "--clean", "-n", "-i", "NONE"])
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.standalone.append(nvim)
        return nvim

    def check_helptags(self) -> None:
        nvim = self.bare_nvim()
        # A copy: :helptags writes doc/tags, and the repository keeps no generated file.
        rtp = self.root / "help-rtp"
        shutil.copytree(PLUGIN_DIR / "doc", rtp / "doc")
        nvim.command(f"helptags {rtp / 'doc'}")  # raises on E154 (duplicate tag) and the like
        tags = {line.split("\t", 1)[0] for line in (rtp / "doc" / "tags").read_text().splitlines()}
        missing = [t for t in PROMISED_TAGS if t not in tags]
        if missing:
            raise Failure(f"helptags: mesh.txt defines no tag {missing}")
        # Every |link| must lead somewhere: a tag of mesh.txt, or of Neovim's help.
        runtime = Path(nvim.eval("$VIMRUNTIME"))
        builtin = {line.split("\t", 1)[0] for line in (runtime / "doc" / "tags").read_text(errors="replace").splitlines()}
        text = (PLUGIN_DIR / "doc" / "mesh.txt").read_text(encoding="utf-8")
        links = set(re.findall(r"\|([^|\s]+)\|", text))
        dangling = sorted(link for link in links if link not in tags and link not in builtin)
        if dangling:
            raise Failure(f"helptags: mesh.txt links to tags that exist nowhere: {dangling}")
        long_lines = [i + 1 for i, line in enumerate(text.splitlines()) if len(line) > 78]
        if long_lines:
            raise Failure(f"mesh.txt: lines longer than 78 columns: {long_lines}")
        nvim.command(f"set runtimepath^={rtp}")
        nvim.command("help mesh-setup")
        opened = nvim.eval("expand('%:t')")
        if opened != "mesh.txt":
            raise Failure(f":help mesh-setup opened {opened!r}, not mesh.txt")
        log(f"helptags: {len(tags)} tags, {len(links)} links all resolve, :help mesh-setup opens mesh.txt")

    def check_health_without_mesh(self) -> None:
        nvim = self.bare_nvim()
        nvim.exec_lua("""
            vim.opt.rtp:prepend(...)
            vim.lsp.config('mesh', { cmd = { '/nonexistent/mesh', 'lsp' } })
            vim.lsp.enable('mesh')
        """, str(PLUGIN_DIR))
        report = self.health(nvim)
        if not any("ERROR" in line and "/nonexistent/mesh" in line and "not an executable" in line for line in report):
            raise Failure("health: a missing mesh gives no ERROR:\n" + "\n".join(report))
        log("health: a mesh that is not executable is an ERROR")

    @staticmethod
    def health(nvim) -> list[str]:
        """Runs :checkhealth mesh; returns the report's lines and closes it."""
        nvim.command("checkhealth mesh")
        lines = nvim.exec_lua("""
            local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
            if vim.api.nvim_buf_get_name(0) ~= 'health://' then return { 'not in the health buffer' } end
            if #vim.api.nvim_list_tabpages() > 1 then vim.cmd.tabclose() else vim.cmd.bwipeout() end
            return lines
        """)
        return lines
