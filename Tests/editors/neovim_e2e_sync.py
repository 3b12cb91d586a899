"""neovim_e2e.py's checks of the shared text: convergence (with a diagnosis when it fails), the
warm-up, two editors deleting the same line break at once, the concurrent typing and its tokens
exactly once, a CRLF file."""
from __future__ import annotations

import time

from mesh_fixture import Failure, log
from nvim_instance import Instance, first_difference, wait_until

# Files of the shared folder (neovim_e2e.py's set-up writes them).
SHARED_FILE = "shared.txt"
CRLF_FILE = "dos.txt"

# What the tokens typed concurrently carry inside (each token is unique: `<n2t7🎉>`).
TOKEN_FILLERS = ["", "é", "🎉", "👩‍💻", "中文", "e\u0301", "Ω", "\t", " xyz"]


class SyncChecks:
    """A base of neovim_e2e.E2E, whose instances, rng, seed, tokens, args, server, folders and
    server_text() / check_not_blown_up() these use."""

    def diagnose(self, texts: dict[str, str] | None = None) -> str:
        """Every buffer against the server's text, with each editor's messages and lsp.log."""
        if texts is None:
            texts = {"server": self.server_text()}
            for instance in self.instances:
                texts[instance.name] = instance.text()
        server = texts.get("server", "")
        report = []
        for name, text in texts.items():
            same = "same as server" if text == server else first_difference(text, server)
            report.append(f"  {name}: {len(text)} code points, {same}")
        for instance in self.instances:
            report.append(f"--- {instance.name} messages:\n{instance.lua('return mesh_test.messages()')[-1500:]}")
            report.append(f"--- {instance.name} lsp.log:\n{instance.lsp_log()}")
        report.append(f"--- server log:\n{self.server.log_path.read_text(errors='replace')[-3000:]}")
        return "\n".join(report)

    def wait_converged(self, timeout: float, quiet: float = 1.5, path: str = SHARED_FILE) -> str:
        """Waits until every buffer equals the server's text and stays so for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        since = None
        texts: dict[str, str] = {}
        while time.monotonic() < deadline:
            if path == SHARED_FILE:
                self.check_not_blown_up()
            texts = {"server": self.server_text(path)}
            for instance in self.instances:
                texts[instance.name] = instance.text()
            if len(set(texts.values())) == 1:
                since = since or time.monotonic()
                if time.monotonic() - since >= quiet:
                    return texts["server"]
            else:
                since = None
            time.sleep(0.2)
        raise Failure(f"not converged after {timeout:.0f}s (seed {self.seed}):\n" + self.diagnose(texts))

    def warm_up(self) -> None:
        """One edit from each instance, in turn, must reach everyone: basic sync works."""
        for instance in self.instances:
            marker = f"// warm-up from {instance.name}\n"
            instance.lua("vim.api.nvim_buf_set_lines(0, 0, 0, true, { ... })", marker.rstrip("\n"))
            try:
                wait_until(lambda: all(marker in other.text() for other in self.instances), 20,
                           what=f"{instance.name}'s edit to reach every editor")
            except Failure as error:
                raise Failure(f"{error}\n{self.diagnose()}")
        self.wait_converged(20)
        log("warm-up: every instance's edit reached every other instance")

    def concurrent_same_delete(self) -> None:
        """Two editors delete the same line break at the same moment. OT must delete it once and
        duplicate nothing: Neovim reports such a join as "replace the next line with itself"."""
        marker = f"race line 🎉 中文 {self.seed % 1000} end"
        first = self.instances[0]
        first.lua("vim.api.nvim_buf_set_lines(0, 0, 0, true, { '', ... })", marker)
        expected = self.wait_converged(20)
        assert expected.startswith("\n" + marker + "\n"), repr(expected[:80])
        racers = [self.instances[2], self.instances[3]]  # ada-plain and bob-plain
        for racer in racers:  # both requests leave before either editor hears of the other
            racer.nvim.exec_lua("vim.api.nvim_buf_set_text(0, 0, 0, 1, 0, { '' })", async_=True)
        text = self.wait_converged(20)
        count = text.count(marker)
        if count != 1 or not text.startswith(marker + "\n"):
            raise Failure(f"two editors deleted the same line break at once: the line now appears {count} times; "
                          f"text starts {text[:120]!r} (expected {(marker + chr(10))!r} once)")
        log("same-delete race: the joined line appears once")

    def random_edit(self, instance: Instance) -> None:
        """Inserts a unique token (with emoji, CJK, a combining mark or a tab inside) at a
        random place outside every other token: set_text, or typed in insert mode (plugin)."""
        rng = self.rng
        index = self.instances.index(instance)
        token = f"<n{index}t{instance.edits}{rng.choice(TOKEN_FILLERS)}>"
        how = "keys" if instance.plugin and rng.random() < 0.4 else "set_text"
        instance.lua("mesh_test.insert_token(...)", token, rng.random(), rng.random(), how)
        self.tokens.append(token)
        instance.edits += 1

    def type_concurrently(self) -> None:
        deadline = time.monotonic() + self.args.duration
        next_check = time.monotonic() + 1
        while time.monotonic() < deadline:
            self.random_edit(self.rng.choice(self.instances))
            if time.monotonic() >= next_check:
                self.check_not_blown_up()
                next_check = time.monotonic() + 1
            time.sleep(self.rng.uniform(0, self.args.pace / 1000))
        log("typed: " + ", ".join(f"{i.name} {i.edits} tokens" for i in self.instances))

    def check_exactly_once(self, before: str, after: str) -> None:
        """Every token typed appears exactly once, and the text around them is what it was."""
        wrong = [f"{t!r} ×{after.count(t)}" for t in self.tokens if after.count(t) != 1]
        rest = after
        for token in self.tokens:
            rest = rest.replace(token, "", 1)
        if wrong:
            raise Failure(f"not exactly once (seed {self.seed}): {', '.join(wrong)}\n{self.diagnose()}")
        if rest != before:
            raise Failure(f"without the {len(self.tokens)} tokens the text is {rest!r}, was {before!r} (seed {self.seed})")
        log(f"exactly once: all {len(self.tokens)} tokens appear once in every buffer; nothing else changed")

    def check_crlf(self) -> None:
        """A CRLF file keeps its line endings: Neovim edits it as fileformat=dos, the server's
        text keeps \\r\\n, the peer sees the edit."""
        ada, bob = self.instances[2], self.instances[3]
        for instance, folder in ((ada, self.ada_dir), (bob, self.bob_dir)):
            instance.lua("""vim.cmd.edit(vim.fn.fnameescape(...))
                           vim.lsp.buf_attach_client(0, vim.lsp.get_clients({ name = 'mesh' })[1].id)""",
                         str(folder / CRLF_FILE))
            assert instance.lua("return vim.bo.fileformat") == "dos"
        wait_until(lambda: ada.ready() and bob.ready(), 20, what="both plain editors to attach dos.txt")
        ada.lua("vim.api.nvim_buf_set_lines(0, 1, 1, true, { 'middle 中文' })")
        expected = "first 🎉\r\nmiddle 中文\r\nsecond\r\n"
        wait_until(lambda: self.server_text(CRLF_FILE) == expected, 20, interval=0.2,
                   what=f"the server's {CRLF_FILE} to be {expected!r}")
        wait_until(lambda: bob.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, true)") ==
                           ["first 🎉", "middle 中文", "second"] and bob.lua("return vim.bo.fileformat") == "dos",
                           20, interval=0.2, what="bob-plain to show the CRLF edit")
        for instance in (ada, bob):
            instance.lua("vim.cmd.buffer(vim.fn.bufnr(...))", SHARED_FILE)
        log(f"crlf: {CRLF_FILE} kept CRLF on the server; Bob's Neovim (fileformat=dos) shows the edit")
