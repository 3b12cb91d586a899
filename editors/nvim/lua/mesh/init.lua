--- mesh — real-time pair programming in Neovim through `mesh lsp`.
---
--- Usage (lazy.nvim or any plugin manager; the plugin lives in editors/nvim):
---
---   require("mesh").setup({ cmd = { "mesh", "lsp" } })
---   require("mesh").dap()   -- optional: nvim-dap adapter for `mesh dap`
---
--- `setup()` starts `mesh lsp` (one client per shared workspace, reused across buffers) for
--- every buffer inside a folder holding `.mesh/session.json` (written by `mesh share` and
--- `mesh join`). Remote edits arrive as `workspace/applyEdit`, applied by mesh.edits only to
--- the buffer version they name; this plugin adds what plain LSP cannot show well: real cursors and selections of the other participants
--- (`mesh/presence` → extmarks, see mesh.presence), the local cursor (`mesh/cursor`, see
--- mesh.cursor), exactly where each change was made (`mesh/exactChange`, see mesh.exact: what
--- per-user undo needs) and the :Mesh* commands (see mesh.commands). See docs/editors.md.
---
--- Neovim 0.11 without `setup()`: `vim.lsp.enable('mesh')` reads `lsp/mesh.lua` (this folder),
--- which returns `M.lsp_config()`: the same client, attached by Neovim's own FileType logic.
--- `M.statusline()` is a statusline item ("mesh: 2 peers").
--- `:checkhealth mesh` is mesh.health; `:help mesh` is doc/mesh.txt.
local config = require('mesh.config')
local cursor = require('mesh.cursor')
local edits = require('mesh.edits')
local exact = require('mesh.exact')
local highlights = require('mesh.highlights')
local presence = require('mesh.presence')

local M = {}

M.presence = presence

--- The folder holding `.mesh/session.json` above `bufnr`'s file, or nil.
function M.root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local dir = vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(name, ':p')))
  while dir do
    local root = vim.fs.root(dir, '.mesh')
    if not root then
      return nil
    end
    if vim.uv.fs_stat(vim.fs.joinpath(root, '.mesh', 'session.json')) then
      return root
    end
    local parent = vim.fs.dirname(root)
    if parent == root then
      return nil
    end
    dir = parent
  end
end

--- Neovim applies versioned `documentChanges` but does not advertise it: advertise what it
--- really does, and that this plugin's `workspace/applyEdit` handler (mesh.edits) checks every
--- version and answers truthfully.
local function capabilities()
  return vim.tbl_deep_extend('force', vim.lsp.protocol.make_client_capabilities(), {
    workspace = { workspaceEdit = { documentChanges = true } },
    experimental = { mesh = { strictApplyEdit = true } },
  })
end

--- Highlights, commands and the redraw autocommands, for a client started by
--- `vim.lsp.enable('mesh')` without `setup()` (which does the same itself). Once.
local ui_ready = false
local function ensure_ui()
  if ui_ready then
    return
  end
  ui_ready = true
  highlights.define()
  require('mesh.commands').register()
  local group = vim.api.nvim_create_augroup('mesh.ui', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = highlights.define })
  vim.api.nvim_create_autocmd('BufWinEnter', {
    group = group,
    callback = function(args)
      presence.redraw(args.buf)
    end,
  })
end

local function on_attach(client, bufnr)
  ensure_ui()
  cursor.attach(client, bufnr)
  exact.attach(client, bufnr)
  presence.redraw(bufnr)
  if config.options.hide_hint_diagnostics then
    -- Selections arrive as hint diagnostics for editors without a plugin; we draw them as
    -- extmarks already, so show only annotations (information and above) from mesh.
    local ns = vim.lsp.diagnostic.get_namespace(client.id)
    local at_least_info = { severity = { min = vim.diagnostic.severity.INFO } }
    vim.diagnostic.config({
      underline = at_least_info,
      virtual_text = at_least_info,
      signs = at_least_info,
    }, ns)
  end
  if config.options.on_attach then
    config.options.on_attach(client, bufnr)
  end
