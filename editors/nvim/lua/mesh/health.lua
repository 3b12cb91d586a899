--- mesh.health — `:checkhealth mesh`.
---
--- Neovim's version, the `mesh` command and its version, whether the folder of the buffer you
--- came from (else the current directory) is shared, whether you are logged in (never showing
--- a token), whether a mesh client is attached to that buffer, and nvim-dap (optional).
local config = require('mesh.config')

local M = {}

local health = vim.health
local bit = require('bit')

--- The buffer the user was in before `:checkhealth` opened its own (a new tab, a split or a
--- float): the current one if it is a file, else the previous window's, else the previous
--- tab's, else the alternate buffer.
local function user_buffer()
  local function usable(bufnr)
    return bufnr and bufnr > 0 and vim.api.nvim_buf_is_valid(bufnr) and vim.bo[bufnr].buftype == ''
  end
  local current = vim.api.nvim_get_current_buf()
  if usable(current) then
    return current
  end
  local previous = vim.fn.win_getid(vim.fn.winnr('#'))
  if previous ~= 0 and previous ~= vim.api.nvim_get_current_win() then
    local bufnr = vim.api.nvim_win_get_buf(previous)
    if usable(bufnr) then
      return bufnr
    end
  end
  local tabnr = vim.fn.tabpagenr('#')
  if tabnr > 0 then
    local tab = vim.api.nvim_list_tabpages()[tabnr]
    local bufnr = tab and vim.api.nvim_win_get_buf(vim.api.nvim_tabpage_get_win(tab))
    if usable(bufnr) then
      return bufnr
    end
  end
  local alternate = vim.fn.bufnr('#')
  return usable(alternate) and alternate or nil
end

--- The nearest folder at or above `dir` holding `.mesh/session.json`, and that file's path.
local function find_session(dir)
  while dir do
    local file = vim.fs.joinpath(dir, '.mesh', 'session.json')
    if vim.uv.fs_stat(file) then
      return dir, file
    end
    local parent = vim.fs.dirname(dir)
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

local function read_json(path)
  local fd = io.open(path, 'r')
  if not fd then
    return nil, 'cannot read ' .. path
  end
  local text = fd:read('*a')
  fd:close()
  local ok, decoded = pcall(vim.json.decode, text)
  if not ok or type(decoded) ~= 'table' then
    return nil, ('%s is not a JSON object (%s)'):format(path, ok and type(decoded) or tostring(decoded))
  end
  return decoded
end

local function normalize_server(url)
  return type(url) == 'string' and (url:gsub('%s', ''):gsub('/+$', '')) or nil
end

local function check_neovim()
  health.start('mesh: Neovim')
  local version = tostring(vim.version())
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. version)
  else
    health.error('Neovim ' .. version .. ' is too old', { 'editors/nvim needs Neovim 0.11 or later' })
  end
end

local function check_command()
  health.start('mesh: the mesh command')
  local program, env = config.command()
  if vim.fn.executable(program) ~= 1 then
    health.error(('`%s` is not an executable on $PATH'):format(program), {
      'build it (`swift build -c release`) and put .build/release/mesh on $PATH',
      "or name it: vim.lsp.config('mesh', { cmd = { '/path/to/mesh', 'lsp' } }), or setup({ cmd = … })",
    })
    return
  end
  local path = vim.fn.exepath(program)
  local ok, result = pcall(function()
    return vim.system({ program, '--version' }, { text = true, env = env }):wait(5000)
  end)
  if not ok then
    health.error(('`%s --version` could not run: %s'):format(program, tostring(result)))
  elseif result.code ~= 0 then
    health.error(('`%s --version` exited %d: %s'):format(program, result.code, vim.trim(result.stderr or '')))
  else
    health.ok(('mesh %s (%s)'):format(vim.trim(result.stdout or ''), path))
  end
end

--- @return table? session  the parsed `.mesh/session.json` when the folder is shared
local function check_folder(bufnr)
  health.start('mesh: this folder')
  local name = bufnr and vim.api.nvim_buf_get_name(bufnr) or ''
  local dir = name ~= '' and vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(name, ':p')))
    or vim.fs.normalize(vim.fn.getcwd())
  local root, file = find_session(dir)
  if not root then
    health.warn(('not shared: no .mesh/session.json in %s or above'):format(dir), {
      'share it: `mesh share <folder>` or :MeshShare',
      'or join a session into it: `mesh join <invite link> <folder>` or :MeshJoin <link>',
    })
    return nil
  end
  local session, err = read_json(file)
  if not session then
    health.error(err, { 'share or join the folder again to rewrite it' })
    return nil
  end
  if type(session.server) ~= 'string' or type(session.session) ~= 'string' then
    health.error(file .. ' names no server or no session', { 'share or join the folder again to rewrite it' })
    return nil
  end
  health.ok(('shared: %s (session %s%s on %s)'):format(root, session.session,
    type(session.name) == 'string' and (' "' .. session.name .. '"') or '', session.server))
  return session
