--- Logging (azure-core's use of Python's `logging`): named loggers in a dotted hierarchy, levels,
-- handlers. The pipeline's logging policies write through it.
--
--    local logging = require("azure.core.logging")
--    logging.set_handler(function(record) print(record.level, record.name, record.message) end)
--    logging.get_logger("azure"):set_level("debug")
--
-- Levels are Python's: critical 50, error 40, warning 30, info 20, debug 10 (names are
-- case-insensitive; numbers work too). A logger without a level takes its parent's (`azure.core`
-- for `azure.core.pipeline`); the root's level is the `log_level` setting (azure.core.settings:
-- `AZURE_LOG_LEVEL`, default info) unless set. A record goes to the handlers of its logger and of
-- its ancestors (while `propagate` is true), then to the application's handler
-- (`set_handler`). When no handler exists at all, the default handler writes warnings and worse
-- to stderr, or through `ngx.log` under nginx, as Python's last-resort handler does; with
-- `AZURE_LOG_LEVEL` in the environment it writes every record the levels let through.
--
-- The native logging policies cost nothing while their records would go nowhere: this module
-- tells each of them, whenever levels or handlers change, whether its logger could write a
-- record (`policy:_set_enabled`), and checks again when a record actually comes.
-- @module azure.core.logging
local native = require("azure.core.native")

local type, tostring, tonumber, pcall, select, pairs, ipairs, setmetatable, rawget, rawset, error =
   type, tostring, tonumber, pcall, select, pairs, ipairs, setmetatable, rawget, rawset, error
local format, lower, upper = string.format, string.lower, string.upper
local getenv = os.getenv

local M = {}

M.CRITICAL, M.ERROR, M.WARNING, M.INFO, M.DEBUG, M.NOTSET = 50, 40, 30, 20, 10, 0

local NAMES = { [50] = "critical", [40] = "error", [30] = "warning", [20] = "info", [10] = "debug",
   [0] = "notset" }
local BY_NAME = { critical = 50, fatal = 50, error = 40, warning = 30, warn = 30, info = 20,
   debug = 10, notset = 0 }

--- The number of a level given by name (any case) or number; nil when it is neither.
function M.to_level(level)
   if type(level) == "number" then return level end
   if type(level) == "string" then return BY_NAME[lower(level)] or tonumber(level) end
   return nil
end

--- The name of a level number ("info"), or "level N" for other numbers.
function M.level_name(n)
   return NAMES[n] or ("level " .. tostring(n))
end

local function check_level(level, what)
   local n = M.to_level(level)
   if not n then
      error(format("%s: unknown level %s (use critical, error, warning, info, debug or a number)",
         what, tostring(level)), 3)
   end
   return n
end

-- Settings ---------------------------------------------------------------------------------------

-- azure.core.settings is read lazily: it may load after this module, or not exist at all.
local settings = require("azure.core._settings_ref")

-- The root's level when nobody set one: the `log_level` setting.
local function settings_level()
   local s = settings()
   local getter = s and s.log_level
   if getter then
      local ok, v = pcall(getter)
      local n = ok and M.to_level(v)
      if n then return n end
   end
   return M.WARNING -- no settings module: Python's root default
end

-- Handlers ---------------------------------------------------------------------------------------

local function report(err)
   -- Python's Handler.handleError: a failing handler never reaches the code that logged
   pcall(function()
      io.stderr:write("--- Logging error ---\n", tostring(err), "\n")
   end)
end

--- The handler that writes a record to stderr as `LEVEL:name:message`.
function M.stderr_handler(record)
   io.stderr:write(upper(record.level), ":", record.name, ":", record.message, "\n")
end

local NGX_LEVELS = { [50] = "CRIT", [40] = "ERR", [30] = "WARN", [20] = "INFO", [10] = "DEBUG" }

local function in_nginx()
   return type(ngx) == "table" and type(ngx.log) == "function" and type(ngx.ERR) == "number"
end

--- The handler that writes a record with `ngx.log` at the matching level (nginx only).
function M.ngx_handler(record)
   local n = record.levelno
   local key = n >= 50 and 50 or n >= 40 and 40 or n >= 30 and 30 or n >= 20 and 20 or 10
   ngx.log(ngx[NGX_LEVELS[key]], record.name, ": ", record.message)
end

