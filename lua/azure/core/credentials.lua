--- Credentials (azure-core's `azure.core.credentials`, BEHAVIOR §5).
--
-- Tokens: `AccessToken` and `AccessTokenInfo` are immutable values a token credential returns.
-- A token credential is any object with
--
--    cred:get_token(scopes, {claims =, tenant_id =, enable_cae =}) -> AccessToken | nil, err
--    cred:get_token_info(scopes, {claims =, tenant_id =, enable_cae =})
--       -> AccessTokenInfo | nil, err
--
-- (`get_token_info` optional and preferred; `scopes` is a list of strings; the options table holds
-- only the keys the policy was given; both may do I/O, and may yield under the Lua driver).
--
-- Shared secrets: `AzureKeyCredential`, `AzureNamedKeyCredential` and `AzureSasCredential` keep
-- their secret in C, shared with every policy built from them, so `update` reaches clients that
-- are already running. `tostring` never shows a secret or a token.
-- @module azure.core.credentials
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")

local type, error, setmetatable, getmetatable, tostring, ipairs, pcall = type, error,
   setmetatable, getmetatable, tostring, ipairs, pcall

local M = {}

local function raise(kind, message)
   error(exceptions.from_native(kind, message), 3)
end

local function class(name, new)
   return setmetatable({ new = new }, {
      __call = function(_, ...) return new(...) end,
      __tostring = function() return "azure.core.credentials." .. name end,
   })
end

---------------------------------------------------------------------------------------------------
-- AccessToken / AccessTokenInfo
---------------------------------------------------------------------------------------------------

-- Field values live outside the object, so assignment can be refused (__newindex always fires).
local values = setmetatable({}, { __mode = "k" })

local function immutable(name, fields)
   local mt = { __name = "azure.core.credentials." .. name }
   mt.__index = function(t, k) return values[t][k] end
   mt.__newindex = function()
      error(exceptions.from_native("TypeError", name .. " is immutable"), 2)
   end
   mt.__eq = function(a, b)
      local x, y = values[a], values[b]
      if not x or not y then return false end
      for _, f in ipairs(fields) do
         if x[f] ~= y[f] then return false end
      end
      return true
   end
   -- never the token itself: tostring() ends up in logs
   mt.__tostring = function(t)
      local d = values[t]
      local s = name .. "(token=<redacted>, expires_on=" .. tostring(d.expires_on)
      if d.token_type ~= nil and name == "AccessTokenInfo" then
         s = s .. ", token_type=" .. tostring(d.token_type)
         if d.refresh_on ~= nil then s = s .. ", refresh_on=" .. tostring(d.refresh_on) end
      end
      return s .. ")"
   end
   return mt
end

local function check_token_args(name, token, expires_on)
   if type(token) ~= "string" then
      raise("TypeError", name .. ": token must be a string, got " .. type(token))
   end
   if type(expires_on) ~= "number" then
      raise("TypeError", name .. ": expires_on must be a number (Unix seconds), got "
         .. type(expires_on))
   end
end

local access_token_mt = immutable("AccessToken", { "token", "expires_on" })

--- `AccessToken.new(token, expires_on)`: an immutable pair; `t.token`, `t.expires_on`, also
-- `t[1]`, `t[2]` and `(table.unpack or unpack)(t)` as azure-core's tuple unpacking (the
-- positional copies are plain fields; the named ones refuse assignment).
-- @tparam string token
-- @tparam number expires_on Unix seconds
M.AccessToken = class("AccessToken", function(token, expires_on)
   check_token_args("AccessToken", token, expires_on)
   local t = setmetatable({ token, expires_on }, access_token_mt)
   values[t] = { token = token, expires_on = expires_on }
   return t
end)

local token_info_mt = immutable("AccessTokenInfo",
   { "token", "expires_on", "token_type", "refresh_on" })

