--- Configuration (BEHAVIOR §3): the policies a PipelineClient's default chain is built from.
-- Every policy attribute starts nil; a nil attribute leaves that policy out of the chain.
-- @module azure.core.configuration
local setmetatable, type, error = setmetatable, type, error

local M = {}

local Configuration = {}
Configuration.__index = Configuration

--- The policy attributes, in no particular order.
M.POLICY_ATTRIBUTES = { "headers_policy", "proxy_policy", "redirect_policy", "retry_policy",
   "custom_hook_policy", "logging_policy", "http_logging_policy", "user_agent_policy",
   "authentication_policy", "request_id_policy" }

--- A configuration with every policy attribute nil and `polling_interval` (default 30 s).
-- @tparam[opt] table options
function M.Configuration_new(options)
   if options ~= nil and type(options) ~= "table" then
      error("Configuration.new: options must be a table", 2)
   end
   local polling = options and options.polling_interval
   if polling ~= nil and type(polling) ~= "number" then
      error("Configuration.new: polling_interval must be a number", 2)
   end
   return setmetatable({ polling_interval = polling or 30 }, Configuration)
end

M.Configuration = setmetatable({ new = M.Configuration_new }, {
   __call = function(_, ...) return M.Configuration_new(...) end,
})

return M