-- The default handler's threshold: Python's last resort (warning), nginx's own error_log level
-- when lua-resty-core tells it, everything when AZURE_LOG_LEVEL asks for logs.
local threshold_cache
local function default_threshold()
   if threshold_cache then return threshold_cache end
   local t = M.WARNING
   if getenv("AZURE_LOG_LEVEL") then
      t = M.NOTSET
   elseif in_nginx() then
      local ok, errlog = pcall(require, "ngx.errlog")
      local lvl = ok and type(errlog) == "table" and errlog.get_sys_filter_level
         and errlog.get_sys_filter_level()
      if type(lvl) == "number" then
         -- ngx: 8 debug, 7 info, 6 notice, 5 warn, 4 err, 3 crit and above
         t = lvl >= 8 and M.DEBUG or lvl >= 6 and M.INFO or lvl == 5 and M.WARNING
            or lvl == 4 and M.ERROR or M.CRITICAL
      end
   end
   threshold_cache = t
   return t
end

local function default_handler(record)
   if in_nginx() then return M.ngx_handler(record) end
   return M.stderr_handler(record)
end

local app_handler -- set_handler's function, the root's handler

-- Loggers ----------------------------------------------------------------------------------------

local loggers = {}
local refresh

local Logger = {}
local logger_mt = {}

local PRIVATE = { level = "_level", propagate = "_propagate", disabled = "_disabled" }

logger_mt.__index = function(self, k)
   local p = PRIVATE[k]
   if p then return rawget(self, p) end
   return Logger[k]
end
-- level, propagate and disabled are kept private so that writing them refreshes the policies
logger_mt.__newindex = function(self, k, v)
   local p = PRIVATE[k]
   if not p then
      rawset(self, k, v)
      return
   end
   if k == "level" then v = check_level(v, "logger.level") end
   if k ~= "level" then v = v and true or false end
   rawset(self, p, v)
   refresh()
end
logger_mt.__tostring = function(self)
   return format("<Logger %s (%s)>", self.name, M.level_name(self:get_effective_level()))
end

local root = setmetatable({ name = "root", _level = 0, _propagate = true, _disabled = false,
   handlers = {} }, logger_mt)

-- The nearest existing ancestor (loggers created later become parents of existing children).
local function parent_of(logger)
   if logger == root then return nil end
   local name = logger.name
   while true do
      local dot = name:match("^.*()%.")
      if not dot then return root end
      name = name:sub(1, dot - 1)
      local p = loggers[name]
      if p then return p end
   end
end

--- The logger named `name` (dotted: `azure.core.pipeline`); the root for nil or "".
-- The same name always gives the same object.
function M.get_logger(name)
   if name == nil or name == "" or name == "root" then return root end
   if type(name) ~= "string" then error("get_logger: name must be a string", 2) end
   local l = loggers[name]
   if not l then
      l = setmetatable({ name = name, _level = 0, _propagate = true, _disabled = false,
         handlers = {} }, logger_mt)
      loggers[name] = l
   end
   return l
end

--- Set the level (name or number; nil or "notset": inherit).
function Logger:set_level(level)
   self.level = level == nil and 0 or check_level(level, "set_level")
end

--- The level that applies: the first one set on the logger or its ancestors, else the
-- `log_level` setting.
function Logger:get_effective_level()
   local l = self
   while l do
      local lv = rawget(l, "_level")
      if lv ~= 0 then return lv end
      l = parent_of(l)
   end
   return settings_level()
end

