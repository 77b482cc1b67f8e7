--- Continuation tokens of long-running operations: our own versioned format (BEHAVIOR §8.3).
--
-- A token is the base64 text of a JSON object holding what a poller needs to resume the
-- operation in another process: the initial request's method, URL and `x-ms-client-request-id`,
-- and the initial response's status, reason, headers and body.
--
--    {"format": "azure.core.lua/lro", "version": 1,
--     "request":  {"method": "PUT", "url": "https://...",
--                  "headers": [["x-ms-client-request-id", "..."]]},
--     "response": {"status_code": 201, "reason": "Created",
--                  "headers": [["Operation-Location", "..."], ...], "body": "<base64>"}}
--
-- Secrets are not written: of the request headers only the client request id is kept, and the
-- response headers that carry credentials (Authorization, cookies, encryption keys, API keys,
-- ...) are dropped. The URL is kept as it is (the final GET of a PUT needs it): an operation
-- started on a SAS URL carries that SAS in its token. A token that is not one of ours (not
-- base64, not JSON, a pickled azure-core for Python token, another format or a newer version)
-- gives a ValueError-kind error saying so.
-- @module azure.core.polling.continuation_token
local json = require("azure.core.json")
local exceptions = require("azure.core.exceptions")
local serialization = require("azure.core.serialization")
local rest = require("azure.core.rest")
local context = require("azure.core.pipeline.context")

local type, pcall, tostring, ipairs, math_type = type, pcall, tostring, ipairs, math.type
local lower, find, byte, format = string.lower, string.find, string.byte, string.format
local floor = math.floor

local M = {}

--- The `format` field of our tokens.
M.FORMAT = "azure.core.lua/lro"
--- The version this library writes (and the newest it reads).
M.VERSION = 1

--- Header names (lowercase) never written into a token.
M.SENSITIVE_HEADERS = {
   ["authorization"] = true, ["proxy-authorization"] = true, ["cookie"] = true,
   ["set-cookie"] = true, ["x-ms-encryption-key"] = true, ["x-ms-encryption-key-sha256"] = true,
   ["x-ms-copy-source-authorization"] = true, ["x-ms-authorization-auxiliary"] = true,
   ["ocp-apim-subscription-key"] = true, ["api-key"] = true, ["x-api-key"] = true,
   ["x-ms-client-secret"] = true,
}

--- Request headers kept in a token (lowercase): only what polling reuses.
M.KEPT_REQUEST_HEADERS = { ["x-ms-client-request-id"] = true }

local function invalid(msg)
   return exceptions.from_native("ValueError", "Invalid continuation token: " .. msg)
end

local function field(obj, key)
   local ok, v = pcall(function() return obj[key] end)
   if ok then return v end
   return nil
end

-- The body of a response, read if it is still an unread stream.
local function body_of(res)
   local ok, body = pcall(function() return res.content end)
   if ok and type(body) == "string" then return body end
   if type(res.read) == "function" then
      local rbody, err = res:read()
      if type(rbody) == "string" then return rbody end
      return nil, err
   end
   return nil
end

