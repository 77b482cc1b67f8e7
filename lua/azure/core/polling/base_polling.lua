--- LROBasePolling and its strategies (BEHAVIOR §8.3), azure-core's
-- `azure.core.polling.base_polling`.
--
-- LROBasePolling looks at the initial response, picks the first strategy whose `can_poll` is
-- true, polls the strategy's URL until the status is terminal, then makes the final GET the
-- strategy asks for. A strategy is any table with these methods (derive from
-- `LongRunningOperation`, or from a built-in one, to override only what differs):
--
--    can_poll(self, pipeline_response) -> bool
--    get_polling_url(self) -> url
--    set_initial_status(self, pipeline_response) -> status | nil, err
--    get_status(self, pipeline_response) -> status | nil, err
--    get_final_get_url(self, pipeline_response) -> url | nil  (or nil, err)
--
-- A strategy reports a problem by returning `nil, err`: a string (or a `BadResponse`) is a
-- response the operation cannot be read from, `BadStatus` an unexpected HTTP status,
-- `OperationFailed` an operation that failed; each becomes an HttpResponseError with the
-- latest response. Other error objects (a DecodeError, a transport error) are returned as they
-- are.
-- @module azure.core.polling.base_polling
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")
local native = require("azure.core.native")
local polling_method = require("azure.core.polling.polling_method")
local continuation_token = require("azure.core.polling.continuation_token")

local type, error, pcall, tostring, tonumber, pairs, ipairs =
   type, error, pcall, tostring, tonumber, pairs, ipairs
local lower, format = string.lower, string.format

local NULL = json.NULL
local is_error = exceptions.is_error
local raise = polling_method._raise
local class = polling_method.class

local M = {}

---------------------------------------------------------------------------------------------------
-- Statuses: terminal states, compared case-insensitively ("canceled" with one l)
---------------------------------------------------------------------------------------------------

local FINISHED = { succeeded = true, canceled = true, failed = true }
local FAILED = { canceled = true, failed = true }

local function status_key(status)
   if type(status) == "table" and status.value ~= nil then status = status.value end
   return lower(tostring(status))
end

--- True for a terminal status (succeeded, canceled, failed; any case).
function M.finished(status) return FINISHED[status_key(status)] == true end
--- True for canceled or failed (any case).
function M.failed(status) return FAILED[status_key(status)] == true end
--- True for succeeded (any case).
function M.succeeded(status) return status_key(status) == "succeeded" end