end

--- `$MESH_HOME` as `mesh lsp` sees it (the client's `cmd_env` first), else ~/.config/mesh.
local function mesh_home()
  local _, env = config.command()
  local home = env and env.MESH_HOME or vim.env.MESH_HOME
  if home and home ~= '' then
    return vim.fs.normalize(home)
  end
  return vim.fs.joinpath(vim.fs.normalize(vim.env.HOME or vim.uv.os_homedir()), '.config', 'mesh')
end

local function check_login(session)
  health.start('mesh: login')
  local report = session and health.error or health.warn
  local file = vim.fs.joinpath(mesh_home(), 'credentials.json')
  local stat = vim.uv.fs_stat(file)
  if not stat then
    report(('not logged in: no %s'):format(file), {
      '`mesh login --server URL` (or `mesh signup --server URL`), or `mesh join <invite link>`',
      'a different $MESH_HOME: cmd_env = { MESH_HOME = … } in setup() or vim.lsp.config',
    })
    return
  end
  local credentials, err = read_json(file)
  if not credentials then
    health.error(err, { 'delete it and log in again: `mesh login --server URL`' })
    return
  end
  -- Only whether tokens are there: never their text.
  local logged_in = type(credentials.accessToken) == 'string' or type(credentials.refreshToken) == 'string'
  local server = normalize_server(credentials.server) or '?'
  if not logged_in then
    report(('logged out of %s (%s)'):format(server, file), { '`mesh login --server ' .. server .. '`' })
    return
  end
  local who = type(credentials.email) == 'string' and (' as ' .. credentials.email) or ''
  health.ok(('logged in to %s%s (%s)'):format(server, who, file))
  if stat.mode and bit.band(stat.mode, tonumber('077', 8)) ~= 0 then
    health.warn(('%s is readable by others (mode %o)'):format(file, bit.band(stat.mode, tonumber('777', 8))),
      { 'chmod 600 ' .. file })
  end
  local wanted = session and normalize_server(session.server)
  if wanted and wanted ~= server then
    health.error(('this folder\'s session is on %s, the login is for %s'):format(wanted, server),
      { '`mesh login --server ' .. wanted .. '`' })
  end
end

local function check_client(bufnr, session)
  health.start('mesh: language server')
  local enabled = vim.lsp.is_enabled and vim.lsp.is_enabled('mesh')
  if config.is_set then
    health.ok("require('mesh').setup() ran" .. (enabled and "; vim.lsp.enable('mesh') is on too" or ''))
  elseif enabled then
    health.ok("vim.lsp.enable('mesh') is on (lsp/mesh.lua)")
  else
    health.warn("neither vim.lsp.enable('mesh') nor require('mesh').setup() ran: nothing starts mesh lsp",
      { "add vim.lsp.enable('mesh') (or require('mesh').setup()) to your config" })
  end
  if not bufnr then
    health.info('no file buffer to check (run :checkhealth mesh from a file)')
    return
  end
  local file = vim.api.nvim_buf_get_name(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'mesh' })[1]
  if client then
    local count = require('mesh.presence').peer_count(client.id)
    health.ok(('client %d attached to %s (%s, %s encoding, %d %s present)'):format(client.id,
      vim.fn.fnamemodify(file, ':~:.'), client.initialized and 'initialized' or 'starting',
      client.offset_encoding or '?', count, count == 1 and 'peer' or 'peers'))
  elseif session then
    local advice = { ':LspLog and :checkhealth vim.lsp say why a client did not start' }
    if enabled and not config.is_set and vim.bo[bufnr].filetype == '' then
      table.insert(advice, 1, "vim.lsp.enable starts clients on FileType, and this buffer has no filetype: "
        .. "set one, or use require('mesh').setup(), which attaches every file")
    end
    health.warn(('no mesh client attached to %s'):format(vim.fn.fnamemodify(file, ':~:.')), advice)
  else
    health.info('no mesh client attached (the folder is not shared)')
  end
end

local function check_dap()
  health.start('mesh: nvim-dap (optional)')
  local ok, dap = pcall(require, 'dap')
  if not ok then
    health.info('nvim-dap is not installed: only needed to debug through `mesh dap`')
    return
  end
  if type(dap.adapters) == 'table' and dap.adapters.mesh then
    health.ok('nvim-dap found; the mesh adapter is registered')
  else
    health.ok("nvim-dap found; call require('mesh').dap() to register the mesh adapter")
  end
end

function M.check()
  local bufnr = user_buffer()
  check_neovim()
  check_command()
  local session = check_folder(bufnr)
  check_login(session)
  check_client(bufnr, session)
  check_dap()
end

return M