local function header_pairs(headers, keep)
   local list = json.array({})
   if headers == nil then return list end
   for name, value in headers:items() do
      if keep(lower(name)) then list[#list + 1] = { name, tostring(value) } end
   end
   return list
end

--- The continuation token of an initial pipeline response.
-- @param pipeline_response a PipelineResponse (`http_response`, with its `request`)
-- @treturn string the token, or nil and an error (TypeError kind) when the response has no
-- readable body or request
function M.encode(pipeline_response)
   local res = type(pipeline_response) == "table" and pipeline_response.http_response
   if res == nil then
      return nil, exceptions.from_native("TypeError",
         "Unable to generate a continuation token: no initial response")
   end
   local req = field(res, "request") or pipeline_response.http_request
   if req == nil then
      return nil, exceptions.from_native("TypeError",
         "Unable to generate a continuation token: the initial response has no request")
   end
   local body, err = body_of(res)
   if body == nil then
      return nil, exceptions.from_native("TypeError", "Unable to generate a continuation token: "
         .. "the initial response body cannot be read" .. (err and (": " .. tostring(err)) or ""))
   end
   local doc = {
      format = M.FORMAT, version = M.VERSION,
      request = { method = req.method, url = req.url,
         headers = header_pairs(req.headers, function(n) return M.KEPT_REQUEST_HEADERS[n] end) },
      response = { status_code = res.status_code, reason = res.reason or "",
         headers = header_pairs(res.headers, function(n) return not M.SENSITIVE_HEADERS[n] end),
         body = serialization._b64encode(body) },
   }
   local text, jerr = json.encode(doc)
   if not text then
      return nil, exceptions.from_native("TypeError", "Unable to generate a continuation token: "
         .. tostring(jerr))
   end
   return serialization._b64encode(text)
end

local function is_base64(s)
   return #s > 0 and #s % 4 == 0 and find(s, "^[A-Za-z0-9+/]*=?=?$") ~= nil
end

local function is_integer(n)
   if type(n) ~= "number" then return false end
   if math_type then return math_type(n) == "integer" or n == floor(n) end
   return n == floor(n)
end

local function check_headers(list, what)
   if type(list) ~= "table" then return nil, invalid(what .. " headers are not a list") end
   for _, pair in ipairs(list) do
      if type(pair) ~= "table" or type(pair[1]) ~= "string" or type(pair[2]) ~= "string" then
         return nil, invalid(what .. " headers must be [name, value] pairs of strings")
      end
   end
   return true
end

--- Parse a token back into the initial pipeline response.
-- @tparam string token
-- @param[opt] transport the transport of the client that resumes (the response's context)
-- @return PipelineResponse, or nil and a ValueError-kind error naming what is wrong
function M.decode(token, transport)
   if type(token) ~= "string" then
      return nil, invalid("expected a string, got " .. type(token))
   end
   local compact = token:gsub("%s", "")
   if not is_base64(compact) then
      return nil, invalid("not base64 text (not a token of azure.core for Lua)")
   end
   local text = serialization._b64decode(compact)
   if type(text) ~= "string" then return nil, invalid("not base64 text") end
   if byte(text, 1) == 0x80 then
      return nil, invalid("this is a pickled azure-core (Python) token; tokens of other "
         .. "libraries cannot be resumed here (see https://aka.ms/azsdk/python/core/polling)")
   end
   local doc = json.decode(text)
   if type(doc) ~= "table" or doc.format ~= M.FORMAT then
      return nil, invalid("not a token of azure.core for Lua (format \"" .. M.FORMAT .. "\")")
   end
   if not is_integer(doc.version) or doc.version < 1 then
      return nil, invalid("bad version " .. tostring(doc.version))
   end
   if doc.version > M.VERSION then
      return nil, invalid(format("version %s is newer than this library reads (%d)",
         tostring(doc.version), M.VERSION))
   end
   local rq, rs = doc.request, doc.response
   if type(rq) ~= "table" or type(rq.method) ~= "string" or type(rq.url) ~= "string" then
      return nil, invalid("missing request method or URL")
   end
   if type(rs) ~= "table" or not is_integer(rs.status_code) or type(rs.body) ~= "string" then
      return nil, invalid("missing response status or body")
   end
   local ok, err = check_headers(rq.headers, "request")
   if not ok then return nil, err end
   ok, err = check_headers(rs.headers, "response")
   if not ok then return nil, err end
   local body = rs.body == "" and "" or serialization._b64decode(rs.body)
   if type(body) ~= "string" then return nil, invalid("response body is not base64") end
   local req = rest.HttpRequest.new(rq.method, rq.url)
   for _, pair in ipairs(rq.headers) do req.headers[pair[1]] = pair[2] end
   local res = rest.HttpResponse.new{ request = req, status_code = floor(rs.status_code),
      reason = type(rs.reason) == "string" and rs.reason or "", content = body }
   for _, pair in ipairs(rs.headers) do res.headers[pair[1]] = pair[2] end
   return context.PipelineResponse(req, res, context.new(transport, {}))
end

return M
