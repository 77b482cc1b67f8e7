--- Pipeline policies (azure-core's `azure.core.pipeline.policies`).
-- Policies built in C are userdata with the fields and methods of azure-core's classes; user
-- policies are plain Lua tables, most easily made from the base classes here:
--
--    local P = policies.SansIOHTTPPolicy:extend()
--    function P:on_request(request) request.http_request.headers["X-A"] = "1" end
--
--    local Q = policies.HTTPPolicy:extend()
--    function Q:send(request) return self.next:send(request) end
-- @module azure.core.pipeline.policies
local native = require("azure.core.native")

local setmetatable, getmetatable, type, error = setmetatable, getmetatable, type, error

local M = {}

-- Base classes -----------------------------------------------------------------------------

local function make_class(base)
   local cls = {}
   cls.__index = cls
   --- A subclass; `Sub.new(...)` makes an instance and calls `init(self, ...)` when defined.
   function cls.extend(parent)
      local sub = setmetatable({}, { __index = parent, __call = function(c, ...) return c.new(...) end })
      sub.__index = sub
      sub.extend = cls.extend
      sub.new = function(...)
         local self = setmetatable({}, sub)
         if self.init then self:init(...) end
         return self
      end
      return sub
   end
   if base then setmetatable(cls, { __index = base }) end
   cls.new = function(...)
      local self = setmetatable({}, cls)
      if self.init then self:init(...) end
      return self
   end
   return cls
end

--- SansIO policy: synchronous hooks (they must not yield). The defaults do nothing.
M.SansIOHTTPPolicy = make_class()
function M.SansIOHTTPPolicy.on_request(_, _) end
function M.SansIOHTTPPolicy.on_response(_, _, _) end
function M.SansIOHTTPPolicy.on_exception(_, _, _) end

--- HTTP policy: owns the call to the rest of the chain through `self.next:send(request)`.
M.HTTPPolicy = make_class()
function M.HTTPPolicy.send(self, request) return self.next:send(request) end

-- Native policies --------------------------------------------------------------------------

local function native_class(ctor_name, methods)
   local ctor = native[ctor_name]
   local cls = methods or {}
   cls.new = function(...)
      if not ctor then error(ctor_name .. " is not available in this build", 2) end
      return ctor(...)
   end
   return setmetatable(cls, { __call = function(c, ...) return c.new(...) end })
end

--- RetryMode: exponential or fixed backoff.
M.RetryMode = { Exponential = "exponential", Fixed = "fixed" }

M.RetryPolicy = native_class("RetryPolicy_new")
--- A RetryPolicy that never retries (`retry_total = 0`).
function M.RetryPolicy.no_retries() return M.RetryPolicy.new{ retry_total = 0 } end

M.RedirectPolicy = native_class("RedirectPolicy_new")
--- A RedirectPolicy that follows no redirect.
function M.RedirectPolicy.no_redirects() return M.RedirectPolicy.new{ permit_redirects = false } end

M.HeadersPolicy = native_class("HeadersPolicy_new")
M.RequestIdPolicy = native_class("RequestIdPolicy_new")
M.UserAgentPolicy = native_class("UserAgentPolicy_new")

--- True when `p` is a policy object the pipeline accepts.
function M.is_policy(p)
   local t = type(p)
   if t == "table" then return true end
   if t == "userdata" then
      local mt = getmetatable(p)
      return mt ~= nil and mt.__azc_policy == true
   end
   return false
end

return M