---------------------------------------------------------------------------------------------------
-- The errors strategies report (azure-core's BadStatus, BadResponse, OperationFailed); they end
-- up as the `inner_exception` of an HttpResponseError.
---------------------------------------------------------------------------------------------------

M.BadStatus = exceptions.AzureError:extend("BadStatus")
M.BadResponse = exceptions.AzureError:extend("BadResponse")
M.OperationFailed = exceptions.AzureError:extend("OperationFailed")

local OK_STATUS = { [200] = true, [201] = true, [202] = true, [204] = true }

-- BadStatus unless the status is 200, 201, 202 or 204.
local function check_http_status(response)
   local code = response.status_code
   if OK_STATUS[code] then return nil end
   local req = response.request
   return M.BadStatus.new(format("Invalid return status %s for '%s' operation",
      exceptions._py_str(code), req and tostring(req.method) or "None"))
end

local function body_of(response)
   local ok, body = pcall(function() return response.content end)
   if ok and type(body) == "string" then return body end
   return ""
end

local function is_empty(response) return body_of(response) == "" end

-- The body as JSON, or nil and a DecodeError.
local function as_json(response)
   local v = json.decode(body_of(response))
   if v == nil then
      return nil, exceptions.DecodeError.new{
         message = "Error occurred in deserializing the response body.", response = response }
   end
   return v
end
M._as_json = as_json
M._is_empty = is_empty

local function present(v) return v ~= nil and v ~= NULL and v ~= false and v ~= "" end

local function header(response, name)
   local v = response.headers[name]
   if v == nil then return nil end
   return v
end

---------------------------------------------------------------------------------------------------
-- Strategies
---------------------------------------------------------------------------------------------------

--- The base of strategies: every method raises until implemented.
local LongRunningOperation = class(nil, "LongRunningOperation")
M.LongRunningOperation = LongRunningOperation
for _, name in ipairs({ "can_poll", "get_polling_url", "set_initial_status", "get_status",
   "get_final_get_url" }) do
   LongRunningOperation[name] = function()
      raise("NotImplementedError", "This method needs to be implemented: " .. name, 2)
   end
end

-- lro_options["final-state-via"], key and value compared case-insensitively.
local function final_state_via(lro_options)
   for k, v in pairs(lro_options or {}) do
      if type(k) == "string" and lower(k) == "final-state-via" then
         return type(v) == "string" and lower(v) or nil
      end
   end
   return nil
end

--- Polls the URL of a status-monitor header (`operation-location`, or `azure-asyncoperation` for
-- ARM) and reads `status` from its JSON body.
local OperationResourcePolling = class(LongRunningOperation, "OperationResourcePolling")
M.OperationResourcePolling = OperationResourcePolling

--- @tparam[opt] string header_name default "operation-location" (looked up case-insensitively)
-- @tparam[opt] table opts `lro_options` (`["final-state-via"] = "location" |
-- "azure-async-operation" | "operation-location"`)
function OperationResourcePolling:init(header_name, opts)
   self._operation_location_header = header_name or "operation-location"
   self._lro_options = opts and opts.lro_options or {}
end

function OperationResourcePolling:can_poll(pipeline_response)
   return header(pipeline_response.http_response, self._operation_location_header) ~= nil
end

function OperationResourcePolling:get_polling_url() return self._async_url end

--- The final GET's URL (BEHAVIOR §8.3 "Final GET URL", rules 1-6), or nil.
function OperationResourcePolling:get_final_get_url(pipeline_response)
   local via = final_state_via(self._lro_options)
   local method = self._request and self._request.method
   if via == "location" and self._location_url then return self._location_url end
   if (via == "azure-async-operation" or via == "operation-location") and method == "POST" then
      return nil
   end
   local response = pipeline_response.http_response
   if not is_empty(response) then
      local body, err = as_json(response)
      if body == nil then return nil, err end
      local resource_location = type(body) == "table" and body.resourceLocation or nil
      if present(resource_location) then return resource_location end
   end
   if method == "PUT" or method == "PATCH" then return self._request.url end
   if method == "POST" and self._location_url then return self._location_url end
   return nil
end

--- Record the request and the URLs; the status is the initial body's `status` when it has one
-- (so an operation that is already over is not polled), else "InProgress".
function OperationResourcePolling:set_initial_status(pipeline_response)
   local response = pipeline_response.http_response
   self._request = response.request or pipeline_response.http_request
   self._async_url = header(response, self._operation_location_header)
   local location = header(response, "location")
   if present(location) then self._location_url = location end
   if OK_STATUS[response.status_code] and present(self._async_url) then
      local ok, status = pcall(self.get_status, self, pipeline_response)
      if ok and present(status) then return status end
      return "InProgress"
   end
   return nil, M.OperationFailed.new("Operation failed or canceled")
end

--- The `status` of the JSON body.
function OperationResourcePolling:get_status(pipeline_response)
   local response = pipeline_response.http_response
   if is_empty(response) then
      return nil, M.BadResponse.new("The response from long running operation does not contain "
         .. "a body.")
   end
   local body, err = as_json(response)
   if body == nil then return nil, err end
   local status = type(body) == "table" and body.status or nil
   if not present(status) then return nil, M.BadResponse.new("No status found in body") end
   return status
end

--- Polls the `location` header's URL: 202 means in progress, any other 2xx means done (the last
-- response is the result).
local LocationPolling = class(LongRunningOperation, "LocationPolling")
M.LocationPolling = LocationPolling

