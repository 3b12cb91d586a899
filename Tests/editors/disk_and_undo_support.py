"""What disk_and_undo.py and its checks share: the timings, the shared folder's texts, the message
lines Neovim may add, the Lua helpers every instance loads, and what a tool does to a file."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

STARTUP_SECONDS = 2.0  # after both editors attached, before the first tool runs (each mesh lsp has followed every document)
QUIET_SECONDS = 1.0    # after a change reached everyone, before the next tool writes (the previous round settled)
DISK_SECONDS = 5.0     # "within a few seconds": a tool's change on one disk reaches the other and the server
MAIN_GO = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"héllo 🎉\")\n}\n"
REQUIRES = ["golang.org/x/text v0.14.0", "golang.org/x/sync v0.6.0", "golang.org/x/net v0.21.0",
            "golang.org/x/sys v0.17.0", "golang.org/x/tools v0.18.0", "golang.org/x/mod v0.15.0",
            "github.com/google/uuid v1.6.0", "github.com/stretchr/testify v1.8.4"]
GO_MOD = "module example.com/meshdemo\n\ngo 1.22\n\nrequire (\n" + "".join(f"\t{r}\n" for r in REQUIRES) + ")\n"
NOTES = "# Notes\n\nshared notes\n"
OLD = "an old file, deleted later\n"
GITIGNORE = "*.log\n"
# Neovim's own report of `u` / CTRL-R (":help undo"), the only lines Ann may add herself.
UNDO_REPORT = re.compile(r"^\d+ (more |fewer )?(change|changes|line|lines|line less)[;,] (before|after) #\d+")
# Neovim's own applyEdit handler (no plugin) when a remote edit crosses the user's typing: one
# line per crossing (docs/editors.md, "No message per remote edit"), allowed only there.
NEWER_THAN_EDITS = re.compile(r"^Buffer .* newer than edits\.$")

LUA_HELPERS = r"""
mesh_disk = {}
-- Inserts `new` right after the first `token` in the buffer: nvim_buf_set_text, or typed in
-- insert mode after the token's last character (`>`, one byte).
function mesh_disk.insert_after(token, new, how)
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, true)
  for row, line in ipairs(lines) do
    local s, e = line:find(token, 1, true)
    if s then
      if how == 'keys' then
        vim.api.nvim_win_set_cursor(0, { row, e - 1 })
        local keys = vim.api.nvim_replace_termcodes('a' .. new:gsub('<', '<lt>') .. '<Esc>', true, true, true)
        vim.api.nvim_feedkeys(keys, 'nx', false)
      else
        vim.api.nvim_buf_set_text(0, row - 1, e, row - 1, e, { new })
      end
      return true
    end
  end
  return false
end
-- Inserts `token` at (row, byte col), 0-based: nvim_buf_set_text, or typed in insert mode.
function mesh_disk.insert_at(token, row, col, how)
  if how == 'keys' then
    local line = vim.api.nvim_buf_get_lines(0, row, row + 1, true)[1]
    local command = 'i'
    if col > 0 and col == #line then   -- normal mode cannot rest after the last character
      col = #line - 1 + vim.str_utf_start(line, #line)
      command = 'a'
    end
    vim.api.nvim_win_set_cursor(0, { row + 1, col })
    local keys = vim.api.nvim_replace_termcodes(command .. token:gsub('<', '<lt>') .. '<Esc>', true, true, true)
    vim.api.nvim_feedkeys(keys, 'nx', false)
  else
    vim.api.nvim_buf_set_text(0, row, col, row, col, { token })
  end
end
-- Keys in normal mode, as typed (`u`, CTRL-R).
function mesh_disk.normal(keys)
  vim.cmd('stopinsert')
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'ntx', false)
end
-- mesh.undo / mesh.redo through the client, without the plugin (Neovim 0.11's Client:exec_cmd);
-- the answer is kept in mesh_disk.answers[name].
mesh_disk.answers = {}
function mesh_disk.exec(command, name)
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'mesh' })[1]
  if not client then return 'no client' end
  mesh_disk.answers[name] = nil
  client:exec_cmd({ title = command, command = command, arguments = { vim.uri_from_bufnr(0) } }, { bufnr = 0 },
    function(err, result) mesh_disk.answers[name] = { err = err and vim.inspect(err) or vim.NIL, result = result } end)
  return 'sent'
end
-- Opens `file` and attaches it: the plugin does that itself (BufRead); a plain set-up attaches
-- the running client, as a FileType autocommand calling vim.lsp.start would.
function mesh_disk.open(file, plugin)
  vim.cmd.edit(vim.fn.fnameescape(file))
  if not plugin then
    local client = vim.lsp.get_clients({ name = 'mesh' })[1]
    vim.lsp.buf_attach_client(0, client.id)
  end
end
function mesh_disk.messages()
  return vim.api.nvim_exec2('messages', { output = true }).output
end
"""


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def tool_write(path: Path, text: str, how: str) -> None:
    """What a tool does to a file: `plain` (open, truncate, write, close) or `atomic` (a
    temporary file in the same folder, renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "plain":
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    fd, temporary = tempfile.mkstemp(prefix="sed", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