--- True when a record of `level` would be created (Python's isEnabledFor).
function Logger:is_enabled_for(level)
   if rawget(self, "_disabled") then return false end
   return check_level(level, "is_enabled_for") >= self:get_effective_level()
end

--- Add a handler: `fn(record)`, called for records of at least `level` (default all).
function Logger:add_handler(fn, level)
   if type(fn) ~= "function" then error("add_handler: handler must be a function", 2) end
   local hs = self.handlers
   hs[#hs + 1] = { fn = fn, level = level == nil and 0 or check_level(level, "add_handler") }
   refresh()
end

--- Remove a handler added with add_handler (true when it was there).
function Logger:remove_handler(fn)
   local hs = self.handlers
   for i = #hs, 1, -1 do
      if hs[i].fn == fn then
         table.remove(hs, i)
         refresh()
         return true
      end
   end
   return false
end

-- Hand a record to the handlers (Python's callHandlers). Handler failures are reported, never
-- raised.
local function call_handlers(self, levelno, msg)
   local record = { level = NAMES[levelno] or M.level_name(levelno), levelno = levelno,
      name = self.name, message = msg, time = os.time() }
   local found = false
   local l = self
   while l do
      for _, h in ipairs(l.handlers) do
         found = true
         if levelno >= h.level then
            local ok, err = pcall(h.fn, record)
            if not ok then report(err) end
         end
      end
      if l == root and app_handler then
         found = true
         local ok, err = pcall(app_handler, record)
         if not ok then report(err) end
      end
      if not rawget(l, "_propagate") then break end
      l = parent_of(l)
   end
   if not found and levelno >= default_threshold() then
      local ok, err = pcall(default_handler, record)
      if not ok then report(err) end
   end
end

--- Log `fmt` (formatted with `string.format` when arguments follow) at `level`.
function Logger:log(level, fmt, ...)
   local n = check_level(level, "log")
   if not self:is_enabled_for(n) then return end
   local msg = fmt
   if select("#", ...) > 0 then
      local ok, s = pcall(format, tostring(fmt), ...)
      if not ok then
         report(s) -- Python drops a record that fails to format
         return
      end
      msg = s
   elseif type(msg) ~= "string" then
      msg = tostring(msg)
   end
   call_handlers(self, n, msg)
end

function Logger:debug(fmt, ...) return self:log(10, fmt, ...) end
function Logger:info(fmt, ...) return self:log(20, fmt, ...) end
function Logger:warning(fmt, ...) return self:log(30, fmt, ...) end
function Logger:error(fmt, ...) return self:log(40, fmt, ...) end
function Logger:critical(fmt, ...) return self:log(50, fmt, ...) end
Logger.warn = Logger.warning

M.Logger = Logger

--- Set the application's handler `fn(record)` (record.level, record.levelno, record.name,
-- record.message, record.time); nil goes back to the default handler.
function M.set_handler(fn)
   if fn ~= nil and type(fn) ~= "function" then
      error("set_handler: handler must be a function or nil", 2)
   end
   app_handler = fn
   refresh()
end

--- The application's handler (nil when the default one is in use).
function M.get_handler() return app_handler end

-- Native policies --------------------------------------------------------------------------------

-- Could a record of `levelno` from `logger` reach a handler? Conservative: a level that comes
-- from the settings (which may change without telling us) counts as letting it through; the
-- record is checked again when it comes (emit below).
local function would_emit(logger, levelno)
   if rawget(logger, "_disabled") then return false end
   local l, explicit = logger, nil
   while l do
      local lv = rawget(l, "_level")
      if lv ~= 0 then
         explicit = lv
         break
      end
      l = parent_of(l)
   end
   if explicit and levelno < explicit then return false end
   local found = false
   l = logger
   while l do
      for _, h in ipairs(l.handlers) do
         found = true
         if levelno >= h.level then return true end
      end
      if l == root and app_handler then return true end
      if not rawget(l, "_propagate") then break end
      l = parent_of(l)
   end
   return not found and levelno >= default_threshold()
end

local policies = setmetatable({}, { __mode = "k" })

local function sync(p)
   local lvl = p.http_logging_level or M.DEBUG
   p:_set_enabled(would_emit(M.get_logger(p:_logger_name()), lvl))
end

function refresh()
   -- a collected policy may linger as a weak key after its finalizer ran: pcall skips it
   for p in pairs(policies) do pcall(sync, p) end
end

--- Re-read what the logging policies depend on (call after changing azure.core.settings'
-- `log_level` if records should start flowing at once; level and handler changes made here do
-- it themselves).
function M.refresh()
   threshold_cache = nil
   refresh()
end
M._on_settings_changed = M.refresh

-- Called by the native constructors: keep the policy informed from now on.
function M._adopt_policy(p)
   policies[p] = true
   sync(p)
end

-- The native policies' records: checked against the logger once more, then handled.
local function emitter(name, levelno, text)
   local l = M.get_logger(name)
   if l:is_enabled_for(levelno) then call_handlers(l, levelno, text) end
end

native.set_log_emitter(function(name, levelno, text)
   local ok, err = pcall(emitter, name, levelno, text)
   if not ok then report(err) end
end)

return M