--- `AccessTokenInfo.new(token, expires_on, {token_type = "Bearer", refresh_on = n})` [1.31+]:
-- `refresh_on` (Unix seconds) tells the bearer policy when to refresh before expiry.
-- @tparam string token
-- @tparam number expires_on Unix seconds
-- @tparam[opt] table opts `token_type` (default "Bearer"), `refresh_on`
M.AccessTokenInfo = class("AccessTokenInfo", function(token, expires_on, opts)
   check_token_args("AccessTokenInfo", token, expires_on)
   if opts ~= nil and type(opts) ~= "table" then
      raise("TypeError", "AccessTokenInfo: options must be a table, got " .. type(opts))
   end
   local token_type = opts and opts.token_type
   local refresh_on = opts and opts.refresh_on
   if token_type == nil then token_type = "Bearer" end
   if type(token_type) ~= "string" then
      raise("TypeError", "AccessTokenInfo: token_type must be a string")
   end
   if refresh_on ~= nil and type(refresh_on) ~= "number" then
      raise("TypeError", "AccessTokenInfo: refresh_on must be a number (Unix seconds)")
   end
   local t = setmetatable({}, token_info_mt)
   values[t] = { token = token, expires_on = expires_on, token_type = token_type,
      refresh_on = refresh_on }
   return t
end)

---------------------------------------------------------------------------------------------------
-- Key, named key and SAS credentials (native holders)
---------------------------------------------------------------------------------------------------

local function falsy(v) return v == nil or v == false or v == "" end

--- `AzureKeyCredential.new(key)`: `.key`, `:update(key)`.
-- @tparam string key
M.AzureKeyCredential = class("AzureKeyCredential", function(key)
   if type(key) ~= "string" then raise("TypeError", "key must be a string.") end
   return native.key_credential_new("key", key)
end)

native.set_methods("azure.core.AzureKeyCredential", {
   --- Replace the key; clients built with this credential send the new key from their next
   -- request on.
   update = function(self, key)
      if falsy(key) then
         raise("ValueError", "The key used for updating can not be None or empty")
      end
      if type(key) ~= "string" then
         raise("TypeError", "The key used for updating must be a string.")
      end
      self:_set(key)
   end,
})

--- `AzureSasCredential.new(signature)`: `.signature`, `:update(signature)`.
-- @tparam string signature a shared access signature (a leading `?` is allowed)
M.AzureSasCredential = class("AzureSasCredential", function(signature)
   if type(signature) ~= "string" then raise("TypeError", "signature must be a string.") end
   return native.key_credential_new("sas", signature)
end)

native.set_methods("azure.core.AzureSasCredential", {
   --- Replace the signature (read by the SAS policy at each request).
   update = function(self, signature)
      if falsy(signature) then
         raise("ValueError", "The signature used for updating can not be None or empty")
      end
      if type(signature) ~= "string" then
         raise("TypeError", "The signature used for updating must be a string.")
      end
      self:_set(signature)
   end,
})

--- `AzureNamedKeyCredential.new(name, key)`: `.named_key` is `{name = ..., key = ...}`,
-- `:update(name, key)` replaces both.
-- @tparam string name
-- @tparam string key
M.AzureNamedKeyCredential = class("AzureNamedKeyCredential", function(name, key)
   if type(name) ~= "string" or type(key) ~= "string" then
      raise("TypeError", "Both name and key must be strings.")
   end
   return native.key_credential_new("named", name, key)
end)

native.set_methods("azure.core.AzureNamedKeyCredential", {
   --- Replace the name and the key together (azure-core 1.26 accepts empty strings here).
   update = function(self, name, key)
      if type(name) ~= "string" or type(key) ~= "string" then
         raise("TypeError", "Both name and key must be strings.")
      end
      self:_set(name, key)
   end,
})

--- True when `v` is a credential object of this module's `kind` ("AzureKeyCredential", ...).
function M.is_credential(v, kind)
   local mt = (type(v) == "userdata" or type(v) == "table") and getmetatable(v)
   local name = type(mt) == "table" and mt.__name or nil
   if kind then return name == "azure.core." .. kind end
   return name == "azure.core.AzureKeyCredential" or name == "azure.core.AzureSasCredential"
      or name == "azure.core.AzureNamedKeyCredential"
end

--- True when `v` follows the TokenCredential protocol (has `get_token` or `get_token_info`).
function M.is_token_credential(v)
   local t = type(v)
   if t ~= "table" and t ~= "userdata" then return false end
   local ok, a, b = pcall(function() return v.get_token, v.get_token_info end)
   return ok and (type(a) == "function" or type(b) == "function")
end

return M