function LocationPolling:can_poll(pipeline_response)
   return header(pipeline_response.http_response, "location") ~= nil
end

function LocationPolling:get_polling_url() return self._location_url end

function LocationPolling.get_final_get_url() return nil end

function LocationPolling:set_initial_status(pipeline_response)
   local response = pipeline_response.http_response
   self._location_url = header(response, "location")
   if OK_STATUS[response.status_code] and present(self._location_url) then
      return "InProgress"
   end
   return nil, M.OperationFailed.new("Operation failed or canceled")
end

function LocationPolling:get_status(pipeline_response)
   local response = pipeline_response.http_response
   local location = header(response, "location")
   if location ~= nil then self._location_url = location end
   return response.status_code == 202 and "InProgress" or "Succeeded"
end

--- The catch-all: no status link, so the initial (2xx) response is the result.
local StatusCheckPolling = class(LongRunningOperation, "StatusCheckPolling")
M.StatusCheckPolling = StatusCheckPolling

function StatusCheckPolling.can_poll() return true end
function StatusCheckPolling.get_polling_url()
   raise("ValueError", "This polling doesn't support polling", 2)
end
function StatusCheckPolling.set_initial_status() return "Succeeded" end
function StatusCheckPolling.get_status() return "Succeeded" end
function StatusCheckPolling.get_final_get_url() return nil end

---------------------------------------------------------------------------------------------------
-- LROBasePolling
---------------------------------------------------------------------------------------------------

local LROBasePolling = class(polling_method.PollingMethod, "LROBasePolling")
M.LROBasePolling = LROBasePolling

local OWN_OPTIONS = { lro_algorithms = true, lro_options = true, path_format_arguments = true }

