--- The Lua pipeline driver (DESIGN.md §2.1) and the helpers the native machine calls back.
-- The driver loops on `run:step()` and carries each step out in Lua, so every yield (a cosocket
-- transport, a scheduler's sleep, a Lua credential or send policy) happens in a Lua frame. It
-- decides nothing: retry, redirect and every other decision was taken by the run.
-- @module azure.core.pipeline.driver
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local context = require("azure.core.pipeline.context")

local pcall, tostring, type, setmetatable, error = pcall, tostring, type, setmetatable, error
local is_error, wrap = exceptions.is_error, exceptions.wrap
local native_sleep = native.sleep

local M = {}

-- Per-run facts the Lua side needs (transport, driver, the PipelineRequest), keyed weakly by the
-- run userdata so they go away with it.
local info = setmetatable({}, { __mode = "k" })

--- Remember what a run needs: its transport and which driver carries it.
function M.register(run, transport, driver, parent)
   local i = { transport = transport, driver = driver }
   if parent then
      local p = info[parent]
      i.transport, i.driver = p.transport, p.driver
   end
   info[run] = i
   return i
end

-- The run's PipelineContext, created on first use (the native fast path never needs one).
local function context_of(run)
   local ctx = run:context()
   if ctx == nil then
      local opts = {}
      local given = run:options()
      if given then for k, v in pairs(given) do opts[k] = v end end
      ctx = context.new(info[run] and info[run].transport, opts, run)
      run:set_context(ctx)
   end
   return ctx
end
M.context_of = context_of

local function pipeline_request(run)
   local i = info[run]
   local req = run:request()
   local preq = i.preq
   if not preq then
      preq = context.PipelineRequest(req, context_of(run))
      i.preq = preq
      -- hidden links: `self.next:send(preq)` finds its run through them
      M._runs[preq] = run
   elseif preq.http_request ~= req then
      preq.http_request = req
   end
   return preq
end
M._runs = setmetatable({}, { __mode = "k" })

-- Map any error value to the core's kind name and a message (native.set_pipeline_helpers).
local KINDS = { "ClientAuthenticationError", "TooManyRedirectsError", "ServiceRequestTimeoutError",
   "ServiceRequestError", "ServiceResponseTimeoutError", "ServiceResponseError",
   "IncompleteReadError", "DecodeError", "HttpResponseError", "StreamConsumedError",
   "StreamClosedError", "ResponseNotReadError" }
local function error_kind(err)
   if not is_error(err) then return "HostError", tostring(err) end
   local kind = err.kind
   if kind == "HostError" then return kind, tostring(err.message) end
   for _, k in ipairs(KINDS) do
      if err:is(k) then return k, tostring(err.message) end
   end
   return "AzureError", tostring(err.message)
end

-- Errors raised by user code keep the raised value as `inner_exception`; a non-Azure value is
-- marked HostError so retry propagates it at once (azure-core retries only AzureError).
local function host_error(value)
   if is_error(value) then return value end
   local e = wrap(value)
   e.kind = "HostError"
   return e
end
M.host_error = host_error

local HOOK_ARGS = { on_request = 1, on_response = 2, on_exception = 3 }

-- Called by the machine (through C) for a Lua SansIO hook. Returns nil, or the error object.
local function hook_caller(run, slot, name)
   local policy = run:policy(slot)
   local preq = pipeline_request(run)
   local fn = policy[name]
   local ok, err
   local which = HOOK_ARGS[name]
   if which == 1 then
      ok, err = pcall(fn, policy, preq)
   elseif which == 2 then
      local presp = context.PipelineResponse(preq.http_request, run:current_response(), preq.context)
      ok, err = pcall(fn, policy, preq, presp)
   else
      ok, err = pcall(fn, policy, preq, run:current_error())
   end
   if ok then return nil end
   local msg = not is_error(err) and tostring(err) or ""
   if msg:find("yield across", 1, true) or msg:find("attempt to yield", 1, true) then
      err = exceptions.AzureError.new{ message = ("SansIO hook %s of policy #%d tried to yield: "
         .. "hooks run synchronously inside the pipeline; do I/O in an HTTPPolicy send()")
         :format(name, slot + 1), error = err }
      err.kind = "HostError"
      return err
   end
   return host_error(err)
end

local drive

-- POLICY_SEND: run a Lua HTTP policy's send(); its `self.next:send()` runs a sub-run.
local function policy_send(run, slot)
   local policy = run:policy(slot)
   local preq = pipeline_request(run)
   M._runs[preq] = run -- this policy's next:send() continues this run
   local ok, res, err = pcall(policy.send, policy, preq)
   if not ok then return nil, host_error(res) end
   if res == nil then
      return nil, err or exceptions.AzureError.new{ message = "policy #" .. (slot + 1)
         .. " send() returned nothing" }
   end
   if type(res) == "table" and res.http_response ~= nil then res = res.http_response end
   return res
end

-- TOKEN: ask the credential of the native policy at `slot` (its `credential` field) for the run's
-- token request; resumes the run with the token, or returns nil, err. get_token_info is
-- preferred when the credential has it (BEHAVIOR §4.8).
local function token_getter(run, slot)
   local policy = run:policy(slot)
   local step = policy and policy._token_step
   if step then
      -- the policy carries out its own TOKEN steps (the bearer policy: one credential call
      -- shared by concurrent requests, claims challenges); it gets what only the driver knows
      local i = info[run]
      local t = i and i.transport
      return step(policy, run, {
         pipeline_request = function() return pipeline_request(run) end,
         pipeline_response = function()
            local preq = pipeline_request(run)
            return context.PipelineResponse(preq.http_request, run:current_response(),
               preq.context)
         end,
         -- waits the way SLEEP steps do, so a scheduler or cosocket transport can yield here
         sleep = function(s)
            if t and t.sleep then t:sleep(s) else native_sleep(s) end
         end,
      })
   end
   local tr = run:token_request()
   local cred = policy and policy.credential
   if not cred or not tr then
      return nil, exceptions.AzureError.new{ message = "no credential to ask for a token" }
   end
   local opts = { claims = tr.claims, tenant_id = tr.tenant_id, enable_cae = tr.enable_cae }
   local ok, tok, err
   if type(cred.get_token_info) == "function" then
      ok, tok, err = pcall(cred.get_token_info, cred, tr.scopes, opts)
   elseif type(cred.get_token) == "function" then
      ok, tok, err = pcall(cred.get_token, cred, tr.scopes, opts)
   else
      return nil, exceptions.ClientAuthenticationError.new{
         message = "the credential has neither get_token nor get_token_info" }
   end
   if not ok then return nil, host_error(tok) end
   if type(tok) ~= "table" or type(tok.token) ~= "string" then
      return nil, err or exceptions.ClientAuthenticationError.new{
         message = "the credential returned no token" }
   end
   run:resume_token(tok.token, tonumber(tok.expires_on) or 0, tonumber(tok.refresh_on),
      tok.token_type)
   return true
end
M.token_getter = token_getter

native.set_pipeline_helpers(hook_caller, policy_send, error_kind, token_getter)

--- The `next` of a Lua HTTP policy: `next:send(pipeline_request)` runs the policies after it
-- (and the transport) as a sub-run with the same context, and returns a PipelineResponse or
-- nil, err.
local Next = {}
Next.__index = Next

function M.next_node(slot)
   return setmetatable({ _slot = slot }, Next)
end

function Next:send(preq)
   local parent = M._runs[preq]
   if not parent then
      error("next:send() needs the PipelineRequest this policy received", 2)
   end
   local sub = parent:sub(self._slot, preq.http_request)
   local i = M.register(sub, nil, nil, parent)
   i.preq = preq
   local res, err
   if i.driver == "native" then
      res, err = sub:_drive_native(i.transport)
   else
      res, err = drive(sub, i.transport)
   end
   M._runs[preq] = parent -- a send policy may call next:send() again (its own retry loop)
   sub:close()
   if not res then return nil, err end
   return context.PipelineResponse(preq.http_request, res, preq.context)
end

--- Drive `run` over a Lua (or any) transport until it is done.
-- @return HttpResponse, or nil and an error object
function drive(run, transport)
   local send, sleep = transport.send, transport.sleep
   for _ = 1, math.huge do
      local step, arg = run:step()
      if step == "send" then
         local ok, res, err = pcall(send, transport, run:request(), run:transport_options())
         if not ok then
            run:resume(nil, host_error(res))
         elseif res then
            run:resume(res)
         else
            run:resume(nil, err or exceptions.ServiceResponseError.new{
               message = "the transport returned no response" })
         end
      elseif step == "sleep" then
         if sleep then
            local ok, serr = pcall(sleep, transport, arg)
            if not ok then error(serr, 0) end
         else
            native_sleep(arg)
         end
         run:resume()
      elseif step == "policy_send" then
         local res, err = policy_send(run, arg)
         if res then run:resume(res) else run:resume(nil, err) end
      elseif step == "token" then
         local ok, err = token_getter(run, arg)
         if not ok then run:resume(nil, err) end
      elseif step == "done" then
         return run:result()
      else
         run:resume(nil, exceptions.AzureError.new{ message = "unsupported pipeline step " .. step })
      end
   end
end
M.drive = drive

--- Finish an error: TooManyRedirectsError carries the redirect history.
function M.finish_error(run, err)
   if is_error(err) and err.type == "TooManyRedirectsError" and err.history == nil then
      err.history = run:history()
   end
   return err
end

return M
