--- Private: the settings object, loaded lazily. azure.core.settings may load after the module
-- asking (it tells logging and tracing about changes, so it requires them), or not exist at all.
-- @module azure.core._settings_ref
local pcall, require, type, tostring = pcall, require, type, tostring

local settings_obj

--- The `settings` object of azure.core.settings, or nil while it cannot be loaded.
return function()
   if settings_obj == nil then
      local ok, mod = pcall(require, "azure.core.settings")
      if ok then
         settings_obj = type(mod) == "table" and mod.settings or false
      elseif tostring(mod):find("module 'azure.core.settings' not found", 1, true) then
         settings_obj = false -- not installed: do not search for it again
      else
         return nil -- failed while loading (it may be loading us): try again next time
      end
   end
   return settings_obj or nil
end
