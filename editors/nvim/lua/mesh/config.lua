--- mesh.config — the options `require("mesh").setup()` accepts, with their defaults.
---
---   require("mesh").setup({
---     cmd = { "mesh", "lsp" },      -- how to start the language server
---     cmd_env = nil,                -- extra environment, e.g. { MESH_HOME = "/path" }
---     init_options = nil,           -- { server = "http://…", session = "<uuid>", token = "…" }
---     filetypes = nil,              -- nil: every buffer inside a shared workspace
---     cursor_throttle_ms = 50,      -- at most one mesh/cursor per this many ms
---     debounce_text_changes = 50,   -- ms Neovim waits before sending didChange (its default: 150)
---     label_position = "eol",       -- where a peer's name is drawn: "eol", "inline", "right_align"
---     hide_hint_diagnostics = true, -- the plugin draws selections itself; hide mesh's hint diagnostics
---     colors = { … 8 colours … },   -- per-user colours, indexed by the participant's `color` (0..7)
---     dap = { program = "${workspaceFolder}" },
---   })
local M = {}

M.defaults = {
  cmd = { 'mesh', 'lsp' },
  cmd_env = nil,
  init_options = nil,
  filetypes = nil,
  cursor_throttle_ms = 50,
  debounce_text_changes = 50,
  label_position = 'eol',
  hide_hint_diagnostics = true,
  colors = {
    '#e06c75', -- red
    '#98c379', -- green
    '#e5c07b', -- yellow
    '#61afef', -- blue
    '#c678dd', -- magenta
    '#56b6c2', -- cyan
    '#d19a66', -- orange
    '#ff79c6', -- pink
  },
  dap = { program = '${workspaceFolder}' },
}

M.options = vim.deepcopy(M.defaults)

--- Whether `setup()` ran (else the options are the defaults, and a client may come from
--- `vim.lsp.enable('mesh')` with whatever `vim.lsp.config('mesh', …)` said).
M.is_set = false

function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  M.is_set = true
  return M.options
end

--- The `mesh` command and its environment, as the language server runs it: `setup()`'s
--- options, else those of `vim.lsp.config('mesh')` when `vim.lsp.enable('mesh')` is on.
--- @return string program, table<string,string>? env
function M.command()
  if not M.is_set and vim.lsp.is_enabled and vim.lsp.is_enabled('mesh') then
    local ok, resolved = pcall(function()
      return vim.lsp.config.mesh
    end)
    if ok and type(resolved) == 'table' and type(resolved.cmd) == 'table' and resolved.cmd[1] then
      return resolved.cmd[1], resolved.cmd_env
    end
  end
  return M.options.cmd[1] or 'mesh', M.options.cmd_env
end

return M
