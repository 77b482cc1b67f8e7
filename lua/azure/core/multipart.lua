--- multipart/mixed batches (azure-core's `set_multipart_mixed`, `prepare_multipart_body` and
-- `HttpResponse.parts`): several requests sent as one, the answers read back as one response
-- per sub-request. Loaded by `azure.core.rest`, which gives HttpRequest and HttpResponse the
-- methods below.
--
--    local batch = rest.HttpRequest.new("POST", url .. "?comp=batch")
--    batch:set_multipart_mixed({ del1, del2 }, { policies = { auth }, boundary = "batch_1" })
--    local res = assert(client:send_request(batch))
--    for part in res:parts() do print(part.request.url, part.status_code) end
--
-- The body is built when the pipeline runs (Pipeline:run calls `prepare_multipart_body`), as in
-- azure-core: each sub-request first goes through the `on_request` hooks of the given SansIO
-- policies, with a fresh context of its own, then is serialised as `application/http`
-- (request line, headers, body) inside a part with `Content-Transfer-Encoding: binary` and a
-- `Content-ID` counting from 0 across the whole batch; a sub-request that has itself been given
-- multipart/mixed parts is a nested changeset. The bytes are azure-core 1.26.3's. Responses are
-- split by the native parser (src/core/azc_multipart.c), with Python's email and http.client
-- rules.
-- @module azure.core.multipart
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local context = require("azure.core.pipeline.context")
local driver = require("azure.core.pipeline.driver")

local type, error, pairs, ipairs, pcall, getmetatable, tostring = type, error, pairs, ipairs,
   pcall, getmetatable, tostring
local concat, format, random, floor = table.concat, string.format, math.random, math.floor

local M = {}

--- Requests that carry a batch (weak keys): the pipeline checks this set, not an attribute
-- lookup, so ordinary requests pay nothing for batches.
M.batches = setmetatable({}, { __mode = "k" })

local function value_error(message)
   return exceptions.from_native("ValueError", message)
end

local function is_request(v)
   if type(v) ~= "userdata" then return false end
   local mt = getmetatable(v)
   return type(mt) == "table" and mt.__name == "azure.core.HttpRequest"
end

local function copy(t)
   local o = {}
   for k, v in pairs(t) do o[k] = v end
   return o
end

-- Native policies hold their hooks in C: a one-slot native pipeline runs them on `request`
-- without sending anything. Going down it stops at SEND (every on_request has run); given a
-- `response`, the run then goes up through on_response.
local function run_native(policy, request, options, response)
   local nat = native.pipeline_new({ policy }, 1)
   local run = nat:_run_new(request, options, false)
   driver.register(run, nil, "lua")
   local step = run:step()
   local res, err = true, nil
   if step == "send" and response ~= nil then
      run:resume(response)
      step = run:step()
   end
   if step == "done" then
      res, err = run:result()
   elseif step ~= "send" then
      err = exceptions.AzureError.new{ message = "policy " .. tostring(policy)
         .. " is not a SansIO policy (it asked for a '" .. tostring(step) .. "' step)" }
      res = nil
   end
   run:close()
   nat:close()
   if not res then return nil, err end
   return true
end

-- Call hook `name` ("on_request" or "on_response") of every policy of `info` for one
-- sub-request, with its own context (azure-core: PipelineContext(None, **kwargs)).
local function run_hooks(info, name, request, response)
   local options = name == "on_request" and copy(info.options) or {}
   -- no run behind it: `false` (not nil) keeps the context's lookups away from run values
   local ctx = context.new(nil, options, false)
   local preq = context.PipelineRequest(request, ctx)
   local presp = response and context.PipelineResponse(request, response, ctx)
   local list = info.policies
   for i = 1, info.npolicies do
      local p = list[i]
      if type(p) == "table" then
         local fn = p[name]
         if fn == nil and name == "on_request" then
            error(value_error("multipart/mixed policies must be SansIO policies (on_request): "
               .. "policy #" .. i .. " has none"), 0)
         end
         if fn ~= nil then
            local ok, err = pcall(fn, p, preq, presp)
            if not ok then return nil, exceptions.wrap(err) end
         end
      elseif p and request ~= nil then
         local ok, err = run_native(p, request, options, response)
         if not ok then return nil, err end
      end
   end
   return true
