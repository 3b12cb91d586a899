--- mesh.dap — an nvim-dap adapter for `mesh dap`.
---
--- `mesh dap` speaks DAP over stdio and forwards it to the Mesh server, which runs the
--- session's current code under Delve in a sandbox; every participant sees the same stops.
--- `require("mesh").dap()` registers `dap.adapters.mesh` and a Go launch configuration.
--- Without nvim-dap installed it only warns and returns false.
local config = require('mesh.config')

local M = {}

function M.setup(opts)
  local ok, dap = pcall(require, 'dap')
  if not ok then
    vim.notify('mesh: nvim-dap is not installed; skipping the mesh debug adapter', vim.log.levels.WARN)
    return false
  end
  opts = vim.tbl_deep_extend('force', config.options.dap or {}, opts or {})

  local program, env = config.command()
  dap.adapters.mesh = {
    type = 'executable',
    command = program,
    args = { 'dap' },
    options = env and { env = env } or nil,
  }

  local launch = {
    type = 'mesh',
    request = 'launch',
    name = 'Mesh: debug the shared session (Delve on the server)',
    mode = 'debug',
    program = opts.program or '${workspaceFolder}',
  }
  dap.configurations.go = dap.configurations.go or {}
  for _, existing in ipairs(dap.configurations.go) do
    if existing.type == 'mesh' and existing.name == launch.name then
      return true
    end
  end
  table.insert(dap.configurations.go, launch)
  return true
end

return M
