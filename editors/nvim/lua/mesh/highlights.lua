--- mesh.highlights — the per-user highlight groups, one set for each of the 8 colours.
---
--- `MeshCursor0`..`MeshCursor7` (a peer's caret), `MeshSelection0`..`7` (a peer's selection,
--- a dimmed background) and `MeshLabel0`..`7` (the name tag). They are defined with
--- `default = true`, so a colour scheme or the user may override any of them, and they are
--- defined again after every `:colorscheme`.
local config = require('mesh.config')

local M = {}

M.count = 8

local function hex_to_rgb(hex)
  hex = hex:gsub('#', '')
  return tonumber(hex:sub(1, 2), 16), tonumber(hex:sub(3, 4), 16), tonumber(hex:sub(5, 6), 16)
end

--- Mixes `color` into the editor background so that a selection stays readable.
local function dim(color, amount)
  local bg = vim.o.background == 'light' and '#ffffff' or '#1e1e1e'
  local r1, g1, b1 = hex_to_rgb(color)
  local r2, g2, b2 = hex_to_rgb(bg)
  local function mix(a, b)
    return math.floor(a * amount + b * (1 - amount) + 0.5)
  end
  return string.format('#%02x%02x%02x', mix(r1, r2), mix(g1, g2), mix(b1, b2))
end

--- The index (0..7) of a participant's colour, whatever the server sent.
function M.index(color)
  return (tonumber(color) or 0) % M.count
end

function M.cursor(color)
  return 'MeshCursor' .. M.index(color)
end

function M.selection(color)
  return 'MeshSelection' .. M.index(color)
end

function M.label(color)
  return 'MeshLabel' .. M.index(color)
end

function M.define()
  local colors = config.options.colors
  for i = 0, M.count - 1 do
    local color = colors[i + 1] or colors[(i % #colors) + 1]
    vim.api.nvim_set_hl(0, M.cursor(i), { default = true, bg = color, fg = '#000000' })
    vim.api.nvim_set_hl(0, M.selection(i), { default = true, bg = dim(color, 0.3) })
    vim.api.nvim_set_hl(0, M.label(i), { default = true, bg = color, fg = '#000000', bold = true })
  end
end

return M
