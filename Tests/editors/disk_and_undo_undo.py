"""disk_and_undo.py's checks of main.go in both editors: per-user undo (undo, undo-crossing, the
ambiguous undo), Neovim's own u, the line appended at the end, and the messages check."""
from __future__ import annotations

import re
import time

from disk_and_undo_support import NEWER_THAN_EDITS, UNDO_REPORT
from mesh_fixture import Failure, log
from nvim_instance import Instance, wait_until


class UndoChecks:
    """A base of disk_and_undo.Layout, whose instances (a: Ann, b: Bob), rng, converge_main(),
    server_text(), remote_edits, baseline and allowed these use."""

    @staticmethod
    def message_lines(instance: Instance) -> list[str]:
        return [line for line in instance.lua("return mesh_disk.messages()").split("\n") if line != ""]

    def own_command(self, instance: Instance, run) -> list[str]:
        """Runs `run()` in `instance`; the undo reports it printed are allowed later."""
        before = self.message_lines(instance)
        run()
        time.sleep(0.3)
        after = self.message_lines(instance)
        added = after[len(before):] if after[:len(before)] == before else after
        self.allowed[instance.name] += [line for line in added if UNDO_REPORT.match(line)]
        return added

    def mesh_undo(self, command: str) -> None:
        """Ann's own undo: `:MeshUndo` with the plugin, `client:exec_cmd` without."""
        a = self.a
        if a.plugin:
            self.own_command(a, lambda: a.nvim.command("MeshUndo" if command == "mesh.undo" else "MeshRedo"))
            return
        self.own_command(a, lambda: a.lua("return mesh_disk.exec(...)", command, command))
        answer = wait_until(lambda: a.lua("return mesh_disk.answers[...]", command), 10, what=f"the answer to {command}")
        key = "undone" if command == "mesh.undo" else "redone"
        if answer.get("err") is not None or (answer.get("result") or {}).get(key) is not True:
            raise Failure(f"{command} via client:exec_cmd answered {answer}")

    def place(self, text: str, token: str) -> tuple[int, int]:
        """A random (row, byte column) of `text` for `token`: not inside another token, and not
        before a character the token holds. Neovim reports a change as starting at the first
        character that differs, so typing `<an…` before `ain` is reported as typed one `a`
        further on; mesh lsp then takes the buffer's `a` for Ann's, and mesh.undo moves Bob's
        text by that character (the ambiguous check). Exact checks avoid those places."""
        places = []
        for row, line in enumerate(text.split("\n")[:-1]):
            inside = {c for m in re.finditer(r"<[^<>]*>", line) for c in range(m.start() + 1, m.end())}
            for c in range(len(line) + 1):
                following = line[c] if c < len(line) else "\n"
                if c not in inside and following not in token:
                    places.append((row, len(line[:c].encode("utf-8"))))
        return self.rng.choice(places)

    def type_pair(self, a_token: str, b_token: str, a_how: str, b_how: str) -> tuple[str, str]:
        """Ann types `a_token` somewhere, Bob `b_token` right after it (each waited for);
        returns the text before and after."""
        before = self.converge_main()
        self.a.lua("mesh_disk.insert_at(...)", a_token, *self.place(before, a_token), a_how)
        wait_until(lambda: a_token in self.b.text() and a_token in (self.server_text("main.go") or ""), 10,
                   interval=0.05, what=f"Ann's {a_token} to reach Bob and the server")
        if not self.b.lua("return mesh_disk.insert_after(...)", a_token, b_token, b_how):
            raise Failure(f"Bob's buffer has no {a_token}")
        wait_until(lambda: b_token in self.a.text(), 10, interval=0.05, what=f"Bob's {b_token} to reach Ann")
        after = self.converge_main()
        if after.replace(a_token + b_token, "", 1) != before:
            raise Failure(f"Bob's {b_token} is not right after Ann's {a_token}: {after!r}")
        self.remote_edits += 2
        return before, after

    def check_undo_crossing(self) -> None:
        """Ann's mesh.undo and Bob's typing right after her token cross on the way: Ann runs it
        without waiting for Bob's token. Whatever order the server sees, Ann's token goes and Bob's
        stays once, where her token was."""
        a_token, b_token = f"<annX{self.rng.randrange(1000)}>", f"<bobX{self.rng.randrange(1000)}>"
        before = self.converge_main()
        self.a.lua("mesh_disk.insert_at(...)", a_token, *self.place(before, a_token), "set_text")
        wait_until(lambda: a_token in self.b.text(), 10, interval=0.02, what=f"Ann's {a_token} to reach Bob")
        with_a = self.converge_main()
        bob_before = self.message_lines(self.b)
        if not self.b.lua("return mesh_disk.insert_after(...)", a_token, b_token, "set_text"):
            raise Failure(f"Bob's buffer has no {a_token}")
        self.mesh_undo("mesh.undo")
        expected = with_a.replace(a_token, b_token, 1)
        text = self.converge_main(expected, what=f"Ann's mesh.undo crossing Bob's {b_token}: Ann's token out, Bob's once")
        if text.count(b_token) != 1 or a_token in text:
            raise Failure(f"undo-crossing: {a_token} ×{text.count(a_token)}, {b_token} ×{text.count(b_token)}")
        self.remote_edits += 2
        # Without the plugin, Neovim's handler may say once that the undo crossed Bob's typing.
        time.sleep(0.3)
        bob_after = self.message_lines(self.b)
        added = bob_after[len(bob_before):] if bob_after[:len(bob_before)] == bob_before else []
        crossed = [line for line in added if NEWER_THAN_EDITS.match(line)]
        if not self.b.plugin and len(crossed) <= 1:
            self.allowed[self.b.name] += crossed
        log(f"[{self.name}] undo-crossing: Ann's mesh.undo sent without waiting for Bob's {b_token}: her {a_token} "
            f"out of both buffers and the server, his there once"
            + (f" (Bob's Neovim said {crossed[0]!r}: the documented line of a crossing without the plugin)" if crossed else ""))

    def check_undo(self) -> None:
        ways = [("set_text", "keys"), ("keys", "set_text")]
        for n, (a_how, b_how) in enumerate(ways):
            a_token, b_token = f"<ann{n}u{self.rng.randrange(1000)}>", f"<bob{n}u{self.rng.randrange(1000)}>"
            before, after = self.type_pair(a_token, b_token, a_how, b_how)
            undone = after.replace(a_token, "", 1)
            self.mesh_undo("mesh.undo")
            text = self.converge_main(undone, what=f"mesh.undo to take Ann's {a_token} out everywhere, Bob's {b_token} kept")
            if text.count(b_token) != 1 or a_token in text:
                raise Failure(f"undo: {a_token} ×{text.count(a_token)}, {b_token} ×{text.count(b_token)}")
            self.mesh_undo("mesh.redo")
            text = self.converge_main(after, what=f"mesh.redo to put Ann's {a_token} back everywhere")
            if text.count(a_token) != 1 or text.count(b_token) != 1:
                raise Failure(f"redo: {a_token} ×{text.count(a_token)}, {b_token} ×{text.count(b_token)}")
            self.remote_edits += 2
            how = ":MeshUndo / :MeshRedo" if self.a.plugin else "client:exec_cmd mesh.undo / mesh.redo"
            log(f"[{self.name}] undo: Ann ({a_how}) {a_token}, Bob ({b_how}) {b_token} right after; {how}: Ann's "
                f"token out of both buffers and the server and back, Bob's there once throughout")

    def check_native_u(self) -> None:
        a_token, b_token = f"<annU{self.rng.randrange(1000)}>", f"<bobU{self.rng.randrange(1000)}>"
        # Bob's token in one change: each remote edit is an undo step of its own in Ann's Neovim,
        # and typed keys can reach her in several edits (then `u` takes back only the last part).
        before, after = self.type_pair(a_token, b_token, "keys", "set_text")
        without_bob = after.replace(b_token, "", 1)
        said = self.own_command(self.a, lambda: self.a.lua("mesh_disk.normal('u')"))
        text = self.converge_main(without_bob, what=f"Neovim's u in Ann's buffer to take Bob's {b_token} out everywhere")
        if text.count(a_token) != 1:
            raise Failure(f"native u: Ann's {a_token} ×{text.count(a_token)}")
        said += self.own_command(self.a, lambda: self.a.lua("mesh_disk.normal('<C-r>')"))
        text = self.converge_main(after, what=f"CTRL-R in Ann's buffer to put Bob's {b_token} back everywhere")
        if text.count(a_token) != 1 or text.count(b_token) != 1:
            raise Failure(f"native CTRL-R: {a_token} ×{text.count(a_token)}, {b_token} ×{text.count(b_token)}")
        self.remote_edits += 2
        log(f"[{self.name}] native-u: Ann's u took Bob's {b_token} (the last change) out of both buffers and the "
            f"server, her {a_token} stayed; CTRL-R put it back once (Neovim said {said})")

    def check_ambiguous_undo(self) -> list[str]:
        """Ann types `<an1>` (insert-mode keys) in `func main` between `m` and `ain`, Bob types
        `<bob1>` right after it, Ann runs mesh.undo: `func m<bob1>ain` is what Bob typed. Neovim
        reports Ann's `a` as the buffer's next one; with the plugin, mesh lsp takes the exact
        change (mesh/exactChange) instead; without it, mesh lsp puts the insertion back where Ann
        was typing (TypingCursor). Checked on every run, in both layouts."""
        before = self.converge_main()
        if "func main" not in before:
            # The tokens of the checks before landed inside `func main`: Bob takes them out of
            # that line (an edit inside the line, as typing is; Bob's, so that it is not in
            # Ann's undo history, where it would be one step with her typing below).
            lines = before.split("\n")
            row = next(i for i, line in enumerate(lines) if re.sub(r"<[a-z0-9]+>", "", line) == "func main() {")
            self.b.lua("local row = ... local line = vim.api.nvim_buf_get_lines(0, row, row + 1, true)[1] "
                       "vim.api.nvim_buf_set_text(0, row, 0, row, #line, { 'func main() {' })", row)
            lines[row] = "func main() {"
            before = self.converge_main("\n".join(lines), what="the tokens out of `func main` for the ambiguous undo")
        # The first `func main` of the text, wherever tokens before it on its line put it.
        lines = before.split("\n")
        row = next(i for i, line in enumerate(lines) if "func main" in line)
        column = len(lines[row][:lines[row].index("func main")].encode("utf-8")) + len("func m")
        a_token, b_token = "<an1>", "<bob1>"
        self.a.lua("mesh_disk.insert_at(...)", a_token, row, column, "keys")
        wait_until(lambda: a_token in self.b.text(), 10, interval=0.05, what=f"Ann's {a_token} to reach Bob")
        self.b.lua("return mesh_disk.insert_after(...)", a_token, b_token, "set_text")
        wait_until(lambda: b_token in self.a.text(), 10, interval=0.05, what=f"Bob's {b_token} to reach Ann")
        self.converge_main()
        self.mesh_undo("mesh.undo")
        self.remote_edits += 3
        expected = before.replace("func main", "func m<bob1>ain", 1)
        try:
            self.converge_main(expected, timeout=5, what="mesh.undo to leave `func m<bob1>ain` everywhere")
            log(f"[{self.name}] ambiguous: mesh.undo left Bob's token where he typed it")
        except Failure as error:
            return [f"ambiguous: {error}"]
        # Back to the text before, for the checks after this one: Bob takes his token out.
        self.b.lua("for row, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, true)) do "
                   "local s, e = line:find('<bob1>', 1, true) "
                   "if s then vim.api.nvim_buf_set_text(0, row - 1, s - 1, row - 1, e, { '' }) return end end")
        try:
            self.converge_main(before, what="Bob's <bob1> taken out again everywhere")
            return []
        except Failure as error:
            return [f"ambiguous: {error}"]

    def check_append_at_end(self) -> list[str]:
        """Ann appends a line after the last line of main.go (`nvim_buf_set_lines(0, -1, -1, …)`)
        while Bob has it open: the line must be there once, in both buffers and on the server."""
        before = self.converge_main()
        self.a.lua("vim.api.nvim_buf_set_lines(0, -1, -1, true, { 'func appended() {}' })")
        expected = before + "func appended() {}\n" if before.endswith("\n") else before + "\nfunc appended() {}"
        try:
            self.converge_main(expected, timeout=10, what="the appended line once everywhere")
            log(f"[{self.name}] append-at-end: the line once everywhere")
            return []
        except Failure as error:
            return [f"append-at-end: {str(error)[:600]}"]

    def check_messages(self) -> None:
        time.sleep(1)  # anything printed late
        problems = []
        for instance in self.instances:
            old, now = self.baseline[instance.name], self.message_lines(instance)
            if now[:len(old)] != old:
                problems.append(f"{instance.name}: the message history changed in a way that hides what was added: {now[-10:]}")
                continue
            added = list(now[len(old):])
            for line in self.allowed[instance.name]:
                if line in added:
                    added.remove(line)
            if added:
                problems.append(f"{instance.name} ({'plugin' if instance.plugin else 'plain vim.lsp.start'}) gained "
                                f"{len(added)} message line(s): {added[:10]}")
        if problems:
            raise Failure("messages: " + "\n  ".join(problems))
        log(f"[{self.name}] messages: no line in either instance over {self.remote_edits} remote edits of main.go "
            f"(and the disk changes); Ann's own u / CTRL-R reports aside")
