-- Test helpers loaded into every headless Neovim by Tests/editors/neovim_e2e.py (as the
-- global `mesh_test`): the buffer's text as LSP sees it, random edits, and what the editor
-- shows of the other participants (extmark labels, inlay hint labels).
local M = {}
_G.mesh_test = M

function M.text(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, true), '\n')
  if vim.bo[buf].eol then text = text .. '\n' end
  return text
end

function M.client()
  return vim.lsp.get_clients({ bufnr = 0, name = 'mesh' })[1]
end

function M.ready()
  local c = M.client()
  return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(0, c.id)
end

-- One random edit at fractions (f1, f2) of the buffer; character columns count code points.
function M.edit(kind, f1, f2, n, text)
  local buf = vim.api.nvim_get_current_buf()
  local count = vim.api.nvim_buf_line_count(buf)
  local row = math.min(count - 1, math.floor(f1 * count))
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, true)[1]
  local chars = vim.str_utfindex(line, 'utf-32')
  local c = math.min(chars, math.floor(f2 * (chars + 1)))
  local col = vim.str_byteindex(line, 'utf-32', c, false)
  if kind == 'insert' then
    vim.api.nvim_buf_set_text(buf, row, col, row, col, vim.split(text, '\n', { plain = true }))
  elseif kind == 'delete' then
    if c >= chars then
      if row + 1 < count then
        vim.api.nvim_buf_set_text(buf, row, col, row + 1, 0, { '' })
      end
    else
      local e = vim.str_byteindex(line, 'utf-32', math.min(chars, c + n), false)
      vim.api.nvim_buf_set_text(buf, row, col, row, e, { '' })
    end
  elseif kind == 'type' then
    vim.api.nvim_win_set_cursor(0, { row + 1, col })
    local typed = text:gsub('\n', '<CR>')
    local keys = vim.api.nvim_replace_termcodes('i' .. typed .. '<Esc>', true, false, true)
    vim.api.nvim_feedkeys(keys, 'xt', false)
  end
end

-- Names in the virtual text of the mesh namespace.
function M.extmark_labels()
  local ns = vim.api.nvim_get_namespaces()['mesh']
  if not ns then return {} end
  local labels = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
    for _, chunk in ipairs(mark[4].virt_text or {}) do
      table.insert(labels, chunk[1])
    end
  end
  return labels
end

-- Inlay hint labels, requested through the client for the whole buffer.
function M.inlay_labels()
  local c = M.client()
  if not c then return { error = 'no client' } end
  local last = vim.api.nvim_buf_line_count(0) - 1
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(0),
    range = { start = { line = 0, character = 0 },
              ['end'] = { line = last + 1, character = 0 } },
  }
  local response = c:request_sync('textDocument/inlayHint', params, 5000, 0)
  if not response then return { error = 'timeout' } end
  if response.err then return { error = vim.inspect(response.err) } end
  local labels = {}
  for _, hint in ipairs(response.result or {}) do
    if type(hint.label) == 'string' then
      table.insert(labels, hint.label)
    else
      local parts = {}
      for _, part in ipairs(hint.label) do table.insert(parts, part.value) end
      table.insert(labels, table.concat(parts))
    end
  end
  return labels
end

-- Where the cursor is, told the plain way: a hover request (mesh lsp infers the cursor).
function M.hover_here()
  local c = M.client()
  if not c then return false end
  local params = vim.lsp.util.make_position_params(0, c.offset_encoding)
  c:request_sync('textDocument/hover', params, 5000, 0)
  return true
end

function M.messages()
  return vim.fn.execute('messages')
end

-- Messages of the hint-severity diagnostics mesh publishes for remote selections.
function M.selection_diagnostics()
  local messages = {}
  for _, d in ipairs(vim.diagnostic.get(0, { severity = vim.diagnostic.severity.HINT })) do
    if d.source == 'mesh' then table.insert(messages, d.message) end
  end
  return messages
end

