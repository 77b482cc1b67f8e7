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

-- Proxy, content decoding, custom hooks, sensitive-header cleanup (BEHAVIOR §4.4, 4.5, 4.10,
-- 4.14): native; the Lua sides of the two that call Lua are policies/content_decode.lua and
-- policies/custom_hook.lua.
local content_decode = require("azure.core.pipeline.policies.content_decode")
require("azure.core.pipeline.policies.custom_hook")
M.ProxyPolicy = native_class("ProxyPolicy_new")
M.ContentDecodePolicy = native_class("ContentDecodePolicy_new", {
   deserialize_from_text = content_decode.deserialize_from_text,
   deserialize_from_http_generics = content_decode.deserialize_from_http_generics,
   parse_xml = content_decode.parse_xml, CONTEXT_NAME = "deserialized_data" })
M.CustomHookPolicy = native_class("CustomHookPolicy_new")
M.SensitiveHeaderCleanupPolicy = native_class("SensitiveHeaderCleanupPolicy_new", {
   DEFAULT_SENSITIVE_HEADERS = { "Authorization", "x-ms-authorization-auxiliary" } })

-- Logging and tracing (BEHAVIOR §4.11-4.13): native; their Lua side is azure.core.logging and
-- azure.core.tracing, which the constructors load.
local log_headers, log_query = {}, {}
if native.logging_defaults then log_headers, log_query = native.logging_defaults() end
M.NetworkTraceLoggingPolicy = native_class("NetworkTraceLoggingPolicy_new")
M.HttpLoggingPolicy = native_class("HttpLoggingPolicy_new", {
   DEFAULT_HEADERS_ALLOWLIST = log_headers, DEFAULT_QUERY_PARAMS_ALLOWLIST = log_query,
   REDACTED_PLACEHOLDER = "REDACTED", MULTI_RECORD_LOG = "AZURE_SDK_LOGGING_MULTIRECORD" })
M.DistributedTracingPolicy = native_class("DistributedTracingPolicy_new")

-- Authentication (BEHAVIOR §4.8, §4.9): native classes; the bearer policy's Lua methods
-- (TOKEN steps, authorize_request, on_challenge) live in policies/authentication.lua.
local authentication = require("azure.core.pipeline.policies.authentication")
M.BearerTokenCredentialPolicy = native_class("BearerTokenCredentialPolicy_new")
--- azure-core's default challenge handling, for an `on_challenge` that wants to fall back to it.
M.BearerTokenCredentialPolicy.default_on_challenge = authentication.default_on_challenge
M.AzureKeyCredentialPolicy = native_class("AzureKeyCredentialPolicy_new")
M.AzureSasCredentialPolicy = native_class("AzureSasCredentialPolicy_new")

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
