--- mesh plugin entry: nothing starts until `require("mesh").setup()`; this only guards
--- against loading twice and offers :MeshSetup for trying the plugin without a config.
if vim.g.loaded_mesh then
  return
end
vim.g.loaded_mesh = true

vim.api.nvim_create_user_command('MeshSetup', function()
  require('mesh').setup(vim.g.mesh_options)
end, { desc = 'Start Mesh with vim.g.mesh_options (or the defaults)' })
