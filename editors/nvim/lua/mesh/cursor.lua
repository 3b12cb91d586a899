--- mesh.cursor — tells `mesh lsp` where the local cursor and selection are.
---
--- Sends `mesh/cursor` { textDocument = { uri }, selections = { { anchor, head } } } on
--- CursorMoved / CursorMovedI / ModeChanged / BufEnter, at most once per
--- `cursor_throttle_ms` (trailing edge: the position sent is the one current when the timer
--- fires, so the last move is never lost). Positions use the client's negotiated
--- `offset_encoding`.
local config = require('mesh.config')
local position = require('mesh.position')

local M = {}

local group = vim.api.nvim_create_augroup('mesh.cursor', { clear = true })

--- client id → { timer, last } ; last is the JSON of the last notification sent.
local state = {}

local function is_visual(mode)
  return mode == 'v' or mode == 'V' or mode == '\22'
end

--- The current window's selection in `bufnr` as an LSP { anchor, head }.
function M.selection(bufnr, encoding)
  local mode = vim.fn.mode()
  if not is_visual(mode) then
    local params = vim.lsp.util.make_position_params(0, encoding)
    return { anchor = params.position, head = params.position }
  end
  local v = vim.fn.getpos('v')
  local cursor = vim.api.nvim_win_get_cursor(0)
  local a_row, a_col = v[2] - 1, v[3] - 1
  local h_row, h_col = cursor[1] - 1, cursor[2]
  local forward = a_row < h_row or (a_row == h_row and a_col <= h_col)

  local function line(row)
    return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  end
  if mode == 'V' then
    -- Linewise: from the start of the first line to the start of the line after the last.
    local count = vim.api.nvim_buf_line_count(bufnr)
    local function after(row)
      if row + 1 < count then
        return row + 1, 0
      end
      return row, #line(row)
    end
    if forward then
      a_col = 0
      h_row, h_col = after(h_row)
    else
      h_col = 0
      a_row, a_col = after(a_row)
    end
  else
    -- Charwise (and blockwise, approximated): Vim's selection includes the character under
    -- the later end, an LSP range does not.
    if forward then
      h_col = h_col + position.char_len(line(h_row), h_col)
    else
      a_col = a_col + position.char_len(line(a_row), a_col)
    end
  end
  return {
    anchor = position.to_lsp(bufnr, a_row, a_col, encoding),
    head = position.to_lsp(bufnr, h_row, h_col, encoding),
  }
end

local function send(client, bufnr)
  if client:is_stopped() or vim.api.nvim_get_current_buf() ~= bufnr then
    return
  end
  if not vim.lsp.buf_is_attached(bufnr, client.id) then
    return
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    selections = { M.selection(bufnr, client.offset_encoding) },
  }
  local key = vim.json.encode(params)
  local s = state[client.id]
  if s.last == key then
    return
  end
  s.last = key
  client:notify('mesh/cursor', params)
end

--- Schedules a send for `client` unless one is already pending.
function M.schedule(client, bufnr)
  local s = state[client.id]
  if not s then
    s = { timer = assert(vim.uv.new_timer()), pending = false }
    state[client.id] = s
  end
  if s.pending then
    return
  end
  s.pending = true
  s.timer:start(config.options.cursor_throttle_ms, 0, function()
    vim.schedule(function()
      s.pending = false
      -- The user may have switched buffers meanwhile: report the buffer now current.
      local current = vim.api.nvim_get_current_buf()
      send(client, vim.lsp.buf_is_attached(current, client.id) and current or bufnr)
    end)
  end)
end

--- Starts reporting the cursor of `bufnr` to `client`.
function M.attach(client, bufnr)
  vim.api.nvim_clear_autocmds({ group = group, buffer = bufnr })
  vim.api.nvim_create_autocmd({ 'CursorMoved', 'CursorMovedI', 'ModeChanged', 'BufEnter' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.schedule(client, bufnr)
    end,
  })
  M.schedule(client, bufnr)
end

--- Forgets a stopped client.
function M.detach(client_id)
  local s = state[client_id]
  if s then
    s.timer:stop()
    s.timer:close()
    state[client_id] = nil
  end
end

return M
