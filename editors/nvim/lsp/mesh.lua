--- `mesh lsp` for Neovim 0.11's own LSP configuration: with this folder (editors/nvim) on the
--- runtimepath, one line starts Mesh in every shared folder, with no `require('mesh').setup()`:
---
---   vim.lsp.enable('mesh')
---
--- Change what you need with `vim.lsp.config` (merged over this table), e.g.
---
---   vim.lsp.config('mesh', { cmd = { '/opt/mesh/bin/mesh', 'lsp' },
---                            cmd_env = { MESH_HOME = '/path/to/another/mesh/home' } })
---
--- It starts only for a buffer under a folder holding `.mesh/session.json` (written by
--- `mesh share` and `mesh join`), for every file type (`filetypes` is nil), and reuses one
--- client per shared folder. The plugin's modules (lua/mesh) give it real cursors, the strict
--- `workspace/applyEdit` handler and the :Mesh* commands; copied alone into another config
--- folder it falls back to a plain client (Neovim's own handlers). See `:help mesh-setup`.
local ok, mesh = pcall(require, 'mesh')
if ok and type(mesh.lsp_config) == 'function' then
  return mesh.lsp_config()
end

return {
  cmd = { 'mesh', 'lsp' },
  filetypes = nil,
  -- `root_markers` can only name a file or folder found in some ancestor; what makes a folder
  -- shared is the file `.mesh/session.json` inside it, so this looks for that.
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if name == '' or vim.bo[bufnr].buftype ~= '' then
      return
    end
    for dir in vim.fs.parents(vim.fs.normalize(vim.fn.fnamemodify(name, ':p'))) do
      if vim.uv.fs_stat(vim.fs.joinpath(dir, '.mesh', 'session.json')) then
        on_dir(dir)
        return
      end
    end
  end,
  flags = { debounce_text_changes = 50 },
}
