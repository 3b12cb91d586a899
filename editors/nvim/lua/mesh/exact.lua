--- mesh.exact — tells mesh lsp exactly where each change of a buffer was made.
---
--- Neovim's LSP client reports a change as the difference of the changed lines
--- (`vim.lsp.sync` `compute_diff`: the first and last characters that differ), so an `a` typed
--- right before another `a` is reported as typed after it. The text is the same, but mesh lsp's
--- per-user undo (`mesh.undo`) would then take out the buffer's other `a`. Buffer updates
--- (`nvim_buf_attach{ on_bytes }`) say exactly what was replaced: this module sends each one
--- to mesh lsp as a `mesh/exactChange` notification (docs/protocol.md), when the server
--- advertises `experimental.mesh.exactChanges`.
---
--- Order: `on_bytes` runs while the change is made, before the `on_lines` that makes the LSP
--- client record it (and, at debounce 0, send its `didChange` at once), and the notification
--- goes straight to the RPC channel (`client.rpc.notify`: `client:notify` would first flush the
--- pending `didChange`s, undoing the debounce). So a change's notification reaches mesh lsp
--- before the `didChange` that reports it. `tick` is `b:changedtick` as `on_bytes` sees it,
--- before the change counts: the `didChange` that reports the change has a version above it.
--- mesh lsp uses the notifications only when they make exactly the text the `didChange` makes
--- (undo and redo, for one, call `on_bytes` after the buffer holds the final text, when what
--- an intermediate change inserted cannot be read): otherwise the `didChange` as it is.
local M = {}

--- Buffers already reporting, per client id: { [bufnr] = true }.
local attached = {}

local function supported(client)
  local caps = client.server_capabilities or {}
  local experimental = caps.experimental
  return type(experimental) == 'table' and type(experimental.mesh) == 'table' and experimental.mesh.exactChanges == true
end

--- The line ending the LSP client uses for `bufnr` (as `vim.lsp._buf_get_line_ending`).
local function line_ending(bufnr)
  local format = vim.bo[bufnr].fileformat
  if format == 'dos' then
    return '\r\n'
  elseif format == 'mac' then
    return '\r'
  end
  return '\n'
end

--- The text now between (row, col) and (end_row, end_col), 0-based bytes; a row past the last
--- line stands for the end of the text (the LSP text ends with a line break).
local function text_between(bufnr, row, col, end_row, end_col, eol)
  if row == end_row and col == end_col then
    return ''
  end
  local count = vim.api.nvim_buf_line_count(bufnr)
  local suffix = ''
  if end_row >= count then
    if end_col ~= 0 or end_row > count then
      return nil
    end
    -- Up to the end of the last line, then its line break.
    end_row = count - 1
    end_col = #vim.api.nvim_buf_get_lines(bufnr, end_row, end_row + 1, true)[1]
    suffix = eol
    if row >= count then
      return row == count and col == 0 and '' or nil
    end
  end
  local ok, lines = pcall(vim.api.nvim_buf_get_text, bufnr, row, col, end_row, end_col, {})
  if not ok then
    return nil
  end
  return table.concat(lines, eol) .. suffix
end

--- Starts reporting `bufnr`'s changes to `client` (once per buffer and client).
function M.attach(client, bufnr)
  if not supported(client) then
    return
  end
  attached[client.id] = attached[client.id] or {}
  if attached[client.id][bufnr] then
    return
  end
  attached[client.id][bufnr] = true
  local client_id = client.id
  local uri = vim.uri_from_bufnr(bufnr)
  vim.api.nvim_buf_attach(bufnr, false, {
    on_bytes = function(_, buf, tick, row, col, _, old_rows, old_cols, _, new_rows, new_cols, _)
      local current = vim.lsp.get_client_by_id(client_id)
      if not current or current:is_stopped() or not vim.lsp.buf_is_attached(buf, client_id) then
        if attached[client_id] then
          attached[client_id][buf] = nil
        end
        return true   -- detach
      end
      local old_end_row, old_end_col = row + old_rows, (old_rows == 0 and col or 0) + old_cols
      local new_end_row, new_end_col = row + new_rows, (new_rows == 0 and col or 0) + new_cols
      local text = text_between(buf, row, col, new_end_row, new_end_col, line_ending(buf))
      if text == nil then
        return   -- unreadable: mesh lsp takes the didChange as reported
      end
      current.rpc.notify('mesh/exactChange', {
        textDocument = { uri = uri },
        changes = {
          {
            tick = tick,
            range = {
              start = { line = row, character = col },
              ['end'] = { line = old_end_row, character = old_end_col },
            },
            text = text,
          },
        },
      })
    end,
    on_reload = function()
      -- Neovim sends didClose and didOpen: the buffer's reports start again from the new open.
    end,
    on_detach = function(_, buf)
      if attached[client_id] then
        attached[client_id][buf] = nil
      end
    end,
  })
end

function M.detach(client_id)
  attached[client_id] = nil
end

return M
