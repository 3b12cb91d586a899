--- mesh plugin entry: no client starts until `require("mesh").setup()` or
--- `vim.lsp.enable('mesh')` (lsp/mesh.lua); this guards against loading twice, defines the
--- :Mesh* commands (so that :MeshShare and :MeshJoin work before any folder is shared) and
--- offers :MeshSetup for trying the plugin without a config.
if vim.g.loaded_mesh then
  return
end
vim.g.loaded_mesh = true

require('mesh.commands').register()

vim.api.nvim_create_user_command('MeshSetup', function()
  require('mesh').setup(vim.g.mesh_options)
end, { desc = 'Start Mesh with vim.g.mesh_options (or the defaults)' })