-- How many selection highlights the plugin draws.
function M.selection_marks()
  local ns = vim.api.nvim_get_namespaces()['mesh']
  local count = 0
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, ns or -1, 0, -1, { details = true })) do
    if (mark[4].hl_group or ''):find('^MeshSelection') then count = count + 1 end
  end
  return count
end

-- Starts a charwise visual selection of `keys` motions from (row, col); stays in visual mode.
function M.select(row, col, motions)
  vim.api.nvim_win_set_cursor(0, { row, col })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Esc>v' .. motions, true, false, true), 'x', false)
  return vim.fn.mode()
end

-- Messages of the information diagnostics mesh publishes for annotations.
function M.annotation_diagnostics()
  local messages = {}
  for _, d in ipairs(vim.diagnostic.get(0, { severity = vim.diagnostic.severity.INFO })) do
    if d.source == 'mesh' then table.insert(messages, d.message) end
  end
  return messages
end

-- require('mesh').dap() against a stand-in nvim-dap module: what it registers.
function M.dap_with_stub()
  package.loaded.dap = { adapters = {}, configurations = {} }
  local ok = require('mesh').dap()
  local dap = package.loaded.dap
  package.loaded.dap = nil
  return { ok = ok, adapter = dap.adapters.mesh, go = dap.configurations.go }
end

-- Byte columns of `line` (0-based) where a token may go: not inside a token `<…>`, nor
-- before, inside or at the end of one still being typed (`<n1t` with no `>` yet), nor inside
-- a UTF-8 sequence.
local function token_boundaries(line)
  local blocked = {}
  local i = 1
  while i <= #line do
    if line:sub(i, i) == '<' then
      local close = line:find('>', i + 1, true)
      local next_open = line:find('<', i + 1, true)
      if close and (not next_open or close < next_open) then
        for b = i, close - 1 do blocked[b] = true end          -- columns i .. close-1 (0-based) are inside
        i = close + 1
      else
        local stop = i + 1
        while stop <= #line and line:sub(stop, stop):match('[%w]') do stop = stop + 1 end
        for b = i - 1, stop - 1 do blocked[b] = true end       -- before, inside and at its end
        i = stop
      end
    else
      i = i + 1
    end
  end
  local columns = {}
  for col = 0, #line do
    local byte = line:byte(col + 1)
    local continuation = byte and byte >= 0x80 and byte < 0xC0
    if not blocked[col] and not continuation then table.insert(columns, col) end
  end
  return columns
end

-- Inserts `token` at a random token boundary (fractions f1, f2 pick it): with
-- nvim_buf_set_text, or typed in insert mode (`keys`).
function M.insert_token(token, f1, f2, how)
  local buf = vim.api.nvim_get_current_buf()
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, true)
  local rows = {}   -- rows with a free column (a line can be all one token being typed)
  for index, text in ipairs(lines) do
    if #token_boundaries(text) > 0 then table.insert(rows, index - 1) end
  end
  local row = rows[math.min(#rows, math.floor(f1 * #rows) + 1)]
  local line = lines[row + 1]
  local columns = token_boundaries(line)
  local col = columns[math.min(#columns, math.floor(f2 * #columns) + 1)]
  if how == 'keys' then
    -- Normal mode cannot rest after the last character: append after the one before.
    local command = 'i'
    if col > 0 and col == #line then
      col = #line - 1 + vim.str_utf_start(line, #line)   -- the last character's first byte
      command = 'a'
    end
    vim.api.nvim_win_set_cursor(0, { row + 1, col })
    -- Key notation (`<lt>` for `<`), so that UTF-8 bytes 0x80 are escaped as keys; 'x' runs
    -- them at once.
    local keys = vim.api.nvim_replace_termcodes(command .. token:gsub('<', '<lt>') .. '<Esc>', true, true, true)
    vim.api.nvim_feedkeys(keys, 'nx', false)
  else
    vim.api.nvim_buf_set_text(buf, row, col, row, col, { token })
  end
end