end

-- Pipeline._prepare_multipart_mixed_request: a changeset's own policies first (recursively),
-- then this batch's policies on the sub-request itself.
local function apply_policies(req, seen)
   local info = req._multipart_mixed
   for _, sub in ipairs(info.requests) do
      if sub._multipart_mixed then
         if seen[sub] then error(value_error("a multipart/mixed request contains itself"), 0) end
         seen[sub] = true
         local ok, err = apply_policies(sub, seen)
         if not ok then return nil, err end
         seen[sub] = nil
      end
      local ok, err = run_hooks(info, "on_request", sub)
      if not ok then return nil, err end
   end
   return true
end

local BODY_METHODS = { PATCH = true, POST = true, PUT = true }

-- http.client's rendering of a request (azure-core's _serialize_request): request line, a
-- Content-Length it adds when none is set (0 for PATCH/POST/PUT without a body), the headers
-- in order except `Host` and `Accept-Encoding`, a blank line, the body.
local function serialize_request(req)
   local method, url = req.method, req.url
   if url == "" then url = "/" end
   local bad = method:match("[%z\1-\31]")
   if bad then
      return nil, value_error(format("method can't contain control characters. %q (found at "
         .. "least %q)", method, bad))
   end
   bad = url:match("[%z\1-\32\127]")
   if bad then
      return nil, value_error(format("URL can't contain control characters. %q (found at least %q)",
         url, bad))
   end
   if (method .. url):find("[\128-\255]") then
      return nil, value_error(format("the request line must be ASCII: %q", method .. " " .. url))
   end
   local kind = req:_body_kind()
   local body
   if kind == "bytes" then
      body = req.content
   elseif kind ~= "none" then
      return nil, value_error("a multipart/mixed sub-request needs its body in memory (a string), "
         .. "not a " .. kind .. " body: " .. tostring(req))
   end
   local headers = req.headers
   local out = { method, " ", url, " HTTP/1.1\r\n" }
   if headers["Content-Length"] == nil and headers["Transfer-Encoding"] == nil then
      if body ~= nil then
         out[#out + 1] = format("Content-Length: %d\r\n", #body)
      elseif BODY_METHODS[method:upper()] then
         out[#out + 1] = "Content-Length: 0\r\n"
      end
   end
   for name, value in headers:items() do
      if name ~= "Host" and name ~= "Accept-Encoding" then
         if not name:find("^[^:%s]") or name:find(":", 2, true) then
            return nil, value_error(format("Invalid header name %q", name))
         end
         out[#out + 1] = name .. ": " .. value .. "\r\n"
      end
   end
   out[#out + 1] = "\r\n"
   out[#out + 1] = body
   return concat(out)
end

-- The email generator writes a text part's lines with CRLF, whatever they ended with.
local function crlf_lines(s)
   s = s:gsub("\r\n", "\n")
   s = s:gsub("\r", "\n")
   return (s:gsub("\n", "\r\n"))
end

-- email's _make_boundary: 15 '=', 19 random digits, '=='; a suffix when the text holds it.
local function make_boundary(text)
   local digits = {}
   for i = 1, 19 do digits[i] = tostring(floor(random() * 10) % 10) end
   local base = ("="):rep(15) .. concat(digits) .. "=="
   local b, counter = base, 0
   while text:find("--" .. b, 1, true) do
      b = base .. "." .. counter
      counter = counter + 1
   end
   return b
end

-- What Message.get_boundary gives back for a boundary set with set_boundary: "<...>" unquoted,
-- then trailing whitespace removed; nil (generate one) when nothing is left.
local function effective_boundary(b)
   if b == nil then return nil end
   if #b > 1 and b:sub(1, 1) == "<" and b:sub(-1) == ">" then b = b:sub(2, -2) end
   b = b:gsub(" +$", "")
   if b == "" then return nil end
   return b
end

-- _prepare_multipart_body_helper: the body and Content-Type of `req` from its parts.
local function build_body(req, index)
   local info = req._multipart_mixed
   local texts = {}
   for _, sub in ipairs(info.requests) do
      if sub._multipart_mixed then
         local nindex, err = build_body(sub, index)
         if not nindex then return nil, err end
         index = nindex
         local payload, serr = serialize_request(sub)
         if not payload then return nil, serr end
         -- azure-core keeps the serialised changeset from its first "--" on (its body, unless
         -- the request line or a header holds "--" first), written as it is
         texts[#texts + 1] = "Content-Type: " .. sub.headers["Content-Type"] .. "\r\n\r\n"
            .. payload:sub((payload:find("--", 1, true)))
      else
         local payload, serr = serialize_request(sub)
         if not payload then return nil, serr end
         texts[#texts + 1] = "Content-Type: application/http\r\n"
            .. "Content-Transfer-Encoding: binary\r\n"
            .. format("Content-ID: %d\r\n\r\n", index) .. crlf_lines(payload)
         index = index + 1
      end
   end
   local boundary = effective_boundary(info.boundary) or make_boundary(concat(texts, "\r\n"))
   local delimiter = "--" .. boundary
   req:set_bytes_body(delimiter .. "\r\n" .. concat(texts, "\r\n" .. delimiter .. "\r\n")
      .. "\r\n" .. delimiter .. "--\r\n")
   req.headers["Content-Type"] = "multipart/mixed; boundary=" .. boundary
   return index
end

local Request = {}

--- Make this request a multipart/mixed batch of `requests` (azure-core's
-- `set_multipart_mixed`). The body is built when the pipeline runs the request (or by
-- `prepare_multipart_body`). A request in the list that has its own parts is a changeset.
-- @tparam {HttpRequest,...} requests the sub-requests, in order
-- @tparam[opt] table opts `policies`: SansIO policies (Lua tables with `on_request` /
-- `on_response`, or native ones such as HeadersPolicy) run on every sub-request, each with a
-- fresh context, when the body is built, and on every part response in `parts()`;
-- `boundary`: the boundary (printable ASCII without `"` or `\`; default: a random one);
-- any other key is an option of the sub-requests' contexts (`context.options`).
function Request:set_multipart_mixed(requests, opts)
   if type(requests) ~= "table" then
      error("set_multipart_mixed: requests must be a list of HttpRequest, got "
         .. type(requests), 2)
   end
   local list = {}
   for i = 1, #requests do
      if not is_request(requests[i]) then
         error(format("set_multipart_mixed: requests[%d] must be an HttpRequest, got %s", i,
            type(requests[i])), 2)
      end
      list[i] = requests[i]
   end
   if opts ~= nil and type(opts) ~= "table" then
      error("set_multipart_mixed: options must be a table, got " .. type(opts), 2)
   end
   opts = opts or {}
   local policies = opts.policies or {}
   if type(policies) ~= "table" then
      error("set_multipart_mixed: policies must be a list, got " .. type(policies), 2)
   end
   local n = 0
   for k, p in pairs(policies) do
      if type(k) == "number" and k > n then n = k end
      if p and type(p) ~= "table" and type(p) ~= "userdata" then
         error(format("set_multipart_mixed: policy #%s must be a policy, got %s", tostring(k),
            type(p)), 2)
      end
   end
   local boundary = opts.boundary
   if boundary ~= nil and (type(boundary) ~= "string" or boundary:find("[^\32-\126]")
         or boundary:find("[\"\\]")) then
      error("set_multipart_mixed: boundary must be a string of printable ASCII characters other "
         .. "than '\"' and '\\'", 2)
   end
   local options = {}
   for k, v in pairs(opts) do
      if k ~= "policies" and k ~= "boundary" then options[k] = v end
   end
   self._multipart_mixed = { requests = list, policies = copy(policies), npolicies = n,
      boundary = boundary, options = options }
   M.batches[self] = true
end

--- Build the multipart/mixed body now (Pipeline:run does it before sending): run the
-- policies' `on_request` on every sub-request, then serialise the parts, numbering Content-IDs
-- from `content_index`. Does nothing (returns 0) for a request without parts.
-- @int[opt=0] content_index the first Content-ID
-- @return the next Content-ID, or nil and an error object (a policy failed, or a sub-request
-- cannot be serialised)
function Request:prepare_multipart_body(content_index)
   content_index = content_index or 0
   if type(content_index) ~= "number" or content_index ~= floor(content_index) then
      error("prepare_multipart_body: content_index must be an integer", 2)
   end
   if not self._multipart_mixed then return 0 end
   local ok, err = apply_policies(self, { [self] = true })
   if not ok then return nil, err end
   return build_body(self, content_index)
end

--- Serialise this request as an `application/http` part does (request line, headers, body).
-- @treturn string, or nil and an error object
function Request:serialize() return serialize_request(self) end

local Response = {}

-- _decode_parts_helper: application/http parts become responses (answering the sub-request at
-- the same position), a nested multipart/mixed (changeset) is flattened in place.
local function decode_parts(parts, requests, out, batch)
   for index, part in ipairs(parts) do
      local request = requests and requests[index]
      local ct = part.content_type
      if ct == "application/http" then
         local res, err = native.multipart_http_response(part.body, request)
         if not res then
            error(exceptions.DecodeError.new{ message = format("multipart/mixed part %d: %s", index,
               tostring(err and err.message or err)), response = batch }, 0)
         end
         out[#out + 1] = res
      elseif ct == "multipart/mixed" and part.parts then
         local info = request and request._multipart_mixed
         decode_parts(part.parts, info and info.requests, out, batch)
      elseif ct == "multipart/mixed" then
         error(exceptions.DecodeError.new{ message = format("multipart/mixed part %d: malformed "
            .. "changeset (no boundary, or no boundary line)", index), response = batch }, 0)
      else
         error(value_error(format("Multipart doesn't support part other than application/http "
            .. "for now (part %d is %s)", index, ct)), 0)
      end
   end
end

--- The parts of a multipart/mixed response (azure-core's `parts()`): an iterator of one
-- HttpResponse per `application/http` part, nested changesets flattened in order; each part's
-- `request` is the matching sub-request when this response answers a batch request. The batch
-- request's policies get `on_response` for every part (a fresh context each). Raises a
-- ValueError-kind error when the response is not multipart/mixed or holds another kind of part,
-- a DecodeError when the body or an embedded response is malformed, and any error a policy
-- raises.
-- @return iterator of HttpResponse
function Response:parts()
   local ct = self.content_type
   if type(ct) ~= "string" or ct:sub(1, 15) ~= "multipart/mixed" then
      error(value_error("You can't get parts if the response is not multipart/mixed"), 2)
   end
   local body, rerr = self:read()
   if not body then error(rerr, 2) end
   local tree, perr = native.multipart_parse(ct, body)
   if not tree then
      error(exceptions.DecodeError.new{ message = "multipart/mixed: " .. tostring(perr.message),
         response = self }, 2)
   end
   local req = self.request
   local info = req and req._multipart_mixed
   local out = {}
   local ok, err = pcall(decode_parts, tree.parts, info and info.requests, out, self)
   if not ok then error(err, 2) end
   if info then
      for _, part in ipairs(out) do
         local hok, herr = run_hooks(info, "on_response", part.request, part)
         if not hok then error(herr, 2) end
      end
   end
   local i = 0
   return function()
      i = i + 1
      return out[i]
   end
end

native.set_methods("azure.core.HttpRequest", Request)
native.set_methods("azure.core.HttpResponse", Response)

M.serialize_request = serialize_request

return M
