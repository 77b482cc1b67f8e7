--- Process-wide settings (azure-core's `azure.core.settings`, BEHAVIOR §9.5).
--
--    local settings = require("azure.core.settings").settings
--    settings.log_level()             -- 20: the value, by precedence
--    settings.log_level("debug")      -- 10: an explicit value wins (converted)
--    settings.log_level = "warning"   -- the user's value (assigning nil unsets it)
--    settings.log_level:unset_value()
--    settings.current.tracing_enabled -- read-only snapshot of every setting
--
-- Each setting resolves with the precedence: explicit value given to the call (non-nil) >
-- value set by the user > environment variable > system hook > default. Values are converted:
--
-- * `log_level` (`AZURE_LOG_LEVEL`, default 20 = info): 50, 40, 30, 20, 10, or the names
--   critical, error, warning, info, debug in any case.
-- * `tracing_enabled` (`AZURE_TRACING_ENABLED`, default false): booleans, or yes/1/on/true and
--   no/0/off/false in any case.
-- * `tracing_implementation` (`AZURE_SDK_TRACING_IMPLEMENTATION`, default nil): a span class
--   (a table with `new`), or the name of one registered with azure.core.tracing (case-insensitive,
--   "memory" is built in).
-- * `azure_cloud` (`AZURE_SDK_CLOUD_CONF`, default "AZURE_PUBLIC_CLOUD"): one of
--   `M.AzureClouds` (newest azure-core).
--
-- A value that cannot be converted raises a ValueError-kind error when it is given explicitly
-- or set by the user. An invalid environment value is reported once on stderr and skipped (the
-- lower sources decide), as newer azure-core does, so a typo in the environment cannot break
-- every client.
-- @module azure.core.settings
local exceptions = require("azure.core.exceptions")

local type, tostring, error, pairs, ipairs, setmetatable, pcall, next =
   type, tostring, error, pairs, ipairs, setmetatable, pcall, next
local lower, upper, format = string.lower, string.upper, string.format
local getenv = os.getenv

local M = {}

local function value_error(message)
   return exceptions.from_native("ValueError", message)
end

local function py_str(v)
   if v == nil then return "None" end
   if v == true then return "True" end
   if v == false then return "False" end
   return tostring(v)
end

-- Conversions ------------------------------------------------------------------------------------

local LEVELS = { CRITICAL = 50, ERROR = 40, WARNING = 30, INFO = 20, DEBUG = 10 }
local LEVEL_NUMBERS = { [50] = true, [40] = true, [30] = true, [20] = true, [10] = true }

--- A log level from a level number or name (azure-core's convert_logging).
-- @return the number; raises a ValueError-kind error otherwise
function M.convert_logging(value)
   if type(value) == "number" and LEVEL_NUMBERS[value] then return value end
   local level = type(value) == "string" and LEVELS[upper(value)]
   if not level then
      error(value_error(format("Cannot convert %s to log level, valid values are: "
         .. "CRITICAL, ERROR, WARNING, INFO, DEBUG", py_str(value))), 2)
   end
   return level
end

local TRUE = { yes = true, ["1"] = true, on = true, ["true"] = true }
local FALSE = { no = true, ["0"] = true, off = true, ["false"] = true }

--- A boolean from a boolean or a yes/1/on/true, no/0/off/false string (any case).
-- @return the boolean; raises a ValueError-kind error otherwise
function M.convert_bool(value)
   if type(value) == "boolean" then return value end
   if value == 1 or value == 0 then return value == 1 end -- Python: 1 == True
   if type(value) == "string" then
      local v = lower(value)
      if TRUE[v] then return true end
      if FALSE[v] then return false end
   end
   error(value_error(format("Cannot convert %s to boolean value", py_str(value))), 2)
end

--- A tracing implementation (span class) from a class or a registered name; nil stays nil.
-- @return the class or nil; raises a ValueError-kind error for an unknown name
function M.convert_tracing_impl(value)
   if value == nil or value == false then return nil end
   if type(value) ~= "string" then return value end
   local ok, tracing = pcall(require, "azure.core.tracing")
   local impl = ok and type(tracing) == "table" and tracing.get_implementation
      and tracing.get_implementation(lower(value))
   if not impl then
      error(value_error(format("Cannot convert %s to AbstractSpan, valid values are: memory",
         lower(value))), 2)
   end
   return impl
end

--- The Azure clouds (newest azure-core's AzureClouds).
M.AzureClouds = { AZURE_PUBLIC_CLOUD = "AZURE_PUBLIC_CLOUD",
   AZURE_CHINA_CLOUD = "AZURE_CHINA_CLOUD", AZURE_US_GOVERNMENT = "AZURE_US_GOVERNMENT" }

--- An Azure cloud from its name (exact, as azure-core's enum lookup).
function M.convert_azure_cloud(value)
   local v = type(value) == "string" and M.AzureClouds[value]
   if not v then
      error(value_error(format("Cannot convert %s to Azure Cloud, valid values are: "
         .. "AZURE_PUBLIC_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOVERNMENT", py_str(value))), 2)
   end
   return v
end

-- PrioritizedSetting -----------------------------------------------------------------------------

local warned = {} -- "VAR=value" -> true: each bad environment value is reported once

-- Tell the modules that cache what settings imply (native logging and tracing policies).
local function changed()
   for _, name in ipairs({ "azure.core.logging", "azure.core.tracing" }) do
      local mod = package.loaded[name]
      if type(mod) == "table" and type(mod._on_settings_changed) == "function" then
         pcall(mod._on_settings_changed)
      end
   end
end

local Setting = {}
Setting.__index = Setting
Setting.__name = "azure.core.settings.PrioritizedSetting"

local UNSET = setmetatable({}, { __tostring = function() return "<unset>" end })
--- The "no value" marker: a `default` of `M.UNSET` means the setting has no default.
M.UNSET = UNSET

--- Build a setting.
-- @tparam string name
-- @tparam[opt] table opts `env_var`, `system_hook` (function), `default` (nil means nil; M.UNSET
-- means none: resolving then raises), `convert` (function)
function M.PrioritizedSetting(name, opts)
   opts = opts or {}
   return setmetatable({ name = name, env_var = opts.env_var, _system_hook = opts.system_hook,
      default = opts.default, _convert = opts.convert or function(x) return x end,
      _user = UNSET }, Setting)
end

--- Resolve: `value` (when not nil) > user value > environment > system hook > default.
-- @param[opt] value an explicit value
-- @return the converted value
function Setting:resolve(value)
   local convert = self._convert
   if value ~= nil then return convert(value) end
   if self._user ~= UNSET then return convert(self._user) end
   local env = self.env_var and getenv(self.env_var)
   if env ~= nil then
      local ok, v = pcall(convert, env)
      if ok then return v end
      local key = self.env_var .. "=" .. env
      if not warned[key] then
         warned[key] = true
         pcall(function()
            io.stderr:write(format("azure.core.settings: ignoring %s: %s\n", self.env_var,
               exceptions.is_error(v) and v.message or tostring(v)))
         end)
      end
   end
   if self._system_hook then return convert(self._system_hook()) end
   if self.default ~= UNSET then return convert(self.default) end
   error(exceptions.from_native("RuntimeError",
      format("No configured value found for setting '%s'", self.name)), 2)
end
Setting.__call = function(self, value) return self:resolve(value) end

--- Set the user's value (it wins over everything but explicit values). nil unsets it.
function Setting:set_value(value)
   if value == nil then
      self._user = UNSET
   else
      self._user = value
   end
   changed()
end

--- Forget the user's value, so the environment and the default count again.
function Setting:unset_value()
   self._user = UNSET
   changed()
end

function Setting:__tostring() return format("PrioritizedSetting(%q)", self.name) end

-- Settings ---------------------------------------------------------------------------------------

local ORDER = { "log_level", "tracing_enabled", "tracing_implementation", "azure_cloud" }
local function order_copy()
   local t = {}
   for i, k in ipairs(ORDER) do t[i] = k end
   return t
end

-- A read-only record (azure-core's namedtuple): fields, `_fields` (names in order), `_asdict()`
-- (a plain copy; iterate that on Lua 5.1 / LuaJIT, where `pairs` ignores `__pairs`).
local function snapshot(values, fields)
   local methods = {
      _fields = fields,
      _asdict = function()
         local t = {}
         for k, v in pairs(values) do t[k] = v end
         return t
      end,
   }
   return setmetatable({}, {
      __index = function(_, k)
         local v = values[k]
         if v == nil then v = methods[k] end
         return v
      end,
      __newindex = function(_, k)
         error("settings snapshot is read-only (field '" .. tostring(k) .. "')", 2)
      end,
      __pairs = function() return next, values, nil end,
      __name = "azure.core.settings.Config",
   })
end

--- Build a Settings object with its own PrioritizedSetting objects (`M.settings` is the
-- process-wide one).
function M.Settings()
   local list = {
      log_level = M.PrioritizedSetting("log_level", { env_var = "AZURE_LOG_LEVEL",
         convert = M.convert_logging, default = 20 }),
      tracing_enabled = M.PrioritizedSetting("tracing_enabled", {
         env_var = "AZURE_TRACING_ENABLED", convert = M.convert_bool, default = false }),
      tracing_implementation = M.PrioritizedSetting("tracing_implementation", {
         env_var = "AZURE_SDK_TRACING_IMPLEMENTATION", convert = M.convert_tracing_impl }),
      azure_cloud = M.PrioritizedSetting("azure_cloud", { env_var = "AZURE_SDK_CLOUD_CONF",
         convert = M.convert_azure_cloud, default = M.AzureClouds.AZURE_PUBLIC_CLOUD }),
   }
   local state = { defaults_only = false }
   local S = {}

   --- Read-only snapshot of every setting's default (environment and user values ignored).
   local function defaults()
      local v = {}
      for _, k in ipairs(ORDER) do
         local d = list[k].default
         if d ~= UNSET then v[k] = d end
      end
      return snapshot(v, order_copy())
   end

   --- Read-only snapshot of every setting's current value, with `overrides` taking precedence
   -- (azure-core's `config(**kwargs)`; overrides are taken as given).
   function S.config(overrides)
      if overrides ~= nil and type(overrides) ~= "table" then
         error("settings.config: overrides must be a table", 2)
      end
      local v, fields = {}, {}
      for i, k in ipairs(ORDER) do
         v[k] = list[k]()
         fields[i] = k
      end
      for k, x in pairs(overrides or {}) do
         if v[k] == nil and list[k] == nil then fields[#fields + 1] = k end
         v[k] = x
      end
      return snapshot(v, fields)
   end

   return setmetatable(S, {
      __index = function(_, k)
         local s = list[k]
         if s then return s end
         if k == "defaults" then return defaults() end
         if k == "current" then
            if state.defaults_only then return defaults() end
            return S.config()
         end
         if k == "defaults_only" then return state.defaults_only end
         return nil
      end,
      __newindex = function(_, k, value)
         local s = list[k]
         if s then
            s:set_value(value)
         elseif k == "defaults_only" then
            state.defaults_only = value and true or false
         else
            error("settings has no setting '" .. tostring(k) .. "'", 2)
         end
      end,
      __name = "azure.core.settings.Settings",
   })
end

--- The process-wide settings.
M.settings = M.Settings()

return M
