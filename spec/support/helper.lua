--- Test support for the busted specs: the test servers' addresses, started on demand.
--
-- `require("support.helper")` (busted run with `--lpath='...;spec/?.lua'`).
--
-- When TEST_SERVER_URL is set (a runner sourced DIR/env.sh written by
-- `sh spec/support/servers.sh start DIR`), the TEST_* variables come from the environment.
-- Otherwise the first `helper.env()` starts servers.sh into a fresh temporary directory, once
-- per process; they are stopped by `helper.stop()`, or when the Lua state closes (a `__gc`
-- sentinel), or, should the process die, by the watcher servers.sh runs for it. So a single spec
-- file can be run alone.
--
-- The state lives in the registry rather than in the module table: busted unloads modules a spec
-- file required when the file ends, and the servers should outlive one file.

local socket = require("socket")

local M = {}

local REGISTRY_KEY = "azc.spec.support.helper"

local function state()
   local reg = debug.getregistry()
   local st = reg[REGISTRY_KEY]
   if not st then
      st = { blackhole = {} }
      reg[REGISTRY_KEY] = st
   end
   return st
end

local function shell_quote(s)
   return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read_file(path)
   local f = io.open(path, "rb")
   if not f then
      return nil
   end
   local s = f:read("*a")
   f:close()
   return s
end

--- Absolute path of this directory (spec/support).
local function support_dir()
   local src = debug.getinfo(1, "S").source
   local dir = src:match("^@(.*)/[^/]*$") or "."
   if dir:sub(1, 1) ~= "/" then
      local pwd = os.getenv("PWD")
      if not pwd then
         local p = io.popen("pwd")
         pwd = p:read("l")
         p:close()
      end
      dir = pwd .. "/" .. dir
   end
   return dir
end

local function self_pid()
   local s = read_file("/proc/self/stat")
   return s and s:match("^(%d+)")
end

--- Parses the `export NAME='value'` lines of env.sh.
local function parse_env(text)
   local values = {}
   for name, value in text:gmatch("export ([%w_]+)='([^']*)'") do
      values[name] = value
   end
   return values
end

local function stop_servers(st)
   for i, c in ipairs(st.blackhole) do
      c:close()
      st.blackhole[i] = nil
   end
   st.filled = nil
   if st.dir then
      os.execute(string.format("sh %s stop %s; rm -rf %s", shell_quote(st.script),
         shell_quote(st.dir), shell_quote(st.dir)))
      st.dir, st.values = nil, nil
   end
end

local function start_servers(st)
   local p = assert(io.popen("mktemp -d \"${TMPDIR:-/tmp}/azc-test-servers.XXXXXX\""))
   local dir = p:read("l")
   p:close()
   assert(dir and dir ~= "", "mktemp -d failed")
   st.script = support_dir() .. "/servers.sh"
   -- Tells the watcher to remove the directory too if this process dies without stopping.
   assert(io.open(dir .. "/.autoremove", "w")):close()
   local ok = os.execute(string.format("sh %s start %s %s > %s 2>&1", shell_quote(st.script),
      shell_quote(dir), self_pid() or "", shell_quote(dir .. "/start.log")))
   local env = read_file(dir .. "/env.sh")
   if not ok or not env then
      local log = read_file(dir .. "/start.log") or ""
      os.execute(string.format("sh %s stop %s; rm -rf %s", shell_quote(st.script),
         shell_quote(dir), shell_quote(dir)))
      error("spec/support/servers.sh start failed:\n" .. log)
   end
   st.dir = dir
   st.values = parse_env(env)
   -- Collected when the Lua state closes (busted exits with os.exit(code, true)).
   st.sentinel = setmetatable({}, {
      __gc = function()
         stop_servers(st)
      end,
   })
end

--- Returns the value of a TEST_* variable (see docs/testing.md), starting the servers first
-- when the environment does not name them.
-- @tparam string name e.g. "TEST_SERVER_URL", "TEST_CA", "TEST_PROXY_URL"
-- @treturn string|nil the value
function M.env(name)
   if os.getenv("TEST_SERVER_URL") then
      return os.getenv(name)
   end
   local st = state()
   if not st.values then
      start_servers(st)
   end
   local v = st.values[name]
   if v == nil then
      v = os.getenv(name)
   end
   return v
end

--- Stops the servers this process started (no-op otherwise) and removes their directory.
-- Idempotent; the next `helper.env()` starts a fresh set.
function M.stop()
   stop_servers(state())
end

--- Returns TEST_SERVER_URL .. path.
-- @tparam string path e.g. "/echo?x=1"
-- @treturn string
function M.url(path)
   return M.env("TEST_SERVER_URL") .. (path or "")
end

--- Returns the test server's port (a number).
function M.port()
   return tonumber(M.url():match(":(%d+)$"))
end

--- Fills the accept queue of the blackhole listener (TEST_BLACKHOLE_PORT), so that any new
-- connect to it times out. The connections stay referenced until `helper.stop()`. Idempotent.
-- The listener has a backlog of 1, which Linux turns into two queued connections; once it is
-- full, further SYNs are dropped (net.ipv4.tcp_abort_on_overflow = 0, the default). The queue
-- stays full after this process exits (the queued connections are never accepted).
-- @treturn integer the number of connections this call opened
function M.fill_blackhole()
   local st = state()
   if st.filled then
      return 0
   end
   local port = tonumber(M.env("TEST_BLACKHOLE_PORT"))
   local opened = 0
   for _ = 1, 8 do
      local c = assert(socket.tcp4())
      c:settimeout(0.2)
      if not c:connect("127.0.0.1", port) then
         c:close()
         break
      end
      st.blackhole[#st.blackhole + 1] = c
      opened = opened + 1
   end
   st.filled = true
   return opened
end

--- Reads this process's memory use from /proc/self/status.
-- @treturn table `{rss = kB, hwm = kB}`: VmRSS (now) and VmHWM (peak RSS)
function M.rss_kb()
   local s = read_file("/proc/self/status") or ""
   return {
      rss = tonumber(s:match("VmRSS:%s*(%d+)")),
      hwm = tonumber(s:match("VmHWM:%s*(%d+)")),
   }
end

--- Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs), so a later
-- `rss_kb().hwm` measures the peak of what follows.
-- @treturn boolean true when the kernel accepted it
function M.reset_hwm()
   local f = io.open("/proc/self/clear_refs", "w")
   if not f then
      return false
   end
   local ok = f:write("5")
   return (f:close() and ok) and true or false
end

--- The interpreter running the specs ("luajit", "lua5.4", ...), for spec subprocesses that must
-- load the same build of the native module.
function M.lua_exe()
   if jit then return "luajit" end
   return "lua" .. _VERSION:match("%d+%.%d+")
end

--- Wall-clock seconds with sub-second precision (luasocket's gettime).
-- @treturn number
function M.now()
   return socket.gettime()
end

return M
