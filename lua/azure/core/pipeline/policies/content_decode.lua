--- ContentDecodePolicy's Lua side (BEHAVIOR §4.5): azure-core's class functions
-- `deserialize_from_text` and `deserialize_from_http_generics`, the XML element tree, and the
-- helper the native policy calls to build a value into the run's context.
--
-- The policy itself is native (src/core/azc_policy_content_decode.c): it decides the mime type,
-- checks JSON syntax with json.loads' rules and fails undecodable content types without Lua,
-- and calls the helper here only to build a value for a context someone can see, or when only
-- Lua can decide (XML, a `response_encoding`, an invalid body whose DecodeError must carry the
-- response).
--
-- XML becomes a tree of plain tables (parsed by LuaExpat, `lxp`), shaped like ElementTree:
--
--    element = { tag = "name" or "{namespace-uri}name",
--                attributes = { [name] = value, ... },   -- namespaced names as "{uri}name"
--                children = { element, ... },            -- in document order
--                text = "text before the first child" or nil,
--                tail = "text after this element's end tag" or nil }
-- @module azure.core.pipeline.policies.content_decode
local native = require("azure.core.native")
local json = require("azure.core.json")
local exceptions = require("azure.core.exceptions")
local driver = require("azure.core.pipeline.driver")

local type, tostring, pcall, error, pairs = type, tostring, pcall, error, pairs
local concat = table.concat

local M = {}

local BOM = "\239\187\191"
local json_check, mime_kind = native.json_check, native.content_decode_mime_kind

local lxp -- LuaExpat, loaded on the first XML body
local function load_lxp()
   if lxp == nil then
      local ok, mod = pcall(require, "lxp")
      lxp = ok and mod or false
   end
   return lxp
end

