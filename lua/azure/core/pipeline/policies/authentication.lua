--- The Lua side of the authentication policies (azure-core's
-- `azure.core.pipeline.policies._authentication`, BEHAVIOR §4.8).
--
-- BearerTokenCredentialPolicy is native (src/core/azc_policy_bearer.c): HTTPS enforcement, the
-- token cache and its refresh rule, the 401 handling and the default claims challenge run in C.
-- What needs the Lua credential happens here, at the run's TOKEN steps (DESIGN §2.1), which both
-- drivers hand to `policy:_token_step` (pipeline/driver.lua's token_getter):
--
-- * one credential call per policy and request at a time: a run that needs a token while
--   another run's identical request is in flight waits for that call (cooperatively, through
--   the transport's sleep, when it can yield) and shares its result;
-- * credential failures become ClientAuthenticationError objects (the original error is their
--   `inner_exception`), so RetryPolicy never retries them;
-- * a 401 challenge: the claims token for the native default handler, or the Lua
--   `on_challenge` given to the constructor; a failing challenge keeps the 401 as the error's
--   `cause` (azure-core: `raise ex from HttpResponseError(response=...)`).
-- @module azure.core.pipeline.policies.authentication
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local credentials = require("azure.core.credentials")

local type, pcall, tostring, tonumber, setmetatable, error, ipairs = type, pcall, tostring,
   tonumber, setmetatable, error, ipairs
local coroutine, math, table = coroutine, math, table

local M = {}

local BEARER_MT = "azure.core.BearerTokenCredentialPolicy"
local HANDLED = "azure.core.challenge.handled"
local UNHANDLED = "azure.core.challenge.unhandled"

-- A waiter polls the shared call every POLL seconds, for at most MAX_WAIT seconds (azure-core
-- presumes a background refresh older than 30 s stale); then it asks the credential itself.
local POLL, MAX_WAIT = 0.005, 30

---------------------------------------------------------------------------------------------------
-- Asking the credential
---------------------------------------------------------------------------------------------------

local function auth_error(value)
   if exceptions.is_error(value, "ClientAuthenticationError") then return value end
   local msg = exceptions.is_error(value) and value.message or tostring(value)
   return exceptions.ClientAuthenticationError.new{
      message = "The credential failed to provide a token: " .. tostring(msg), error = value }
end

-- The credential's answer as a plain record, or nil when it is not a token.
local function as_token(tok)
   local t = type(tok)
   if t ~= "table" and t ~= "userdata" then return nil end
   local value, expires_on = tok.token, tonumber(tok.expires_on)
   -- the token travels to C as a string: an embedded NUL would cut it short
   if type(value) ~= "string" or not expires_on or value:find("\0", 1, true) then return nil end
   local token_type = tok.token_type
   return { token = value, expires_on = expires_on, refresh_on = tonumber(tok.refresh_on),
      token_type = type(token_type) == "string" and token_type or "Bearer" }
end

--- Call `credential`'s get_token_info (preferred) or get_token with `scopes` and `opts`.
-- @return a token record `{token, expires_on, refresh_on, token_type}`, or nil and a
-- ClientAuthenticationError-family error object
function M.call_credential(credential, scopes, opts)
   local list = {}
   for i, s in ipairs(scopes) do list[i] = s end
   local fn = credential.get_token_info
   if type(fn) ~= "function" then fn = credential.get_token end
   if type(fn) ~= "function" then
      return nil, exceptions.ClientAuthenticationError.new{
         message = "The credential has neither get_token nor get_token_info" }
   end
   local ok, tok, err = pcall(fn, credential, list, opts)
   if not ok then return nil, auth_error(tok) end
   if tok == nil then
      if err == nil then
         return nil, exceptions.ClientAuthenticationError.new{
            message = "The credential returned no token" }
      end
      return nil, auth_error(err)
   end
   local rec = as_token(tok)
   if not rec then
      return nil, exceptions.ClientAuthenticationError.new{ message = "The credential returned "
         .. "an invalid token (expected a string `token` and a number `expires_on`)" }
   end
   return rec
end

-- policy -> { [request key] = {done, token, err, co} }: credential calls in flight
local inflight = setmetatable({}, { __mode = "k" })

local function request_key(scopes, opts)
   return table.concat(scopes, "\n") .. "\0" .. tostring(opts.claims) .. "\0"
      .. tostring(opts.tenant_id) .. "\0" .. tostring(opts.enable_cae)
end

local isyieldable = coroutine.isyieldable -- absent on Lua 5.1: never wait there

-- The owner of a call in flight can wait on it only while that coroutine lives: a record whose
-- owner was abandoned (collected) or died without finishing is not waited for.
local function owner_alive(rec)
   local co = rec.owner[1]
   return co ~= nil and coroutine.status(co) ~= "dead"
end

--- A token for `policy` from its credential, sharing a call already in flight for the same
-- request. `sleep(s)` waits cooperatively (the run's transport sleep); without it, or where the
-- caller cannot yield (the native driver, the main thread), the credential is called directly.
-- @return token record, or nil and an error object
function M.acquire(policy, scopes, opts, sleep)
   local per = inflight[policy]
   if not per then
      per = {}
      inflight[policy] = per
   end
   local key = request_key(scopes, opts)
   local co = coroutine.running()
   local rec = per[key]
   if rec and sleep and isyieldable and isyieldable() and rec.owner[1] ~= co then
      for _ = 1, math.ceil(MAX_WAIT / POLL) do
         if rec.done then return rec.token, rec.err end
         if not owner_alive(rec) then break end
         sleep(POLL)
      end
      if rec.done then return rec.token, rec.err end
   end
   -- the owner is held weakly: an abandoned coroutine (and the run on its stack) can be collected
   local mine = { owner = setmetatable({ co }, { __mode = "v" }) }
   if per[key] == nil or per[key].done or not owner_alive(per[key]) then per[key] = mine end
   local tok, err = M.call_credential(policy.credential, scopes, opts)
   mine.done, mine.token, mine.err = true, tok, err
   if per[key] == mine then per[key] = nil end
   return tok, err
end

local function token_options(tr)
   return { claims = tr.claims, tenant_id = tr.tenant_id, enable_cae = tr.enable_cae }
end

---------------------------------------------------------------------------------------------------
-- BearerTokenCredentialPolicy's Lua methods
---------------------------------------------------------------------------------------------------

-- The cooperative sleep of the TOKEN step running in each coroutine, for authorize_request
-- called from a Lua on_challenge.
local step_sleeps = setmetatable({}, { __mode = "k" })
local MAIN = {}

local function current_sleep()
   return step_sleeps[coroutine.running() or MAIN]
end

--- `policy:authorize_request(pipeline_request, scopes, {claims =, tenant_id =, enable_cae =})`:
-- acquire a token for `scopes` (default: the policy's) with those options, cache it and set the
-- request's `Authorization` header (azure-core's authorize_request). May do I/O.
-- @return true, or nil and an error object
local function authorize_request(self, preq, scopes, opts)
   if type(scopes) == "string" then scopes = { scopes } end
   if scopes == nil then scopes = self.scopes end
   local o = {}
   if opts then
      o.claims, o.tenant_id, o.enable_cae = opts.claims, opts.tenant_id, opts.enable_cae
   end
   if o.enable_cae == nil and self.enable_cae then o.enable_cae = true end
   local tok, err = M.acquire(self, scopes, o, current_sleep())
   if not tok then return nil, err end
   self:_set_token(tok.token, tok.expires_on, tok.refresh_on, tok.token_type)
   preq.http_request.headers["Authorization"] = "Bearer " .. tok.token
   return true
end

--- The default challenge handling (BEHAVIOR §4.8): a single Bearer `insufficient_claims`
-- challenge whose claims decode to text gets a new token for the policy's scopes with those
-- claims (cached, and set on the request).
-- @return true (send again), false (return the 401), or nil and an error object
function M.default_on_challenge(policy, preq, presp)
   local www = presp.http_response.headers["WWW-Authenticate"]
   local claims = www and native.bearer_claims_challenge(www)
   if not claims then return false end
   return authorize_request(policy, preq, policy.scopes, { claims = claims })
end

-- A failing challenge: the error keeps the 401 as its cause. A streamed 401 is read first so the
-- error shows its body.
local function challenge_failure(run, response, value)
   local opts = run:options()
   if opts and opts.stream then pcall(response.read, response) end
   local err = value
   if not exceptions.is_error(err) then
      err = exceptions.wrap(value)
      err.kind = "HostError" -- a non-Azure error propagates without retries, as raised
   end
   if err.cause == nil then
      err.cause = exceptions.HttpResponseError.new{ response = response }
   end
   return err
end

-- TOKEN step (pipeline/driver.lua's token_getter hands every TOKEN step of this policy here).
-- `host` gives the run's PipelineRequest / PipelineResponse and the cooperative sleep.
-- Only on_response asks with a response at hand, and only for a 401 challenge.
local function token_step(self, run, host)
   local tr = run:token_request()
   if not tr then
      return nil, exceptions.AzureError.new{ message = "no token request at a TOKEN step" }
   end
   local response = run:current_response()
   if response == nil then
      local tok, err = M.acquire(self, tr.scopes, token_options(tr), host.sleep)
      if not tok then return nil, err end
      run:resume_token(tok.token, tok.expires_on, tok.refresh_on, tok.token_type)
      return true
   end
   if self._host_challenge then
      local key = coroutine.running() or MAIN
      local previous = step_sleeps[key]
      step_sleeps[key] = host.sleep
      local ok, handled, err = pcall(self.on_challenge, self, host.pipeline_request(),
         host.pipeline_response())
      step_sleeps[key] = previous
      if not ok then return nil, challenge_failure(run, response, handled) end
      if handled then
         run:resume_token("", 0, 0, HANDLED)
      elseif err ~= nil then
         return nil, challenge_failure(run, response, err)
      else
         run:resume_token("", 0, 0, UNHANDLED)
      end
      return true
   end
   -- the native default handler found an insufficient_claims challenge: a token with its claims
   local tok, err = M.acquire(self, tr.scopes, token_options(tr), host.sleep)
   if not tok then return nil, challenge_failure(run, response, err) end
   run:resume_token(tok.token, tok.expires_on, tok.refresh_on, tok.token_type)
   return true
end

native.set_methods(BEARER_MT, {
   authorize_request = authorize_request,
   _default_on_challenge = M.default_on_challenge,
   _token_step = token_step,
})

---------------------------------------------------------------------------------------------------
-- PipelineClient's `credential` option
---------------------------------------------------------------------------------------------------

--- The authentication policy for a client's options (BEHAVIOR §2.1 slot 9), or nil without
-- `credential`:
-- * a token credential (get_token / get_token_info) -> BearerTokenCredentialPolicy for
--   `credential_scopes` (a string or a list; required), with `enable_cae` and `on_challenge`;
-- * AzureKeyCredential -> AzureKeyCredentialPolicy with header `credential_header_name`
--   (required) and `credential_prefix`;
-- * AzureSasCredential -> AzureSasCredentialPolicy.
-- Anything else (AzureNamedKeyCredential has no standard scheme) raises: pass a policy instead.
-- @tparam table options the client's options
-- @return a policy, or nil
function M.from_options(options)
   local cred = options and options.credential
   if cred == nil then return nil end
   local policies = require("azure.core.pipeline.policies")
   local function fail(msg)
      error(exceptions.from_native("ValueError", msg), 3)
   end
   if credentials.is_credential(cred, "AzureKeyCredential") then
      if type(options.credential_header_name) ~= "string" then
         fail("an AzureKeyCredential needs the option 'credential_header_name' (the header that "
            .. "carries the key)")
      end
      return policies.AzureKeyCredentialPolicy.new(cred, options.credential_header_name,
         { prefix = options.credential_prefix })
   elseif credentials.is_credential(cred, "AzureSasCredential") then
      return policies.AzureSasCredentialPolicy.new(cred)
   elseif credentials.is_token_credential(cred) then
      local scopes = options.credential_scopes
      if type(scopes) == "string" then scopes = { scopes } end
      if type(scopes) ~= "table" or scopes[1] == nil then
         fail("a token credential needs the option 'credential_scopes'")
      end
      return policies.BearerTokenCredentialPolicy.new(cred, scopes,
         { enable_cae = options.enable_cae, on_challenge = options.on_challenge })
   end
   fail("unsupported credential: " .. tostring(cred) .. " (use a token credential, an "
      .. "AzureKeyCredential or an AzureSasCredential, or pass an authentication policy)")
end

return M
