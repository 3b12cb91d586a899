--- mesh.commands — the :Mesh* user commands, each a `workspace/executeCommand` to `mesh lsp`.
---
---   :MeshShare              share the current workspace (the `mesh share` CLI when no client runs yet)
---   :MeshJoin {link}        join a session into the current directory (an invite link, or a bare code)
---   :MeshChat {text}        send a chat message (chat arrives as window/showMessage)
---   :MeshFollow [name]      follow a participant; without a name, stop following
---   :MeshWho                who is in the session and where (mesh lsp answers with a message)
---   :MeshAnnotate {text}    annotate the visual range, or the cursor line
---   :MeshInvite [role]      create an invite link (editor by default), also put in the " register
---   :MeshUndo / :MeshRedo   undo / redo only your own changes to this file (a peer's stay)
local config = require('mesh.config')
local position = require('mesh.position')
local presence = require('mesh.presence')

local M = {}

--- The mesh client attached to `bufnr`, else any running mesh client.
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'mesh' })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = 'mesh' })
  end
  return clients[1]
end

local function notify(message, level)
  vim.notify('mesh: ' .. message, level or vim.log.levels.INFO)
end

--- Sends `workspace/executeCommand`; calls `on_result(result)` on success.
--- @param command string e.g. "mesh.chat"
--- @param arguments any[]
--- @param on_result? fun(result: any)
function M.execute(command, arguments, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('no mesh language server is running (open a file in a shared folder)', vim.log.levels.WARN)
    return false
  end
  client:request('workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif on_result then
      on_result(result)
    end
  end, bufnr)
  return true
end

--- Runs the `mesh` CLI (same binary and environment as the language server).
local function cli(args, on_done)
  local program, env = config.command()
  local cmd = vim.list_extend({ program }, args)
  vim.system(cmd, { text = true, env = env }, function(out)
    vim.schedule(function()
      if out.code ~= 0 then
        notify(table.concat(args, ' ', 1, 1) .. ' failed: ' .. vim.trim(out.stderr or ''), vim.log.levels.ERROR)
        return
      end
      local ok, decoded = pcall(vim.json.decode, out.stdout)
      on_done(ok and decoded or out.stdout)
    end)
  end)
end

--- The invite as a message: the link (`<server>/join/<code>`, which names the server) and the
--- bare code. `url` is given when it travels beside the invite (`mesh share --json`).
local function describe_invite(invite, url)
  if type(invite) == 'table' and invite.code then
    url = url or invite.url
    if url then
      return string.format('invite (%s) — the guest runs: mesh join %s (code %s)', invite.role or 'editor', url, invite.code)
    end
    return string.format('invite code %s (%s) — the guest runs: mesh join %s', invite.code, invite.role or 'editor', invite.code)
  end
  return vim.inspect(invite)
end

local function share()
  if M.client() then
    -- mesh lsp reports the invite itself (window/showMessage).
    M.execute('mesh.share', {})
    return
  end
  local dir = vim.fn.getcwd()
  cli({ 'share', dir, '--json' }, function(result)
    local shared = type(result) == 'table' and result or {}
    notify('shared ' .. dir .. '; ' .. describe_invite(shared.invite or result, shared.url))
    require('mesh').attach_all()
  end)
end

--- Joins with an invite link (`<server>/join/<code>`) or a bare code. Without a language server
--- this runs `mesh join`, which needs a login to the link's server (it cannot prompt here: run
--- `mesh join <link>` in a terminal once, or `mesh login --server URL`).
local function join(invite)
  if M.client() then
    M.execute('mesh.join', { invite })
    return
  end
  local dir = vim.fn.getcwd()
  cli({ 'join', invite, dir, '--json' }, function(result)
    local files = type(result) == 'table' and result.files or {}
    notify(string.format('joined into %s (%d files)', dir, #files))
    if files[1] then
      vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(dir, files[1])))
    end
    require('mesh').attach_all()
  end)
end

--- The LSP range an :MeshAnnotate invocation covers.
local function annotate_range(opts, bufnr, encoding)
  local s_row, e_row = opts.line1 - 1, opts.line2 - 1
  local s_col, e_col = 0, nil
  if opts.range == 0 then
    s_row = vim.api.nvim_win_get_cursor(0)[1] - 1
    e_row = s_row
  else
    local vs, ve = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    if vim.fn.visualmode() == 'v' and vs[2] - 1 == s_row and ve[2] - 1 == e_row then
      s_col = vs[3] - 1
      local last = vim.api.nvim_buf_get_lines(bufnr, e_row, e_row + 1, false)[1] or ''
      e_col = math.min(ve[3] - 1, #last)
      e_col = e_col + position.char_len(last, e_col)
    end
  end
  if not e_col then
    e_col = #(vim.api.nvim_buf_get_lines(bufnr, e_row, e_row + 1, false)[1] or '')
  end
  return {
    start = position.to_lsp(bufnr, s_row, s_col, encoding),
    ['end'] = position.to_lsp(bufnr, e_row, e_col, encoding),
  }
end

function M.register()
  local command = vim.api.nvim_create_user_command

  command('MeshShare', share, { desc = 'Share the current folder with Mesh' })

  command('MeshJoin', function(opts)
    join(opts.args)
  end, { nargs = 1, desc = 'Join a Mesh session with an invite link (or code)' })

  command('MeshChat', function(opts)
    M.execute('mesh.chat', { opts.args })
  end, { nargs = '+', desc = 'Send a chat message to the session' })

  command('MeshFollow', function(opts)
    local args = opts.args ~= '' and { opts.args } or {}
    M.execute('mesh.follow', args) -- mesh lsp confirms with window/showMessage
  end, {
    nargs = '?',
    desc = 'Follow a participant (no argument: stop following)',
    complete = function(lead)
      local names = {}
      for _, p in ipairs(presence.participants()) do
        if p.name and vim.startswith(p.name, lead) then
          table.insert(names, p.name)
        end
      end
      return names
    end,
  })

  command('MeshWho', function()
    -- mesh lsp shows the list itself; keep the structured answer for scripts.
    M.execute('mesh.who', {}, function(result)
      M.last_who = result
    end)
  end, { desc = 'Who is in the Mesh session' })

  command('MeshAnnotate', function(opts)
    local bufnr = vim.api.nvim_get_current_buf()
    local client = M.client(bufnr)
    if not client then
      return M.execute('mesh.annotate', {})
    end
    local range = annotate_range(opts, bufnr, client.offset_encoding)
    M.execute('mesh.annotate', { vim.uri_from_bufnr(bufnr), range, opts.args })
  end, { nargs = '+', range = true, desc = 'Annotate the selected lines (or the cursor line)' })

  command('MeshUndo', function()
    M.execute('mesh.undo', { vim.uri_from_bufnr(0) })
  end, { desc = 'Undo your own latest change to this shared file (not a peer\'s)' })

  command('MeshRedo', function()
    M.execute('mesh.redo', { vim.uri_from_bufnr(0) })
  end, { desc = 'Redo your own latest undone change to this shared file' })

  command('MeshInvite', function(opts)
    M.execute('mesh.invite', opts.args ~= '' and { opts.args } or {}, function(result)
      if type(result) == 'table' and result.code then
        -- mesh lsp shows the invite too; keep the link (else the code) at hand
        local invite = result.url or result.code
        pcall(vim.fn.setreg, '+', invite)
        vim.fn.setreg('"', invite)
      end
    end)
  end, {
    nargs = '?',
    desc = 'Create an invite link',
    complete = function()
      return { 'editor', 'viewer', 'owner' }
    end,
  })
end

return M
