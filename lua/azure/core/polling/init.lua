--- Long-running operations (BEHAVIOR §8): LROPoller, the PollingMethod protocol, NoPolling, and
-- `begin`, which starts an operation and returns its poller. The HTTP strategies
-- (LROBasePolling, OperationResourcePolling, LocationPolling, StatusCheckPolling) are in
-- `azure.core.polling.base_polling`.
--
--    local polling = require("azure.core.polling")
--    local poller = assert(polling.begin(client, client:put("/things/1", nil, nil, {size = 1}),
--                                        {polling_interval = 5}))
--    local thing, err = poller:result()
-- @module azure.core.polling
local exceptions = require("azure.core.exceptions")
local polling_method = require("azure.core.polling.polling_method")
local lro_poller = require("azure.core.polling.lro_poller")

local type, error, pairs, pcall = type, error, pairs, pcall

local M = {}

M.LROPoller = lro_poller.LROPoller
M.PollingMethod = polling_method.PollingMethod
M.NoPolling = polling_method.NoPolling
-- azure-core's async classes are the same objects here (used inside azure.core.aio)
M.AsyncLROPoller = M.LROPoller
M.AsyncPollingMethod = M.PollingMethod
M.AsyncNoPolling = M.NoPolling

--- The default deserialization callback: the final response's body decoded as JSON.
M.deserialize_json = lro_poller.deserialize_json

--- Start a long-running operation (or resume one) and return its poller, as a generated
-- client's `begin_*` method does.
-- @param client a PipelineClient
-- @param request the initial HttpRequest (ignored when resuming from `continuation_token`)
-- @tparam[opt] table opts
-- `polling_method` (a PollingMethod; default an LROBasePolling built from the options below),
-- `polling = false` (NoPolling: the initial response is the result),
-- `polling_interval` (seconds; default the client's `config().polling_interval`, else 30),
-- `lro_options`, `lro_algorithms`, `path_format_arguments` (LROBasePolling),
-- `deserialization_callback` (default: the body as JSON),
-- `continuation_token` (resume that operation instead of sending `request`),
-- `error_map` (status -> error class, applied to an initial status >= 400),
-- `request_options` (per-call options of the initial request)
-- @return LROPoller, or nil and an error
function M.begin(client, request, opts)
   if type(client) ~= "table" or type(client.send_request) ~= "function" then
      error("polling.begin: client must be a PipelineClient", 2)
   end
   if opts ~= nil and type(opts) ~= "table" then
      error("polling.begin: options must be a table", 2)
   end
   opts = opts or {}
   local method = opts.polling_method
   if method == nil then
      if opts.polling == false then
         method = M.NoPolling.new()
      else
         local base = require("azure.core.polling.base_polling")
         method = base.LROBasePolling.new(opts.polling_interval, {
            lro_algorithms = opts.lro_algorithms, lro_options = opts.lro_options,
            path_format_arguments = opts.path_format_arguments })
      end
   end
   local callback = opts.deserialization_callback or M.deserialize_json
   if opts.continuation_token ~= nil then
      return M.LROPoller.from_continuation_token(method, opts.continuation_token,
         { client = client, deserialization_callback = callback })
   end
   local send_options = { _return_pipeline_response = true }
   for k, v in pairs(opts.request_options or {}) do send_options[k] = v end
   local presp, err = client:send_request(request, send_options)
   if not presp then return nil, err end
   local res = presp.http_response
   if res.status_code >= 400 and opts.error_map then
      local ok, mapped = pcall(exceptions.map_error, res.status_code, res, opts.error_map)
      if not ok then return nil, mapped end
   end
   return M.LROPoller.new(client, presp, callback, method)
end

return M
