"""neovim_e2e.py's checks of what the plugin and mesh lsp add to the text: cursors and
selections (extmarks, inlay hints, diagnostics), the :Mesh* commands, :MeshShare in a fresh
folder, and mesh lsp exiting when its editor is killed."""
from __future__ import annotations

import os
import signal
import time

from mesh_fixture import Failure, log
from nvim_instance import Instance, alive, wait_until


class FeatureChecks:
    """A base of neovim_e2e.E2E, whose instances, extra, rng, seed, args, ada, root and
    server_text() these use."""

    def check_presence(self) -> None:
        ada_plugin, bob_plugin, ada_plain, bob_plain = self.instances
        # Put the cursors somewhere definite; plain instances announce theirs by hovering.
        ada_plugin.lua("vim.api.nvim_win_set_cursor(0, {1, 0}); vim.cmd('doautocmd CursorMoved')")
        bob_plugin.lua("vim.api.nvim_win_set_cursor(0, {2, 0}); vim.cmd('doautocmd CursorMoved')")

        def labels(instance: Instance, peer: str):
            found = instance.lua("return mesh_test.extmark_labels()")
            return any(peer in label for label in found) and found

        for instance, peer, mover in ((ada_plugin, "Bob", bob_plugin), (bob_plugin, "Ada", ada_plugin)):
            def moved_and_seen(instance=instance, peer=peer, mover=mover):
                row = self.rng.randint(1, 3)
                mover.lua("vim.api.nvim_win_set_cursor(0, ...); vim.cmd('doautocmd CursorMoved')", [row, 0])
                return labels(instance, peer)
            found = wait_until(moved_and_seen, 15, interval=0.3,
                               what=f"{instance.name} to draw {peer}'s cursor (an extmark labelled {peer})")
            log(f"{instance.name}: extmark labels {found}")

        for instance, peer, mover in ((ada_plain, "Bob", bob_plain), (bob_plain, "Ada", ada_plain)):
            def hinted(instance=instance, peer=peer, mover=mover):
                mover.lua("vim.api.nvim_win_set_cursor(0, {3, 0}); return mesh_test.hover_here()")
                found = instance.lua("return mesh_test.inlay_labels()")
                if isinstance(found, dict):
                    raise Failure(f"{instance.name}: inlayHint request failed: {found}")
                return any(peer in label for label in found) and found
            found = wait_until(hinted, 15, interval=0.3,
                               what=f"{instance.name} to get an inlay hint labelled {peer}")
            log(f"{instance.name}: inlay hint labels {found}")

        # A selection: the plugin instances highlight it, plain ones get a hint diagnostic.
        mode = bob_plugin.lua("return mesh_test.select(2, 0, 'jl')")
        assert mode == "v", f"bob-plugin is in mode {mode!r}, not visual"
        bob_plugin.lua("vim.cmd('doautocmd CursorMoved')")
        marks = wait_until(lambda: ada_plugin.lua("return mesh_test.selection_marks()"), 15, interval=0.2,
                           what="ada-plugin to highlight Bob's selection")
        log(f"ada-plugin: {marks} selection highlight(s)")
        found = wait_until(lambda: [m for m in ada_plain.lua("return mesh_test.selection_diagnostics()") if "Bob" in m],
                           15, interval=0.2, what="ada-plain to get a hint diagnostic for Bob's selection")
        log(f"ada-plain: selection diagnostics {found}")
        bob_plugin.lua("vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Esc>', true, false, true), 'x', false)")

    def check_commands(self) -> None:
        """The plugin's :Mesh* commands, end to end through mesh lsp and the server."""
        ada_plugin, bob_plugin, ada_plain, bob_plain = self.instances
        nonce = f"n{self.seed % 100000}"

        ada_plugin.nvim.command(f"MeshChat hello from Ada {nonce}")
        for peer in (bob_plugin, bob_plain):
            wait_until(lambda peer=peer: nonce in peer.lua("return mesh_test.messages()"), 15, interval=0.2,
                       what=f"{peer.name} to show Ada's chat message")
        log("chat: :MeshChat reached both of Bob's editors as a message")

        ada_plugin.lua("vim.api.nvim_win_set_cursor(0, {1, 0})")
        ada_plugin.nvim.command(f"MeshAnnotate note {nonce}")
        found = wait_until(lambda: [m for m in bob_plain.lua("return mesh_test.annotation_diagnostics()") if nonce in m],
                           15, interval=0.2, what="bob-plain to get Ada's annotation as a diagnostic")
        log(f"annotate: bob-plain shows {found}")

        ada_plugin.nvim.command("MeshFollow Bob")
        lines = bob_plugin.lua("return vim.api.nvim_buf_line_count(0)")
        target = max(1, lines - 1)

        def followed():
            bob_plugin.lua("vim.api.nvim_win_set_cursor(0, ...); vim.cmd('doautocmd CursorMoved')", [target, 0])
            return ada_plugin.lua("return vim.api.nvim_win_get_cursor(0)[1]") == target
        wait_until(followed, 15, interval=0.3, what=f"ada-plugin, following Bob, to jump to line {target}")
        ada_plugin.nvim.command("MeshFollow")
        log(f"follow: ada-plugin's cursor followed Bob to line {target}")

        ada_plugin.lua("vim.fn.setreg('\"', '')")
        ada_plugin.nvim.command("MeshInvite viewer")
        code = wait_until(lambda: ada_plugin.lua("return vim.fn.getreg('\"')"), 15, interval=0.2,
                          what=":MeshInvite to put an invite code in the unnamed register")
        log(f"invite: :MeshInvite viewer gave code {code}")

        dap = ada_plugin.lua("return mesh_test.dap_with_stub()")
        assert dap["ok"] and dap["adapter"]["type"] == "executable" and dap["adapter"]["args"] == ["dap"], dap
        assert any(c.get("type") == "mesh" and c.get("request") == "launch" for c in dap["go"]), dap
        log(f"dap: adapter {dap['adapter']['command']} {dap['adapter']['args']}, Go configuration registered")

    def check_share_from_editor(self) -> None:
        """:MeshShare in a folder that is not shared yet: the plugin runs `mesh share`, then
        starts mesh lsp for the open buffer."""
        folder = self.root / "ada-fresh"
        folder.mkdir()
        (folder / "notes.txt").write_text("fresh notes 📝\n", encoding="utf-8")
        fresh = Instance(name="ada-fresh", account=self.ada, folder=folder, plugin=True,
                         nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root)
        fresh.start("notes.txt")
        self.extra.append(fresh)
        assert not fresh.ready(), "mesh lsp attached in a folder that is not shared"
        fresh.lua("vim.cmd.cd(...)", str(folder))
        fresh.nvim.command("MeshShare")
        wait_until(fresh.ready, 30, interval=0.2, what=":MeshShare to share the folder and attach mesh lsp")
        assert (folder / ".mesh" / "session.json").exists()
        messages = fresh.lua("return mesh_test.messages()")
        assert "mesh join" in messages, f"no invite shown after :MeshShare: {messages[-300:]}"
        log("share: :MeshShare shared a fresh folder, attached mesh lsp and showed the invite")

    def check_editor_exit(self) -> None:
        """An editor that dies without shutdown (SIGKILL) closes mesh lsp's stdin: it must exit."""
        victim = self.instances[3]
        lsp = victim.children()
        assert lsp, f"{victim.name} has no child process (no mesh lsp?)"
        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in lsp):
            time.sleep(0.1)
        left = [pid for pid in lsp if alive(pid)]
        if left:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise Failure(f"mesh lsp (pid {left}) still running 10 s after its editor was killed (stdin at EOF)")
        log(f"{victim.name} killed: its mesh lsp exited")
