--- mesh.edits — applies mesh lsp's `workspace/applyEdit` exactly as asked.
---
--- Neovim's own handler checks an edit's version only when it is above 0 (every buffer is at
--- version 0 right after `didOpen`) and answers `applied = true` for an edit it skipped as
--- older than the buffer; it also prints the edit's label. mesh lsp can cope with that, but
--- one case stays undecidable for it: typing, just before the edit arrives, of exactly what
--- the edit inserts. This handler refuses any edit whose version is not the buffer's (0
--- included), answers truthfully, and prints nothing. The plugin announces it to mesh lsp with
--- the client capability `experimental.mesh.strictApplyEdit`.
local M = {}

local function refuse(reason)
  return { applied = false, failureReason = reason }
end

--- The `workspace/applyEdit` handler for the mesh client.
function M.handler(_, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local edit = params and params.edit
  if not client or type(edit) ~= 'table' then
    return refuse('no client or no edit')
  end
  local changes = edit.documentChanges
  if changes == nil then
    local ok, err = pcall(vim.lsp.util.apply_workspace_edit, edit, client.offset_encoding)
    return ok and { applied = true } or refuse(tostring(err))
  end
  -- Every version is checked before anything is applied: all or nothing.
  local targets = {}
  for index, change in ipairs(changes) do
    if change.kind ~= nil or type(change.textDocument) ~= 'table' then
      return refuse('mesh sends text edits only')
    end
    local bufnr = vim.uri_to_bufnr(change.textDocument.uri)
    local version = change.textDocument.version
    if version ~= nil and version ~= vim.NIL then
      if not vim.api.nvim_buf_is_loaded(bufnr) or vim.lsp.util.buf_versions[bufnr] ~= version then
        return refuse(('buffer %d is at version %s, the edit at %s'):format(
          bufnr, tostring(vim.lsp.util.buf_versions[bufnr]), tostring(version)))
      end
    end
    targets[index] = bufnr
  end
  for index, change in ipairs(changes) do
    local ok, err = pcall(vim.lsp.util.apply_text_edits, change.edits, targets[index], client.offset_encoding)
    if not ok then
      return refuse(tostring(err))
    end
  end
  return { applied = true }
end

return M
