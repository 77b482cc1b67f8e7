--- CustomHookPolicy's Lua side (BEHAVIOR §4.10): the helper the native policy calls to run a
-- hook, and the methods for code that calls the policy's hooks directly.
--
-- The policy is native (src/core/azc_policy_custom_hook.c): it decides which hook runs, so a
-- policy without hooks in a call without hooks never enters Lua. A hook is called with the
-- run's PipelineRequest (`raw_request_hook`) or PipelineResponse (`raw_response_hook`); what it
-- raises fails the call (an error object is kept as it is, anything else is wrapped). Hooks run
-- synchronously inside the pipeline and must not yield.
--
-- azure-core's rules, kept exactly: a per-call hook replaces the policy's; the per-call
-- `raw_request_hook` is popped from the options by the first attempt, so a request resent by a
-- retry or redirect policy above runs the policy's own request hook (if any) from then on; the
-- per-call `raw_response_hook` is kept in the context, so it runs for every attempt.
-- @module azure.core.pipeline.policies.custom_hook
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local context = require("azure.core.pipeline.context")
local driver = require("azure.core.pipeline.driver")

local pcall, tostring = pcall, tostring
local is_error = exceptions.is_error

local M = {}

local PER_CALL, POLICY = 1, 2 -- azc_policy_custom_hook.h

-- What a hook raised, as the error object that fails the call.
local function hook_error(name, err)
   local msg = not is_error(err) and tostring(err) or ""
   if msg:find("yield across", 1, true) or msg:find("attempt to yield", 1, true) then
      local e = exceptions.AzureError.new{ message = name .. " tried to yield: hooks run "
         .. "synchronously inside the pipeline; do I/O in an HTTPPolicy send()", error = err }
      e.kind = "HostError"
      return e
   end
   return driver.host_error(err)
end

-- The native policy's helper (src/bind/azl_policy_custom_hook.c). Returns nil, or the error
-- object that fails the call.
local function helper(run, slot, stage, which, store)
   local ctx = driver.context_of(run)
   local given = run:options() or {}
   local opts = ctx.options
   -- popped by the policy: gone from the context's options, as in azure-core
   if run:popped("raw_request_hook") then opts.raw_request_hook = nil end
   if run:popped("raw_response_hook") then opts.raw_response_hook = nil end
   if stage == "request" then
      local hook
      if which == PER_CALL then
         hook = given.raw_request_hook
         ctx.raw_request_hook = hook
      elseif which == POLICY then
         hook = run:policy(slot).raw_request_hook
      end
      if store then ctx.raw_response_hook = given.raw_response_hook end
      if hook == nil then return nil end
      local ok, err = pcall(hook, context.PipelineRequest(run:request(), ctx))
      if not ok then return hook_error("raw_request_hook", err) end
      return nil
   end
   local hook
   if which == PER_CALL then
      hook = ctx.raw_response_hook
      if hook == nil then -- stored by a request stage that had no context to store it in
         hook = given.raw_response_hook
         ctx.raw_response_hook = hook
      end
   else
      hook = run:policy(slot).raw_response_hook
   end
   local presp = context.PipelineResponse(run:request(), run:current_response(), ctx)
   local ok, err = pcall(hook, presp)
   if not ok then return hook_error("raw_response_hook", err) end
   return nil
end

native._set_custom_hook_helper(helper)

-- The methods of the native class, for code that calls a policy's hooks directly (azure-core's
-- on_request / on_response over the PipelineRequest and PipelineResponse given).
local Methods = {}

--- on_request: run the per-call `raw_request_hook` (popped, kept in the context) or the policy's;
-- move a per-call `raw_response_hook` into the context.
function Methods.on_request(self, request)
   local ctx = request.context
   local options = ctx.options
   local hook = options.raw_request_hook
   options.raw_request_hook = nil
   if hook then
      ctx.raw_request_hook = hook
      hook(request)
   elseif self.raw_request_hook then
      self.raw_request_hook(request)
   end
   local rh = options.raw_response_hook
   options.raw_response_hook = nil
   if rh then ctx.raw_response_hook = rh end
end

--- on_response: run the context's `raw_response_hook`, else the policy's.
function Methods.on_response(self, request, response)
   local hook = response.context.raw_response_hook or self.raw_response_hook
   if hook then hook(response) end
end

native.set_methods("azure.core.CustomHookPolicy", Methods)

return M
