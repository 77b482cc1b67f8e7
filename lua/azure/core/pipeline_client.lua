--- PipelineClient (BEHAVIOR §2): the base of every service client. It builds the default
-- policy chain in one place (`default_policies`), formats URLs against its base URL, builds
-- requests and sends them.
-- @module azure.core.pipeline_client
local rest = require("azure.core.rest")
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local pipeline = require("azure.core.pipeline")
local policies = require("azure.core.pipeline.policies")
local configuration = require("azure.core.configuration")
local transport_mod = require("azure.core.pipeline.transport")

local setmetatable, type, error, ipairs, getmetatable = setmetatable, type, error, ipairs,
   getmetatable

local M = {}

local function as_list(v)
   if v == nil then return {} end
   if type(v) == "table" and getmetatable(v) == nil and v[1] ~= nil then return v end
   if type(v) == "table" and getmetatable(v) == nil and next(v) == nil then return {} end
   return { v }
end

--- A Configuration whose policies are built from `options` (the standard chain of §2.1).
-- @tparam table options the client's options
function M.default_configuration(options)
   local cfg = configuration.Configuration.new(options)
   cfg.request_id_policy = policies.RequestIdPolicy.new(options)
   cfg.headers_policy = policies.HeadersPolicy.new(nil, options)
   cfg.user_agent_policy = policies.UserAgentPolicy.new(options)
   cfg.proxy_policy = policies.ProxyPolicy.new(options.proxies)
   cfg.redirect_policy = policies.RedirectPolicy.new(options)
   cfg.retry_policy = policies.RetryPolicy.new(options)
   cfg.custom_hook_policy = policies.CustomHookPolicy.new(options)
   cfg.logging_policy = policies.NetworkTraceLoggingPolicy.new(options)
   cfg.http_logging_policy = policies.HttpLoggingPolicy.new(options)
   -- credential / credential_scopes (BEHAVIOR §2.1 slot 9): bearer, key or SAS policy, or nil
   cfg.authentication_policy = require("azure.core.pipeline.policies.authentication")
      .from_options(options)
   return cfg
end

--- The default policy list for `config` (BEHAVIOR §2.1), with per-call and per-retry policies.
-- Slots for policies that are not set are nil (skipped by the pipeline).
function M.default_policies(config, options)
   local list, n = {}, 0
   local function add(p)
      n = n + 1
      list[n] = p
   end
   add(config.request_id_policy or policies.RequestIdPolicy.new(options))   -- 1
   add(config.headers_policy)                                                -- 2
   add(config.user_agent_policy)                                             -- 3
   add(config.proxy_policy)                                                  -- 4
   add(policies.ContentDecodePolicy.new(options))                            -- 5
   for _, p in ipairs(as_list(options.per_call_policies)) do add(p) end      -- 6
   add(config.redirect_policy)                                               -- 7
   add(config.retry_policy)                                                  -- 8
   add(config.authentication_policy)                                         -- 9
   add(config.custom_hook_policy)                                            -- 10
   for _, p in ipairs(as_list(options.per_retry_policies)) do add(p) end     -- 11
   add(config.logging_policy)                                                -- 12
   add(policies.DistributedTracingPolicy.new(options))                       -- 13
   if config.redirect_policy then                                            -- 14 [1.27+]
      add(policies.SensitiveHeaderCleanupPolicy.new(options))
   end
   add(config.http_logging_policy or policies.HttpLoggingPolicy.new(options)) -- 15
   return list, n
end

local function is_retry_policy(p)
   local mt = type(p) == "userdata" and getmetatable(p)
   return mt and mt.__name == "azure.core.RetryPolicy"
end