--- @tparam[opt] number interval seconds between polls when the service sends no Retry-After
-- (default: the client's `config().polling_interval`, else 30)
-- @tparam[opt] table opts `lro_algorithms` (the strategy list, first match wins; default
-- `{OperationResourcePolling, LocationPolling, StatusCheckPolling}`), `lro_options`
-- (`["final-state-via"]`), `path_format_arguments` (polling URLs go through
-- `client:format_url(url, args)`); any other key is a per-call option of every poll request
-- (e.g. `headers`, `retry_total`, `request_id`)
function LROBasePolling:init(interval, opts)
   if interval ~= nil and (type(interval) ~= "number" or interval < 0) then
      error("LROBasePolling.new: interval must be a number of seconds >= 0", 3)
   end
   if opts ~= nil and type(opts) ~= "table" then
      error("LROBasePolling.new: options must be a table", 3)
   end
   opts = opts or {}
   self._timeout = interval
   self._lro_options = opts.lro_options
   self._lro_algorithms = opts.lro_algorithms or {
      OperationResourcePolling.new(nil, { lro_options = opts.lro_options }),
      LocationPolling.new(),
      StatusCheckPolling.new(),
   }
   self._path_format_arguments = opts.path_format_arguments
   local config = {}
   for k, v in pairs(opts) do
      if not OWN_OPTIONS[k] then config[k] = v end
   end
   self._operation_config = config
end

--- The current status. Raises when the method was never given to a poller.
function LROBasePolling:status()
   if not self._operation then
      raise("ValueError", "set_initial_status was never called. Did you give this instance to a "
         .. "poller?", 2)
   end
   return self._status
end

--- True once the status is terminal.
function LROBasePolling:finished() return M.finished(self:status()) end

--- The latest response through the deserialization callback (nil when its body is empty).
function LROBasePolling:resource()
   local presp = self._pipeline_response
   if presp == nil or is_empty(presp.http_response) then return nil end
   return polling_method.deserialize(self._deserialization_callback, presp)
end

-- Turn what a strategy (or a poll) reported into the error the caller sees.
local function to_http_error(self, err, response)
   if type(err) == "string" then err = M.BadResponse.new(err) end
   if not is_error(err) then return exceptions.wrap(err) end
   if err:is(M.BadStatus) then
      self._status = "Failed"
      return exceptions.HttpResponseError.new{ response = response, error = err }
   elseif err:is(M.BadResponse) then
      self._status = "Failed"
      return exceptions.HttpResponseError.new{ response = response, message = err.message,
         error = err }
   elseif err:is(M.OperationFailed) then
      return exceptions.HttpResponseError.new{ response = response, error = err }
   end
   return err
end

-- Call a strategy method: its results, or nil and what it returned or raised (raised values
-- that are not error objects are wrapped, not read as a bad response).
local function call(op, name, ...)
   local r = { pcall(op[name], op, ...) }
   if not r[1] then
      local e = r[2]
      if not is_error(e) then e = exceptions.wrap(e) end
      return nil, e
   end
   return r[2], r[3]
end

--- Pick the strategy and read the initial status (BEHAVIOR §8.3 "initialize").
-- @return true, or nil and an HttpResponseError
function LROBasePolling:initialize(client, initial_response, deserialization_callback)
   self._client = client
   self._initial_response = initial_response
   self._pipeline_response = initial_response
   self._deserialization_callback = deserialization_callback
   if self._timeout == nil then
      local ok, cfg = pcall(function() return client:config() end)
      self._timeout = ok and type(cfg) == "table" and tonumber(cfg.polling_interval) or 30
   end
   local response = initial_response.http_response
   for _, op in ipairs(self._lro_algorithms) do
      local can, err = call(op, "can_poll", initial_response)
      if err ~= nil then return nil, to_http_error(self, err, response) end
      if can then
         self._operation = op
         break
      end
   end
   if not self._operation then
      return nil, exceptions.HttpResponseError.new{ response = response,
         message = "Unable to find status link for polling.",
         error = M.BadResponse.new("Unable to find status link for polling.") }
   end
   local bad = check_http_status(response)
   if bad then return nil, to_http_error(self, bad, response) end
   local status, err = call(self._operation, "set_initial_status", initial_response)
   if status == nil then
      return nil, to_http_error(self, err or M.BadResponse.new("No status found in body"),
         response)
   end
   self._status = status
   -- An initial body that already says failed/canceled: there is nothing to poll (as
   -- azure-core) and the operation failed (azure-core would hand back the body as a result).
   if M.failed(status) then
      return nil, exceptions.HttpResponseError.new{ response = response,
         message = "Operation failed or canceled",
         error = M.OperationFailed.new("Operation failed or canceled") }
   end
   return true
end

local retry_policy -- a RetryPolicy, only for its Retry-After parser (shared with retry)

local function retry_after(pipeline_response)
   if not retry_policy then
      retry_policy = require("azure.core.pipeline.policies").RetryPolicy.new()
   end
   local ok, s = pcall(retry_policy.get_retry_after, retry_policy, pipeline_response)
   if ok and type(s) == "number" then return s end
   return nil
end

--- Seconds before the next poll: the latest response's Retry-After (`retry-after`,
-- `retry-after-ms`, `x-ms-retry-after-ms`) when it is not 0, else the interval.
function LROBasePolling:_extract_delay()
   local presp = self._pipeline_response
   local delay = presp and retry_after(presp)
   if delay and delay > 0 then return delay end
   return self._timeout
end

--- Wait through the client transport's `sleep` (the pipeline's SLEEP step does the same), so a
-- Lua transport or a scheduler decides how to wait.
function LROBasePolling:_sleep(seconds)
   local transport = polling_method.client_transport(self._client)
   if transport and type(transport.sleep) == "function" then
      transport:sleep(seconds)
   else
      native.sleep(seconds)
   end
end

local function copy(t)
   local o = {}
   for k, v in pairs(t) do o[k] = v end
   return o
end

local function initial_request_id(self)
   local res = self._initial_response.http_response
   local req = res and res.request or self._initial_response.http_request
   return req and req.headers["x-ms-client-request-id"]
end

