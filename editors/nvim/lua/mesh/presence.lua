--- mesh.presence — draws the other participants' cursors and selections.
---
--- `mesh lsp` sends `mesh/presence` with every participant present in one file:
---
---   { uri = "file:///…", participants = {
---       { user = "<id>", name = "Ada", color = 3,
---         selections = { { anchor = Position, head = Position } } } } }
---
--- Positions count units of the negotiated encoding (`client.offset_encoding`). An empty
--- `participants` list clears the file. Each notification replaces everything drawn in that
--- buffer: the namespace is cleared and redrawn. Extmarks then move with later edits on their
--- own until the next notification.
local config = require('mesh.config')
local highlights = require('mesh.highlights')
local position = require('mesh.position')

local M = {}

M.ns = vim.api.nvim_create_namespace('mesh')

--- The last presence per file URI, and who is where (for :MeshWho and :MeshFollow completion).
--- @type table<string, {participants: table[], encoding: string, client_id: integer?}>
M.by_uri = {}

--- Client id → how many others are present in its open files (for the statusline).
--- @type table<integer, integer>
M.peers = {}

local function compare(a_row, a_col, b_row, b_col)
  if a_row ~= b_row then
    return a_row < b_row and -1 or 1
  end
  if a_col ~= b_col then
    return a_col < b_col and -1 or 1
  end
  return 0
end

local function draw_selection(bufnr, participant, selection, encoding)
  local color = participant.color
  local a_row, a_col = position.to_byte(bufnr, selection.anchor, encoding)
  local h_row, h_col = position.to_byte(bufnr, selection.head, encoding)

  if compare(a_row, a_col, h_row, h_col) ~= 0 then
    local s_row, s_col, e_row, e_col = a_row, a_col, h_row, h_col
    if compare(a_row, a_col, h_row, h_col) > 0 then
      s_row, s_col, e_row, e_col = h_row, h_col, a_row, a_col
    end
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, s_row, s_col, {
      end_row = e_row,
      end_col = e_col,
      hl_group = highlights.selection(color),
      priority = 150,
      strict = false,
    })
  end

  -- The caret: the character under it, or a block just past the end of the line.
  local line = vim.api.nvim_buf_get_lines(bufnr, h_row, h_row + 1, false)[1] or ''
  local width = position.char_len(line, h_col)
  if width > 0 then
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, h_row, h_col, {
      end_col = h_col + width,
      hl_group = highlights.cursor(color),
      priority = 200,
      strict = false,
    })
  else
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, h_row, h_col, {
      virt_text = { { ' ', highlights.cursor(color) } },
      virt_text_pos = 'overlay',
      priority = 200,
      strict = false,
    })
  end
  return h_row, h_col
end

--- Draws one participant: every selection, and the name once, at the first caret.
local function draw_participant(bufnr, participant, encoding)
  local label_row, label_col
  for _, selection in ipairs(participant.selections or {}) do
    local row, col = draw_selection(bufnr, participant, selection, encoding)
    if not label_row then
      label_row, label_col = row, col
    end
  end
  if label_row then
    local pos = config.options.label_position
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, label_row, pos == 'inline' and label_col or 0, {
      virt_text = { { ' ' .. (participant.name or '?') .. ' ', highlights.label(participant.color) } },
      virt_text_pos = pos,
      hl_mode = 'combine',
      priority = 210,
      strict = false,
    })
  end
end

--- Redraws one buffer from the stored presence of its URI.
function M.redraw(bufnr)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local state = M.by_uri[vim.uri_from_bufnr(bufnr)]
  if not state then
    return
  end
  for _, participant in ipairs(state.participants) do
    local ok, err = pcall(draw_participant, bufnr, participant, state.encoding)
    if not ok then
      vim.notify_once('mesh: cannot draw presence: ' .. tostring(err), vim.log.levels.DEBUG)
    end
  end
end

--- The loaded buffer showing `uri`, if any (never creates one).
local function buffer_for(uri)
  local ok, fname = pcall(vim.uri_to_fname, uri)
  if not ok then
    return nil
  end
  local bufnr = vim.fn.bufnr(fname)
  if bufnr > 0 and vim.api.nvim_buf_is_loaded(bufnr) then
    return bufnr
  end
  return nil
end

--- The `mesh/presence` notification handler (an LSP handler: err, result, ctx).
function M.handler(_, params, ctx)
  if type(params) ~= 'table' or type(params.uri) ~= 'string' then
    return
  end
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local encoding = client and client.offset_encoding or 'utf-16'
  local participants = params.participants or {}
  if #participants == 0 then
    M.by_uri[params.uri] = nil
  else
    M.by_uri[params.uri] = { participants = participants, encoding = encoding, client_id = ctx.client_id }
  end
  local bufnr = buffer_for(params.uri)
  if bufnr then
    M.redraw(bufnr)
  end
  M.count(ctx.client_id)
end

--- Recounts the distinct others present in `client_id`'s files; redraws the statuslines when
--- the number changed (so `require('mesh').statusline()` stays a table lookup).
function M.count(client_id)
  local seen, count = {}, 0
  for _, state in pairs(M.by_uri) do
    if state.client_id == client_id then
      for _, p in ipairs(state.participants) do
        if p.user and not seen[p.user] then
          seen[p.user] = true
          count = count + 1
        end
      end
    end
  end
  if (M.peers[client_id] or 0) ~= count then
    M.peers[client_id] = count > 0 and count or nil
    vim.cmd.redrawstatus({ bang = true })
  end
end

--- How many others are present in the files `client_id` has open (0 when none or unknown).
function M.peer_count(client_id)
  return M.peers[client_id] or 0
end

--- Forgets what a stopped client reported, and clears what was drawn from it.
function M.forget(client_id)
  for uri, state in pairs(M.by_uri) do
    if state.client_id == client_id then
      M.by_uri[uri] = nil
      local bufnr = buffer_for(uri)
      if bufnr then
        M.redraw(bufnr)
      end
    end
  end
  M.count(client_id)
end

--- Every participant seen anywhere: { name, user, uri } (for :MeshFollow completion).
function M.participants()
  local seen, list = {}, {}
  for uri, state in pairs(M.by_uri) do
    for _, p in ipairs(state.participants) do
      if not seen[p.user] then
        seen[p.user] = true
        table.insert(list, { name = p.name, user = p.user, uri = uri })
      end
    end
  end
  table.sort(list, function(a, b)
    return (a.name or '') < (b.name or '')
  end)
  return list
end

return M
