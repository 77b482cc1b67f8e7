-- azure.core.settings (BEHAVIOR §9.5): precedence explicit > user > environment > default, the
-- conversions, snapshots. Environment cases run in a child interpreter (os.getenv cannot be set
-- from Lua).
local settings_mod = require("azure.core.settings")
local exceptions = require("azure.core.exceptions")

local settings = settings_mod.settings

-- Run `code` in a child lua5.4 with `env` ("NAME=value ...") and return its output.
local function child(env, code)
   local script = ([[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = %q
      local s = require("azure.core.settings").settings
      %s
   ]]):format(package.cpath, code)
   -- the same interpreter and native module as this process (LuaJIT and ASan lanes)
   local lua = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
   local p = io.popen("env -u AZURE_LOG_LEVEL -u AZURE_TRACING_ENABLED "
      .. "-u AZURE_SDK_TRACING_IMPLEMENTATION -u AZURE_SDK_CLOUD_CONF " .. env
      .. " " .. lua .. " -e '" .. script:gsub("'", "'\\''") .. "' 2>&1")
   local out = p:read("*a")
   p:close()
   return out
end

describe("settings", function()
   after_each(function()
      settings.log_level:unset_value()
      settings.tracing_enabled:unset_value()
      settings.tracing_implementation:unset_value()
      settings.azure_cloud:unset_value()
      settings.defaults_only = false
   end)

   it("has azure-core's defaults", function()
      local d = settings.defaults
      assert.equal(20, d.log_level)
      assert.is_false(d.tracing_enabled)
      assert.is_nil(d.tracing_implementation)
      assert.equal("AZURE_PUBLIC_CLOUD", d.azure_cloud)
      assert.equal("AZURE_LOG_LEVEL", settings.log_level.env_var)
      assert.equal("AZURE_TRACING_ENABLED", settings.tracing_enabled.env_var)
      assert.equal("AZURE_SDK_TRACING_IMPLEMENTATION", settings.tracing_implementation.env_var)
   end)

   it("explicit > user > environment > default", function()
      assert.equal("20 30 10", child("", [[
         local a = s.log_level()
         s.log_level = "warning"
         io.write(a, " ", s.log_level(), " ", s.log_level("debug"))]]))
      assert.equal("10 40 50 10", child("AZURE_LOG_LEVEL=debug", [[
         local a = s.log_level()
         s.log_level = 40
         local b = s.log_level()
         local c = s.log_level("CRITICAL")
         s.log_level:unset_value()
         io.write(a, " ", b, " ", c, " ", s.log_level())]]))
   end)

   it("reads every setting from its environment variable", function()
      assert.equal("30 true memory AZURE_CHINA_CLOUD", child("AZURE_LOG_LEVEL=Warning "
         .. "AZURE_TRACING_ENABLED=yes AZURE_SDK_TRACING_IMPLEMENTATION=Memory "
         .. "AZURE_SDK_CLOUD_CONF=AZURE_CHINA_CLOUD", [[
         local impl = s.tracing_implementation()
         local memory = require("azure.core.tracing").get_implementation("memory")
         io.write(s.log_level(), " ", tostring(s.tracing_enabled()), " ",
            impl == memory and "memory" or tostring(impl), " ", s.azure_cloud())]]))
   end)

   it("skips an invalid environment value with one warning", function()
      local out = child("AZURE_LOG_LEVEL=loud AZURE_TRACING_ENABLED=maybe", [[
         io.write(s.log_level(), " ", s.log_level(), " ", tostring(s.tracing_enabled()), "\n")]])
      assert.truthy(out:find("20 20 false\n", 1, true))
      local _, n = out:gsub("ignoring AZURE_LOG_LEVEL", "")
      assert.equal(1, n)
      assert.truthy(out:find("Cannot convert maybe to boolean value", 1, true))
   end)

   it("converts log levels: the five numbers and names in any case", function()
      for v, n in pairs({ critical = 50, ERROR = 40, Warning = 30, info = 20, DEBUG = 10,
         [50] = 50, [10] = 10 }) do
         assert.equal(n, settings.log_level(v))
      end
      for _, bad in ipairs({ "warn", "verbose", 15, "10" }) do
         local ok, err = pcall(settings.log_level, bad)
         assert.is_false(ok)
         assert.is_true(err:is("ValueError"))
         assert.truthy(err.message:find("Cannot convert " .. tostring(bad) .. " to log level", 1,
            true))
      end
   end)

   it("converts booleans", function()
      for _, v in ipairs({ true, "yes", "1", "ON", "True", 1 }) do
         assert.is_true(settings.tracing_enabled(v))
      end
      for _, v in ipairs({ false, "no", "0", "Off", "FALSE", 0 }) do
         assert.is_false(settings.tracing_enabled(v))
      end
      local ok, err = pcall(settings.tracing_enabled, "maybe")
      assert.is_false(ok)
      assert.equal("Cannot convert maybe to boolean value", err.message)
   end)

   it("resolves tracing implementations by class or registered name", function()
      local tracing = require("azure.core.tracing")
      local Span = { new = function() return {} end }
      tracing.register_implementation("MySpan", Span)
      assert.equal(Span, settings.tracing_implementation("myspan"))
      assert.equal(Span, settings.tracing_implementation(Span))
      settings.tracing_implementation = "MYSPAN"
      assert.equal(Span, settings.tracing_implementation())
      local ok, err = pcall(settings.tracing_implementation, "nope")
      assert.is_false(ok)
      assert.is_true(err:is("ValueError"))
   end)

   it("a user value that cannot be converted raises when read", function()
      settings.log_level = "loud"
      assert.has_error(function() settings.log_level() end)
      settings.log_level = nil -- assigning nil unsets
      assert.equal(settings.defaults.log_level, settings.log_level())
   end)

   it("current and config give read-only snapshots; config overrides are taken as given",
      function()
         settings.log_level = "error"
         local cur = settings.current
         assert.equal(40, cur.log_level)
         assert.has_error(function() cur.log_level = 10 end)
         local cfg = settings.config{ log_level = 10, tracing_enabled = true }
         assert.equal(10, cfg.log_level)
         assert.is_true(cfg.tracing_enabled)
         assert.equal(40, settings.current.log_level) -- config changed nothing
         assert.same({ "log_level", "tracing_enabled", "tracing_implementation", "azure_cloud" },
            cfg._fields)
         local plain = cfg:_asdict()
         assert.same({ log_level = 10, tracing_enabled = true, azure_cloud = "AZURE_PUBLIC_CLOUD" },
            plain)
         plain.log_level = 50 -- a copy
         assert.equal(10, cfg.log_level)
      end)

   it("defaults_only makes current return the defaults", function()
      settings.log_level = "debug"
      settings.defaults_only = true
      assert.is_true(settings.defaults_only)
      assert.equal(20, settings.current.log_level)
      settings.defaults_only = false
      assert.equal(10, settings.current.log_level)
   end)

   it("a setting without a default and without a value raises RuntimeError", function()
      local s = settings_mod.PrioritizedSetting("custom", { default = settings_mod.UNSET })
      local ok, err = pcall(s)
      assert.is_false(ok)
      assert.is_true(exceptions.is_error(err, "RuntimeError"))
      assert.equal("No configured value found for setting 'custom'", err.message)
      local hooked = settings_mod.PrioritizedSetting("h", { system_hook = function() return 7 end,
         default = 1 })
      assert.equal(7, hooked())
   end)

   it("tells the logging and tracing modules when a value changes", function()
      local logging = require("azure.core.logging")
      local saved, calls = logging._on_settings_changed, 0
      logging._on_settings_changed = function() calls = calls + 1 end
      settings.log_level = "debug"
      settings.log_level:unset_value()
      logging._on_settings_changed = saved
      assert.equal(2, calls)
   end)

   it("refuses unknown settings", function()
      assert.has_error(function() settings.no_such_setting = 1 end)
      assert.is_nil(settings.no_such_setting)
   end)
end)
