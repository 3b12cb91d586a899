--- mesh.position — conversions between Neovim byte columns and LSP positions.
---
--- `mesh lsp` negotiates the position encoding (utf-32, utf-8, else utf-16), so every
--- `Position` on the wire counts units of that encoding. Neovim works in 0-based rows and
--- byte columns. These helpers convert with the client's `offset_encoding` and clamp
--- positions that fall past the end of a line or of the buffer (a peer's cursor may be
--- ahead of a buffer that has not received the latest edit yet).
local M = {}

--- The text of one 0-based line, or nil past the end of the buffer.
local function line_text(bufnr, row)
  local lines = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)
  return lines[1]
end

--- LSP position → 0-based row and byte column, clamped into the buffer.
--- @param bufnr integer
--- @param pos {line: integer, character: integer}
--- @param encoding string 'utf-8'|'utf-16'|'utf-32'
--- @return integer row, integer col
function M.to_byte(bufnr, pos, encoding)
  local count = vim.api.nvim_buf_line_count(bufnr)
  local row = math.max(0, math.min(pos.line or 0, count - 1))
  local line = line_text(bufnr, row) or ''
  if (pos.line or 0) >= count then
    return row, #line
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, pos.character or 0, false)
  if not ok or not col then
    col = #line
  end
  return row, math.min(col, #line)
end

--- 0-based row and byte column → LSP position in `encoding`.
--- @return {line: integer, character: integer}
function M.to_lsp(bufnr, row, col, encoding)
  local line = line_text(bufnr, row) or ''
  col = math.max(0, math.min(col, #line))
  local ok, character = pcall(vim.str_utfindex, line, encoding, col, false)
  if not ok or not character then
    character = col
  end
  return { line = row, character = character }
end

--- Byte length of the character starting at byte `col` of `line` (0 at the end of the line).
function M.char_len(line, col)
  if col >= #line then
    return 0
  end
  return vim.str_utf_end(line, col + 1) + 1
end

return M