-- "uri}name" (expat's namespace form with "}" as separator) -> "{uri}name", as ElementTree
local function qname(name)
   if name:find("}", 1, true) then return "{" .. name end
   return name
end

--- Parse XML text into an element tree (see the module description).
-- @tparam string text UTF-8 XML (an encoding declaration is overridden: the text is UTF-8)
-- @return the root element, or nil and ElementTree's message ("mismatched tag: line 1,
-- column 8"; the column counts from 0)
function M.parse_xml(text)
   local expat = load_lxp()
   if not expat then
      error(exceptions.AzureError.new{ message = "XML bodies need LuaExpat (the lxp module)" }, 2)
   end
   local root, stack, top, closed = nil, {}, 0, nil
   local texts = {} -- element -> list of text pieces; tails keyed by {element}
   local function add(el, field, s)
      local key = texts[el]
      if not key then
         key = {}
         texts[el] = key
      end
      local list = key[field]
      if not list then
         list = {}
         key[field] = list
      end
      list[#list + 1] = s
   end
   local parser = expat.new({
      StartElement = function(_, name, attrs)
         local el = { tag = qname(name), attributes = {}, children = {} }
         for i = 1, #attrs do
            local k = attrs[i]
            el.attributes[qname(k)] = attrs[k]
         end
         if top > 0 then
            local siblings = stack[top].children
            siblings[#siblings + 1] = el
         else
            root = el
         end
         top = top + 1
         stack[top] = el
         closed = nil
      end,
      EndElement = function()
         closed = stack[top]
         stack[top] = nil
         top = top - 1
      end,
      CharacterData = function(_, s)
         if closed then
            add(closed, "tail", s)
         elseif top > 0 then
            add(stack[top], "text", s)
         end
      end,
   }, "}")
   parser:setencoding("UTF-8")
   local ok, msg, line, col = parser:parse(text)
   if ok then ok, msg, line, col = parser:parse() end
   pcall(parser.close, parser)
   if not ok then
      return nil, ("%s: line %d, column %d"):format(tostring(msg), line or 1, (col or 1) - 1)
   end
   for el, t in pairs(texts) do
      if t.text then el.text = concat(t.text) end
      if t.tail then el.tail = concat(t.tail) end
   end
   return root
end

local function decode_error(message, response, inner)
   return exceptions.DecodeError.new{ message = message, response = response, error = inner }
end

-- deserialize_from_text on text that is already a string (no BOM handling).
local function from_text(text, mime, response)
   if text == nil or text == "" then return nil end
   if mime == nil then return text end
   local kind = mime_kind(mime)
   if kind == "json" then
      local ok, msg = json_check(text)
      if not ok then return nil, decode_error("JSON is invalid: " .. msg, response, msg) end
      local v, err = json.decode(text)
      if v == nil then
         return nil, decode_error("JSON is invalid: " .. tostring(err), response, err)
      end
      return v
   elseif kind == "xml" then
      local root, xerr = M.parse_xml(text)
      if root then return root end
      -- a server that sends JSON labelled XML: try JSON before giving up (azure-core does)
      if json_check(text) then
         local v = json.decode(text)
         if v ~= nil then return v end
      end
      return nil, decode_error("XML is invalid, ParseError: " .. xerr, response, xerr)
   elseif kind == "text" then
      return text
   end
   -- azure-core raises this one without the response
   return nil, exceptions.DecodeError.new{ message = "Cannot deserialize content-type: " .. mime }
end

--- Decode data according to a mime type (azure-core's `deserialize_from_text`).
-- JSON mime types (`^(application|text)/([0-9a-z+.-]+\+)?json$`) give the decoded value (JSON
-- null is `json.NULL`), XML ones (containing "xml") the element tree (or JSON, when the body
-- is JSON after all), `text/*` the text; with no mime type the text itself.
-- @tparam string|nil data the body (a leading UTF-8 BOM is dropped, as for bytes in Python)
-- @tparam[opt] string mime_type lower-cased mime type without parameters
-- @param[opt] response an HttpResponse the DecodeError carries
-- @return the value; nil for empty data; or nil and a DecodeError
function M.deserialize_from_text(data, mime_type, response)
   if data == nil or data == "" then return nil end
   if type(data) ~= "string" then
      error("deserialize_from_text: data must be a string, got " .. type(data), 2)
   end
   if data:sub(1, 3) == BOM then data = data:sub(4) end
   return from_text(data, mime_type, response)
end

--- Decode a response's body (azure-core's `deserialize_from_http_generics`): the mime type is
-- Content-Type before `;`, trimmed and lower-cased, `application/json` when there is none; the
-- body is read if needed and decoded as `response:text(encoding)` does.
-- @param response HttpResponse
-- @tparam[opt] string encoding overrides the charset of Content-Type
-- @return the value; nil for an empty body; or nil and an error object
function M.deserialize_from_http_generics(response, encoding)
   local ct = response.content_type
   local mime = native.content_decode_mime(ct ~= "" and ct or nil)
   local body, rerr = response:read()
   if body == nil then return nil, rerr end
   local ok, text = pcall(response.text, response, encoding)
   if not ok then return nil, exceptions.wrap(text) end
   return from_text(text, mime, response)
end

-- The methods of the native class, for code that calls a policy's hooks directly (azure-core's
-- rules, read from the PipelineRequest). Runs of a pipeline do not come through here.
local Methods = {}

--- on_request: pop option `response_encoding` (default: the policy's) into the context.
function Methods.on_request(self, request)
   local options = request.context.options
   local enc = options.response_encoding
   if enc == nil then enc = self.response_encoding end
   options.response_encoding = nil
   if enc then request.context.response_encoding = enc end
end

--- on_response: unless the call streams (option `stream`, true when missing), decode the body
-- into `context.deserialized_data`; raises the DecodeError.
function Methods.on_response(self, request, response)
   local stream = response.context.options.stream
   if stream == nil or stream then return end
   local v, err = M.deserialize_from_http_generics(response.http_response,
      request.context.response_encoding)
   if err then error(err, 2) end
   response.context.deserialized_data = v
end

native.set_methods("azure.core.ContentDecodePolicy", Methods)

-- The native policy's helper (src/bind/azl_policy_content_decode.c): stage "request" stores the
-- call's encoding in the context; stage "response" decodes the run's response (the policy has
-- checked that the call does not stream) into context.deserialized_data. Returns nil, or the
-- error object that fails the call.
local function helper(run, stage, encoding)
   local ctx = driver.context_of(run)
   if stage == "request" then
      ctx.response_encoding = encoding
      return nil
   end
   local enc = ctx.response_encoding
   if enc == nil then enc = encoding end
   local ok, v, err = pcall(M.deserialize_from_http_generics, run:current_response(), enc)
   if not ok then return driver.host_error(v) end
   if err then return err end
   if v ~= nil then ctx.deserialized_data = v end
   return nil
end

native._set_content_decode_helper(helper)

return M
