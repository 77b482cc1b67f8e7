--- The PollingMethod protocol (BEHAVIOR §8.2) and NoPolling (§8.1).
--
-- A polling method is any table with these methods (`PollingMethod:extend("Name")` gives a base
-- whose unimplemented methods raise):
--
--    initialize(client, initial_pipeline_response, deserialization_callback) -> true | nil, err
--    run(opts)        -> true | nil, err   (polls to the end; opts.timeout: seconds it may wait)
--    status()         -> string
--    finished()       -> boolean
--    resource()       -> value | nil, err
--    get_continuation_token()              -> string | nil, err
--    from_continuation_token(token, opts)  -> client, initial_response, callback | nil, err
-- @module azure.core.polling.polling_method
local exceptions = require("azure.core.exceptions")
local continuation_token = require("azure.core.polling.continuation_token")

local setmetatable, type, error, pcall, tostring = setmetatable, type, error, pcall, tostring
local format = string.format

local M = {}

--- Make a class: `cls.new(...)` builds an instance and calls `init(self, ...)` when defined;
-- `cls:extend(name)` derives a class (instances of a subclass see the parent's methods).
-- @tparam[opt] table parent
-- @tparam[opt] string name class name (error messages)
function M.class(parent, name)
   local cls = {}
   cls.__index = cls
   cls._name = name or (parent and parent._name) or "PollingMethod"
   setmetatable(cls, { __index = parent, __call = function(c, ...) return c.new(...) end })
   cls.new = function(...)
      local self = setmetatable({}, cls)
      if self.init then self:init(...) end
      return self
   end
   --- A subclass of this class.
   cls.extend = function(base, sub_name) return M.class(base, sub_name) end
   return cls
end

-- The kind name of API misuse errors raised here.
local function raise(kind, message, level)
   error(exceptions.from_native(kind, message), (level or 1) + 1)
end
M._raise = raise

--- The class name of a polling method instance or class.
local function name_of(self)
   return type(self) == "table" and self._name or tostring(self)
end

---------------------------------------------------------------------------------------------------
-- PollingMethod: the abstract base
---------------------------------------------------------------------------------------------------

local PollingMethod = M.class(nil, "PollingMethod")
M.PollingMethod = PollingMethod

local function abstract(method)
   return function() raise("NotImplementedError", "This method needs to be implemented: "
      .. method, 2) end
end

PollingMethod.initialize = abstract("initialize")
PollingMethod.run = abstract("run")
PollingMethod.status = abstract("status")
PollingMethod.finished = abstract("finished")
PollingMethod.resource = abstract("resource")

--- Raises TypeError: this polling method has no continuation token.
function PollingMethod:get_continuation_token()
   raise("TypeError", format("Polling method '%s' doesn't support get_continuation_token",
      name_of(self)), 2)
end

--- Raises TypeError: this polling method cannot be rebuilt from a continuation token.
function PollingMethod:from_continuation_token()
   raise("TypeError", format("Polling method '%s' doesn't support from_continuation_token",
      name_of(self)), 2)
end

---------------------------------------------------------------------------------------------------
-- Shared helpers
---------------------------------------------------------------------------------------------------

--- Call the deserialization callback on a pipeline response: value, or nil and an error object
-- (a raised value is wrapped).
function M.deserialize(callback, pipeline_response)
   local ok, v, err = pcall(callback, pipeline_response)
   if not ok then return nil, exceptions.wrap(v) end
   if v == nil and err ~= nil then return nil, err end
   return v
end

--- The transport of a client (nil if it has none we can reach).
function M.client_transport(client)
   local p = type(client) == "table" and client.pipeline
   if p == nil then return nil end
   local ok, t = pcall(function() return p:transport() end)
   if ok then return t end
   return nil
end

---------------------------------------------------------------------------------------------------
-- NoPolling
---------------------------------------------------------------------------------------------------

local NoPolling = M.class(PollingMethod, "NoPolling")
M.NoPolling = NoPolling

--- Remember the initial response: it is the result.
function NoPolling:initialize(_, initial_response, deserialization_callback)
   self._initial_response = initial_response
   self._deserialization_callback = deserialization_callback
   return true
end

--- Nothing to poll.
function NoPolling.run() return true end
--- Always "succeeded".
function NoPolling.status() return "succeeded" end
--- Always true.
function NoPolling.finished() return true end

--- The deserialization callback applied to the initial response.
function NoPolling:resource()
   return M.deserialize(self._deserialization_callback, self._initial_response)
end

--- A token holding the initial response.
function NoPolling:get_continuation_token()
   return continuation_token.encode(self._initial_response)
end

--- Rebuild from a token: `opts.deserialization_callback` is required (raises ValueError
-- otherwise); `opts.client` is optional. Called on the class or an instance.
-- @return client (or nil), the initial pipeline response, the callback; or nil and an error
function NoPolling:from_continuation_token(token, opts) -- luacheck: ignore self
   opts = opts or {}
   if opts.deserialization_callback == nil then
      raise("ValueError", "Need kwarg 'deserialization_callback' to be recreated from "
         .. "continuation_token", 2)
   end
   local initial, err = continuation_token.decode(token, M.client_transport(opts.client))
   if not initial then return nil, err end
   return opts.client, initial, opts.deserialization_callback
end

return M
