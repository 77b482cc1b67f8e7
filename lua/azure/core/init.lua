--- azure-core for Lua: the runtime under Azure SDKs written in Lua.
-- @module azure.core
local M = {}

M.VERSION = "0.1.0"

-- Submodules are loaded on first use so `require("azure.core")` stays cheap.
local lazy = {
   PipelineClient = function() return require("azure.core.pipeline_client").PipelineClient end,
   MatchConditions = function() return require("azure.core.match_conditions").MatchConditions end,
}

return setmetatable(M, {
   __index = function(t, k)
      local load = lazy[k]
      if not load then return nil end
      local v = load()
      rawset(t, k, v)
      return v
   end,
})