--- A custom `policies` list with per-call policies prepended and per-retry policies after the
-- last RetryPolicy (BEHAVIOR §2.2).
function M.custom_policies(list, options)
   local out = {}
   for _, p in ipairs(as_list(options.per_call_policies)) do out[#out + 1] = p end
   local per_retry = as_list(options.per_retry_policies)
   local last_retry
   local base = #out
   for i, p in ipairs(list) do
      out[base + i] = p
      if is_retry_policy(p) then last_retry = base + i end
   end
   if #per_retry > 0 then
      if not last_retry then
         error(exceptions.from_native("ValueError", "Failed to add per_retry_policies; no "
            .. "RetryPolicy found in the supplied list of policies. "), 3)
      end
      for j, p in ipairs(per_retry) do table.insert(out, last_retry + j, p) end
   end
   return out
end

local Client = {}
Client.__index = Client

--- Build a client.
-- @tparam string base_url
-- @tparam[opt] table options see API.md (`pipeline`, `policies`, `per_call_policies`,
-- `per_retry_policies`, `transport`, `config`, `driver`, and any policy or transport option)
function M.PipelineClient_new(base_url, options)
   if type(base_url) ~= "string" then
      error("PipelineClient.new: base_url must be a string, got " .. type(base_url), 2)
   end
   options = options or {}
   if type(options) ~= "table" then error("PipelineClient.new: options must be a table", 2) end
   local self = setmetatable({ _base_url = base_url }, Client)
   if options.pipeline then
      self.pipeline = options.pipeline
      self._config = options.config
      return self
   end
   local t = options.transport
   if t == nil then
      local err
      t, err = transport_mod.CurlTransport.new{
         connection_timeout = options.connection_timeout, read_timeout = options.read_timeout,
         connection_verify = options.connection_verify, connection_cert = options.connection_cert,
         connection_data_block_size = options.connection_data_block_size,
         use_env_settings = options.use_env_settings,
         http2 = options.http2 }
      if not t then error(err, 2) end
   end
   local list, n
   if options.policies then
      list = M.custom_policies(options.policies, options)
      n = #list
      self._config = options.config
   else
      local cfg = options.config or M.default_configuration(options)
      self._config = cfg
      list, n = M.default_policies(cfg, options)
   end
   local packed = { n = n }
   for i = 1, n do packed[i] = list[i] end
   self.pipeline = pipeline.Pipeline.new(t, packed, { driver = options.driver })
   return self
end

M.PipelineClient = setmetatable({ new = M.PipelineClient_new }, {
   __call = function(_, ...) return M.PipelineClient_new(...) end,
})

--- The client's Configuration (nil when built from `policies` or `pipeline`).
function Client:config() return self._config end

--- Format a URL template against the base URL (BEHAVIOR §2.3).
-- @tparam string url_template
-- @tparam[opt] table args placeholder values
-- @treturn string
function Client:format_url(url_template, args)
   if type(url_template) ~= "string" then
      error("format_url: url_template must be a string", 2)
   end
   return native.format_url(self._base_url, url_template, args)
end

local function build(self, method, url, params, headers, content, form_content, stream_content)
   local req = rest.HttpRequest.new(method, self:format_url(url))
   if params then req:format_parameters(params) end
   if headers then req.headers:update(headers) end
   if content ~= nil then
      local ct = req.headers["Content-Type"]
      if ct and ct:sub(1, 5):lower() == "text/" and type(content) == "string" then
         req:set_text_body(content)
      else
         local ok = pcall(req.set_json_body, req, content)
         if not ok then req:set_bytes_body(tostring(content)) end
      end
   elseif form_content ~= nil then
      req:set_form_body(form_content)
   elseif stream_content ~= nil then
      req:set_streamed_body(stream_content)
   end
   return req
end

--- Request builders (BEHAVIOR §2.4): `client:get(url, params, headers, content, form_content)`.
for _, m in ipairs({ "get", "delete", "merge", "options", "head" }) do
   local method = m:upper()
   Client[m] = function(self, url, params, headers, content, form_content)
      return build(self, method, url, params, headers, content, form_content)
   end
end
for _, m in ipairs({ "put", "post", "patch" }) do
   local method = m:upper()
   Client[m] = function(self, url, params, headers, content, form_content, stream_content)
      return build(self, method, url, params, headers, content, form_content, stream_content)
   end
end

--- Send a request through the pipeline (BEHAVIOR §2.5): no error handling of the status.
-- `stream` defaults to false (the body is read); `_return_pipeline_response = true` returns
-- the PipelineResponse.
-- @return HttpResponse (or PipelineResponse), or nil and an error object
function Client:send_request(request, options)
   -- Not tail calls: this frame keeps the client alive during the call. A client referenced
   -- by nothing else would otherwise be collectable mid-call, and its __gc closes the transport
   -- the call is still using.
   local res, err
   if options and options._return_pipeline_response then
      local o = {}
      for k, v in pairs(options) do if k ~= "_return_pipeline_response" then o[k] = v end end
      if o.stream == nil then o.stream = false end
      res, err = self.pipeline:run(request, o)
   else
      res, err = self.pipeline:_send(request, options)
   end
   return res, err
end

--- Close the client's pipeline and transport (idempotent).
function Client:close()
   if self._closed then return end
   self._closed = true
   if self.pipeline and self.pipeline.close then self.pipeline:close() end
end
Client.__close = Client.close
Client.__gc = Client.close

return M