end

--- What a mesh client needs from its extmarks and handlers once an editor attaches a buffer
--- (the `on_attach` of `M.lsp_config()`): report the cursor, draw the peers, hide hint
--- diagnostics. Call it from your own `on_attach` if you replace this one through
--- `vim.lsp.config('mesh', { on_attach = … })` (an `LspAttach` autocommand needs nothing).
M.on_attach = on_attach

--- The client configuration, as `vim.lsp.config` takes it (and `lsp/mesh.lua` returns it):
--- `mesh lsp` for every file type (`filetypes` nil), started only in a folder holding
--- `.mesh/session.json` (`root_dir` calls back only there; `root_markers` cannot name a file
--- inside a folder), with the plugin's handlers and a 50 ms `didChange` debounce.
--- Uses the options of `setup()` if it ran, else the defaults.
--- @return vim.lsp.Config
function M.lsp_config()
  local opts = config.options
  return {
    name = 'mesh',
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    filetypes = opts.filetypes,
    root_dir = function(bufnr, on_dir)
      local root = M.root(bufnr)
      if root then
        on_dir(root)
      end
    end,
    init_options = opts.init_options,
    capabilities = capabilities(),
    flags = { debounce_text_changes = opts.debounce_text_changes },
    handlers = { ['mesh/presence'] = presence.handler, ['workspace/applyEdit'] = edits.handler },
    on_attach = on_attach,
    on_exit = function(_, _, client_id)
      vim.schedule(function()
        cursor.detach(client_id)
        exact.detach(client_id)
        presence.forget(client_id)
      end)
    end,
  }
end

--- Starts (or reuses) the mesh client for `bufnr` if it lies in a shared workspace.
--- @return integer? client_id
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local filetypes = config.options.filetypes
  if filetypes and not vim.tbl_contains(filetypes, vim.bo[bufnr].filetype) then
    return nil
  end
  local root = M.root(bufnr)
  if not root then
    return nil
  end
  local client = M.lsp_config()
  client.root_dir = root
  return vim.lsp.start(client, { bufnr = bufnr })
end

--- Attaches every loaded file buffer (after :MeshShare / :MeshJoin created a session).
--- Without `setup()` but with `vim.lsp.enable('mesh')`, Neovim's own logic attaches them.
function M.attach_all()
  if not config.is_set and vim.lsp.is_enabled and vim.lsp.is_enabled('mesh') then
    vim.cmd.doautoall('nvim.lsp.enable FileType')
    return
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

--- For a statusline: `"mesh: 2 peers"` in a buffer a mesh client is attached to (the others
--- present in the files this Neovim has open in that session, as `mesh/presence` last said),
--- `""` elsewhere. No request: a lookup of what the plugin already holds.
---   vim.o.statusline = "%f %{%v:lua.require'mesh'.statusline()%} %=%l:%c"
--- @param bufnr? integer default: the current buffer (the statusline's own window in `%{}`)
--- @return string
function M.statusline(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'mesh' })[1]
  if not client then
    return ''
  end
  local count = presence.peer_count(client.id)
  return ('mesh: %d %s'):format(count, count == 1 and 'peer' or 'peers')
end

function M.setup(opts)
  config.set(opts)
  ui_ready = true
  pcall(vim.api.nvim_del_augroup_by_name, 'mesh.ui')
  highlights.define()
  require('mesh.commands').register()

  local group = vim.api.nvim_create_augroup('mesh', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = highlights.define })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  vim.api.nvim_create_autocmd('BufWinEnter', {
    group = group,
    callback = function(args)
      presence.redraw(args.buf)
    end,
  })
  M.attach_all()
end

--- Registers the nvim-dap adapter (`dap.adapters.mesh`) and a Go launch configuration.
--- @return boolean registered false when nvim-dap is not installed
function M.dap(opts)
  return require('mesh.dap').setup(opts)
end

return M