--- GET a status link through the client's pipeline, sharing the initial request's
-- `x-ms-client-request-id`. Relative links resolve against the client.
-- @return PipelineResponse, or nil and an error
function LROBasePolling:request_status(status_link)
   local client = self._client
   if self._path_format_arguments then
      status_link = client:format_url(status_link, self._path_format_arguments)
   end
   local config = self._operation_config
   if config.request_id == nil then config.request_id = initial_request_id(self) end
   local options = copy(config)
   options._return_pipeline_response = true
   options.stream = false
   return client:send_request(client:get(status_link), options)
end

--- Poll the strategy's URL once and read the status.
-- @return true, or nil and an error
function LROBasePolling:update_status()
   local url, uerr = call(self._operation, "get_polling_url")
   if url == nil then return nil, uerr or M.BadResponse.new("No polling URL") end
   local presp, err = self:request_status(url)
   if not presp then return nil, err end
   self._pipeline_response = presp
   local bad = check_http_status(presp.http_response)
   if bad then return nil, bad end
   local status, serr = call(self._operation, "get_status", presp)
   if status == nil then return nil, serr or M.BadResponse.new("No status found in body") end
   self._status = status
   return true
end

-- The polling loop; `budget` bounds the seconds slept by this call (nil: no bound).
local function poll(self, budget)
   local waited = 0
   if not M.finished(self._status) and not self._polled then
      self._polled = true -- the first poll is immediate; later ones come after a delay
      local ok, err = self:update_status()
      if not ok then return nil, err end
   end
   for _ = 1, math.huge do
      if M.finished(self._status) then break end
      local delay = self:_extract_delay()
      if budget and waited + delay > budget then return true end
      self:_sleep(delay)
      waited = waited + delay
      local ok, err = self:update_status()
      if not ok then return nil, err end
   end
   if M.failed(self._status) then
      return nil, M.OperationFailed.new("Operation failed or canceled")
   end
   if not self._final_done then
      local url, err = call(self._operation, "get_final_get_url", self._pipeline_response)
      if url == nil and err ~= nil then return nil, err end
      if url ~= nil then
         local presp, gerr = self:request_status(url)
         if not presp then return nil, gerr end
         self._pipeline_response = presp
         local bad = check_http_status(presp.http_response)
         if bad then return nil, bad end
      end
      self._final_done = true
   end
   return true
end

--- Poll until the status is terminal, then make the final GET.
-- @tparam[opt] table opts `timeout`: stop (returning true, not finished) before a wait that
-- would take the seconds slept by this call past it
-- @return true, or nil and an HttpResponseError (or the transport's error)
function LROBasePolling:run(opts)
   if not self._operation then
      raise("ValueError", "set_initial_status was never called. Did you give this instance to a "
         .. "poller?", 2)
   end
   local ok, r, err = pcall(poll, self, opts and opts.timeout)
   if not ok then
      err = r
      if not is_error(err) then return nil, exceptions.wrap(err) end
   elseif r then
      return true
   end
   return nil, to_http_error(self, err, self._pipeline_response.http_response)
end

--- A token holding the initial response (see azure.core.polling.continuation_token).
-- @return string, or nil and an error
function LROBasePolling:get_continuation_token()
   return continuation_token.encode(self._initial_response)
end

--- Rebuild from a token (called on the class or an instance). `opts.client` and
-- `opts.deserialization_callback` are required (ValueError raised otherwise).
-- @return client, the initial pipeline response, the callback; or nil and an error
function LROBasePolling:from_continuation_token(token, opts) -- luacheck: ignore self
   opts = opts or {}
   if opts.client == nil then
      raise("ValueError", "Need kwarg 'client' to be recreated from continuation_token", 2)
   end
   if opts.deserialization_callback == nil then
      raise("ValueError", "Need kwarg 'deserialization_callback' to be recreated from "
         .. "continuation_token", 2)
   end
   local initial, err = continuation_token.decode(token,
      polling_method.client_transport(opts.client))
   if not initial then return nil, err end
   return opts.client, initial, opts.deserialization_callback
end

M.AsyncLROBasePolling = LROBasePolling

return M
