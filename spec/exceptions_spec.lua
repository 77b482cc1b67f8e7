-- azure.core.exceptions (BEHAVIOR.md §6). Expected strings were produced by azure-core 1.26.3
-- (python3-azure) with equivalent duck-typed responses.
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")

-- A fake response: what HttpResponseError reads (status_code, reason, headers, request, text()).
local function response(status, reason, body, opts)
   opts = opts or {}
   return {
      status_code = status,
      reason = reason,
      headers = opts.headers or {},
      request = opts.request or "<HttpRequest [GET], url: 'http://x/y'>",
      text = function()
         if opts.unread then error(exceptions.ResponseNotReadError.new{ message = "not read" }) end
         return body
      end,
   }
end

local ODATA_BODY = '{"error":{"code":"501","message":"Unsupported functionality","target":"query",'
   .. '"details":[{"code":"301","target":"$search","message":"$search query option not '
   .. 'supported"}],"innererror":{"trace":[],"context":{}}}}'

local ODATA_STR = "(501) Unsupported functionality\nCode: 501\nMessage: Unsupported functionality"
   .. "\nTarget: query\nException Details:\t(301) $search query option not supported\n\tCode: 301"
   .. "\n\tMessage: $search query option not supported\n\tTarget: $search\nInner error: {\n"
   .. '    "trace": [],\n    "context": {}\n}'

describe("exceptions hierarchy (§6.1)", function()
   local parents = {
      ServiceRequestError = "AzureError",
      ServiceRequestTimeoutError = "ServiceRequestError",
      ServiceResponseError = "AzureError",
      ServiceResponseTimeoutError = "ServiceResponseError",
      HttpResponseError = "AzureError",
      DecodeError = "HttpResponseError",
      IncompleteReadError = "DecodeError",
      ResourceExistsError = "HttpResponseError",
      ResourceNotFoundError = "HttpResponseError",
      ClientAuthenticationError = "HttpResponseError",
      ResourceModifiedError = "HttpResponseError",
      ResourceNotModifiedError = "HttpResponseError",
      TooManyRedirectsError = "HttpResponseError",
      ODataV4Error = "HttpResponseError",
      StreamConsumedError = "AzureError",
      StreamClosedError = "AzureError",
      ResponseNotReadError = "AzureError",
   }

   it("has every class with its parent", function()
      for name, parent in pairs(parents) do
         local cls = exceptions[name]
         assert.is_table(cls, name)
         local e = cls.new{ message = "m" }
         assert.equal(name, e.type)
         assert.is_true(e:is(cls))
         assert.is_true(e:is(name))
         assert.is_true(e:is(parent), name .. " is " .. parent)
         assert.is_true(e:is(exceptions[parent]))
         assert.is_true(e:is(exceptions.AzureError))
         assert.is_true(e:is("AzureError"))
         assert.is_true(cls:is(exceptions[parent]))
         assert.is_true(exceptions.is_error(e))
         assert.is_true(exceptions.is_error(e, parent))
      end
   end)

   it("keeps siblings apart", function()
      local e = exceptions.ServiceRequestTimeoutError.new{ message = "t" }
      assert.is_false(e:is(exceptions.ServiceResponseError))
      assert.is_false(e:is("HttpResponseError"))
      assert.is_false(exceptions.ResourceNotFoundError.new{}:is(exceptions.ResourceExistsError))
      assert.is_false(exceptions.AzureError.new{}:is(exceptions.HttpResponseError))
      assert.is_false(exceptions.IncompleteReadError:is("ODataV4Error"))
   end)

   it("makes Serialization/DeserializationError ValueErrors, not AzureErrors", function()
      for _, name in ipairs({ "SerializationError", "DeserializationError" }) do
         local e = exceptions[name].new{ message = "bad value", error = "inner" }
         assert.equal(name, e.type)
         assert.equal("bad value", e.message)
         assert.equal("bad value", tostring(e))
         assert.equal("inner", e.inner_exception)
         assert.is_true(e:is(name))
         assert.is_true(e:is("ValueError"))
         assert.is_false(e:is(exceptions.AzureError))
         assert.is_false(e:is("AzureError"))
         assert.is_true(exceptions.is_error(e))
         assert.equal("", tostring(exceptions[name].new()))
      end
   end)

   it("classes are callable, and new accepts (message, opts) and :new", function()
      local a = exceptions.AzureError("plain", { continuation_token = "tok" })
      assert.equal("plain", a.message)
      assert.equal("tok", a.continuation_token)
      local b = exceptions.ServiceRequestError{ message = "m" }
      assert.equal("ServiceRequestError", b.type)
      local c = exceptions.HttpResponseError:new{ message = "colon" }
      assert.equal("colon", tostring(c))
      assert.equal("azure.core.exceptions.HttpResponseError",
                   tostring(exceptions.HttpResponseError))
   end)

   it("rejects a bad argument to is()", function()
      local e = exceptions.AzureError.new{}
      assert.has_error(function() e:is(42) end)
      assert.has_error(function() e:is({}) end)
   end)

   it("supports subclasses through extend", function()
      local MyError = exceptions.HttpResponseError:extend("MyError")
      local e = MyError.new{ response = response(418, "Teapot", "") }
      assert.equal("MyError", e.type)
      assert.equal(418, e.status_code)
      assert.is_true(e:is(exceptions.HttpResponseError))
      assert.is_true(e:is("MyError"))
      assert.equal("Operation returned an invalid status 'Teapot'", tostring(e))
      local Custom = exceptions.AzureError:extend("Custom", function(self, opts, parent_init)
         self.extra = opts.extra
         parent_init(self, opts)
      end)
      local c = Custom{ message = "x", extra = 5 }
      assert.equal(5, c.extra)
      assert.equal("x", tostring(c))
      assert.is_true(c:is(exceptions.AzureError))
   end)

   it("can be raised and caught with pcall", function()
      local ok, err = pcall(error, exceptions.ResourceNotFoundError.new{ message = "gone" })
      assert.is_false(ok)
      assert.equal("ResourceNotFoundError", err.type)
      assert.equal("gone", tostring(err))
   end)
end)

describe("AzureError (§6.2)", function()
   it("stores message, inner exception and continuation token", function()
      local e = exceptions.AzureError.new{ message = "hello", error = "boom",
                                           continuation_token = "ct" }
      assert.equal("hello", e.message)
      assert.equal("hello", tostring(e))
      assert.equal("boom", e.inner_exception)
      assert.equal("string", e.exc_type)
      assert.equal("boom", e.exc_value)
      assert.equal("hello, string: boom", e.exc_msg)
      assert.equal("ct", e.continuation_token)
      assert.equal("AzureError", e.type)
      assert.equal("AzureError", e.kind)
   end)

   it("names an inner error object's class in exc_type", function()
      local inner = exceptions.ServiceRequestError.new{ message = "refused" }
      local e = exceptions.AzureError.new{ message = "outer", error = inner }
      assert.equal(inner, e.inner_exception)
      assert.equal("ServiceRequestError", e.exc_type)
      assert.equal("outer, ServiceRequestError: refused", e.exc_msg)
   end)

   it("stringifies the message like Python str()", function()
      local e = exceptions.AzureError.new{}
      assert.equal("None", e.message)
      assert.equal("None", tostring(e))
      assert.equal("None, None: None", e.exc_msg)
      assert.is_nil(e.inner_exception)
      assert.is_nil(e.continuation_token)
      assert.equal("42", exceptions.AzureError.new(42).message)
      assert.equal("True", exceptions.AzureError.new(true).message)
      assert.equal("1.5", exceptions.AzureError.new(1.5).message)
   end)
end)

describe("HttpResponseError (§6.3)", function()
   local HttpResponseError = exceptions.HttpResponseError

   it("appends a non-OData body to the message", function()
      local res = response(400, "BAD REQUEST", "I am throwing an error")
      local e = HttpResponseError.new{ response = res }
      assert.equal(400, e.status_code)
      assert.equal("BAD REQUEST", e.reason)
      assert.equal(res, e.response)
      assert.is_nil(e.error)
      assert.equal("Operation returned an invalid status 'BAD REQUEST'", e.message)
      assert.equal("Operation returned an invalid status 'BAD REQUEST'\nContent: I am throwing an "
                   .. "error", tostring(e))
   end)

   it("uses the OData error as message and does not append the body", function()
      local e = HttpResponseError.new{ response = response(501, "NOT IMPLEMENTED", ODATA_BODY) }
      assert.equal(ODATA_STR, e.message)
      assert.equal(ODATA_STR, tostring(e))
      assert.is_nil(tostring(e):find('Content: {"', 1, true))
      assert.equal("501", e.error.code)
      assert.equal("Unsupported functionality", e.error.message)
      assert.equal("query", e.error.target)
      assert.equal(1, #e.error.details)
      assert.equal("301", e.error.details[1].code)
   end)

   it("prefers the OData message over the message argument", function()
      local e = HttpResponseError.new{ message = "mine",
                                       response = response(501, "NOT IMPLEMENTED", ODATA_BODY) }
      assert.equal(ODATA_STR, tostring(e))
   end)

   it("uses the message argument over the generic text", function()
      local e = HttpResponseError("custom", { response = response(404, "Not Found", "body text") })
      assert.equal("custom", e.message)
      assert.equal("custom\nContent: body text", tostring(e))
      local d = exceptions.DecodeError.new{ message = "bad json",
                                            response = response(200, "OK", "{x") }
      assert.equal("bad json\nContent: {x", tostring(d))
   end)

   it("treats an empty message as absent", function()
      local e = HttpResponseError.new{ message = "", response = response(404, "Not Found", "") }
      assert.equal("Operation returned an invalid status 'Not Found'", tostring(e))
   end)

   it("handles a missing reason, body or response", function()
      assert.equal("Operation returned an invalid status 'None'",
                   tostring(HttpResponseError.new{ response = response(404, nil, "") }))
      assert.equal("Operation returned an invalid status 'Not Found'",
                   tostring(HttpResponseError.new{ response = response(404, "Not Found", "") }))
      local e = HttpResponseError.new()
      assert.equal("Operation returned an invalid status 'None'", tostring(e))
      assert.is_nil(e.status_code)
      assert.is_nil(e.reason)
      assert.is_nil(e.response)
      assert.equal("m", tostring(HttpResponseError.new{ message = "m" }))
   end)

   it("shows no body when text() raises (unread stream)", function()
      local e = HttpResponseError.new{ response = response(500, "X", "secret", { unread = true }) }
      assert.equal("Operation returned an invalid status 'X'", tostring(e))
      assert.is_nil(e.error)
   end)

   it("reads the body when converted to a string, not only at construction", function()
      local body = nil
      local res = response(500, "Internal Server Error", "")
      res.text = function() if body then return body end error("not read yet") end
      local e = HttpResponseError.new{ response = res }
      assert.equal("Operation returned an invalid status 'Internal Server Error'", tostring(e))
      body = "late body"
      assert.equal("Operation returned an invalid status 'Internal Server Error'\nContent: late "
                   .. "body", tostring(e))
   end)

   it("caps the string at 2048 characters", function()
      local e = HttpResponseError.new{ response = response(500, "Internal Server Error",
                                                           ("x"):rep(5000)) }
      local s = tostring(e)
      assert.equal(2048, #s)
      assert.equal("Operation returned an invalid status 'Internal Server Error'\nContent: xxx",
                   s:sub(1, 73))
      -- characters, not bytes: "é" is 2 bytes in UTF-8
      local u = tostring(HttpResponseError.new{ response = response(500, "E", ("é"):rep(3000)) })
      local prefix = "Operation returned an invalid status 'E'\nContent: "
      assert.equal(prefix, u:sub(1, #prefix))
      assert.equal((2048 - #prefix) * 2, #u - #prefix)
      -- a short body is not cut
      assert.equal("Operation returned an invalid status 'E'\nContent: short",
                   tostring(HttpResponseError.new{ response = response(500, "E", "short") }))
   end)

   it("parses OData at the top level too, and with only code or only message", function()
      assert.equal("(Oops) None\nCode: Oops\nMessage: None", tostring(HttpResponseError.new{
         response = response(400, "Bad", '{"code": "Oops"}') }))
      assert.equal("(None) Oops\nCode: None\nMessage: Oops", tostring(HttpResponseError.new{
         response = response(400, "Bad", '{"message": "Oops"}') }))
      assert.equal("(42) None\nCode: 42\nMessage: None", tostring(HttpResponseError.new{
         response = response(400, "Bad", '{"error": {"code": 42, "message": null}}') }))
   end)

   it("appends JSON bodies that are not OData errors", function()
      local cases = {
         ['{"foo": 1}'] = "Operation returned an invalid status 'Bad'\nContent: {\"foo\": 1}",
         ['{"error": null}'] = "Operation returned an invalid status 'Bad'\nContent: "
            .. '{"error": null}',
         ['{"error": "bad thing"}'] = "Operation returned an invalid status 'Bad'\nContent: "
            .. '{"error": "bad thing"}',
         ["[1,2]"] = "Operation returned an invalid status 'Bad'\nContent: [1,2]",
         ["null"] = "Operation returned an invalid status 'Bad'\nContent: null",
         ['{"code": "", "message": ""}'] = "Operation returned an invalid status 'Bad'\n"
            .. 'Content: {"code": "", "message": ""}',
      }
      for body, want in pairs(cases) do
         local e = HttpResponseError.new{ response = response(400, "Bad", body) }
         assert.is_nil(e.error, body)
         assert.equal(want, tostring(e))
      end
   end)

   it("keeps model, error_format and continuation_token", function()
      local model = { any = "thing" }
      local e = HttpResponseError.new{ model = model, continuation_token = "next",
                                       response = response(400, "Bad", "") }
      assert.equal(model, e.model)
      assert.equal("next", e.continuation_token)
      local seen
      local fmt = { new = function(v) seen = v; return setmetatable({ code = "C" },
         { __tostring = function() return "custom format" end }) end }
      local f = HttpResponseError.new{ error_format = fmt,
                                       response = response(400, "B", '{"a":1}') }
      assert.equal(1, seen.a)
      assert.equal("custom format", tostring(f))
      assert.equal("C", f.error.code)
   end)

   it("takes the inner exception from the error option", function()
      local e = HttpResponseError.new{ error = "inner", response = response(400, "Bad", "") }
      assert.equal("inner", e.inner_exception)
      assert.is_nil(e.error)
   end)

   it("reads x-ms-error-code and x-ms-request-id from the headers", function()
      local e = HttpResponseError.new{ response = response(409, "Conflict", ODATA_BODY, {
         headers = { ["X-MS-Error-Code"] = "ContainerAlreadyExists",
                     ["x-ms-request-id"] = "req-1" } }) }
      assert.equal("ContainerAlreadyExists", e.error_code)
      assert.equal("req-1", e.request_id)
      -- without the header, the OData code
      local o = HttpResponseError.new{ response = response(501, "NI", ODATA_BODY) }
      assert.equal("501", o.error_code)
      assert.is_nil(o.request_id)
      -- headers objects with :get(name)
      local store = { ["x-ms-error-code"] = "Busy", ["x-ms-request-id"] = "r2" }
      local headers = { get = function(_, name) return store[name:lower()] end }
      local g = HttpResponseError.new{ response = response(503, "S", "", { headers = headers }) }
      assert.equal("Busy", g.error_code)
      assert.equal("r2", g.request_id)
      -- broken headers objects are ignored
      local bad = setmetatable({}, { __index = function() error("boom") end })
      local b = HttpResponseError.new{ response = response(500, "S", "", { headers = bad }) }
      assert.is_nil(b.error_code)
      assert.is_nil(b.request_id)
      -- no headers at all
      local res = response(500, "S", "")
      res.headers = nil
      assert.is_nil(HttpResponseError.new{ response = res }.error_code)
   end)

   it("reads every HttpResponseError subclass the same way", function()
      for _, name in ipairs({ "DecodeError", "IncompleteReadError", "ResourceExistsError",
                              "ResourceNotFoundError", "ClientAuthenticationError",
                              "ResourceModifiedError", "ResourceNotModifiedError" }) do
         local e = exceptions[name].new{ response = response(404, "Not Found", "nope") }
         assert.equal(404, e.status_code)
         assert.equal("Operation returned an invalid status 'Not Found'\nContent: nope",
                      tostring(e))
      end
   end)
end)

describe("TooManyRedirectsError", function()
   it("has the fixed message and the history", function()
      local history = { "r1", "r2" }
      local e = exceptions.TooManyRedirectsError.new{ history = history,
                                                      response = response(302, "Found", "") }
      assert.equal("Reached maximum redirect attempts.", tostring(e))
      assert.equal(history, e.history)
      assert.equal(302, e.status_code)
   end)
end)

describe("map_error / ErrorMap (§6.4)", function()
   it("raises the mapped class with the response", function()
      local res = response(404, "Not Found", "x")
      local ok, err = pcall(exceptions.map_error, 404, res,
                            { [404] = exceptions.ResourceNotFoundError })
      assert.is_false(ok)
      assert.equal("ResourceNotFoundError", err.type)
      assert.equal(res, err.response)
      assert.equal("Operation returned an invalid status 'Not Found'\nContent: x", tostring(err))
   end)

   it("returns when the map is empty, nil or has no (truthy) entry", function()
      local res = response(404, "Not Found", "x")
      assert.is_nil(exceptions.map_error(404, res, nil))
      assert.is_nil(exceptions.map_error(404, res, {}))
      assert.is_nil(exceptions.map_error(404, res, { [500] = exceptions.HttpResponseError }))
      assert.is_nil(exceptions.map_error(404, res, { [404] = false }))
      assert.equal(0, select("#", exceptions.map_error(404, res, {})))
   end)

   it("ErrorMap falls back to the default error", function()
      local em = exceptions.ErrorMap.new({ [404] = exceptions.ResourceNotFoundError },
                                         { default_error = exceptions.HttpResponseError })
      assert.equal(exceptions.ResourceNotFoundError, em:get(404))
      assert.equal(exceptions.HttpResponseError, em:get(500))
      assert.is_nil(exceptions.ErrorMap.new():get(1))
      local em2 = exceptions.ErrorMap{ default_error = exceptions.ResourceExistsError }
      assert.equal(exceptions.ResourceExistsError, em2:get(409))
      local ok, err = pcall(exceptions.map_error, 500, response(500, "E", ""), em)
      assert.is_false(ok)
      assert.equal("HttpResponseError", err.type)
      assert.is_nil(exceptions.map_error(500, response(500, "E", ""), exceptions.ErrorMap.new()))
   end)

   it("accepts a constructor function as map entry", function()
      local ok, err = pcall(exceptions.map_error, 400, response(400, "B", ""), {
         [400] = function(opts) return { custom = true, response = opts.response } end })
      assert.is_false(ok)
      assert.is_true(err.custom)
   end)
end)

describe("ODataV4Format (§6.5)", function()
   local ODataV4Format = exceptions.ODataV4Format

   it("formats the verified testserver example", function()
      local f = ODataV4Format.new(exceptions._decode_ordered(ODATA_BODY))
      assert.equal(ODATA_STR, tostring(f))
      assert.equal(ODATA_STR:sub(#"(501) Unsupported functionality\n" + 1), f:message_details())
      assert.equal(f, f.error) -- deprecated alias
   end)

   it("works with and without the error wrapper", function()
      local a = ODataV4Format.new{ error = { code = "A", message = "a" } }
      local b = ODataV4Format{ code = "A", message = "a" }
      assert.equal("(A) a\nCode: A\nMessage: a", tostring(a))
      assert.equal(tostring(a), tostring(b))
      assert.equal("(None) only\nCode: None\nMessage: only", tostring(ODataV4Format{
         message = "only" }))
   end)

   it("joins details without separators, tab-indenting each line", function()
      local f = ODataV4Format.new{ code = "A", message = "a", details = {
         { code = "B", message = "b" },
         { code = "C", message = "c\nmore", target = "t" },
         5, { x = 1 }, "str",
      } }
      assert.equal(2, #f.details)
      assert.equal("(A) a\nCode: A\nMessage: a\nException Details:\t(B) b\n\tCode: B\n\tMessage: b"
                   .. "\t(C) c\n\tmore\n\tCode: C\n\tMessage: c\n\tmore\n\tTarget: t", tostring(f))
   end)

   it("nests details", function()
      local f = ODataV4Format.new{ code = "A", message = "a", details = {
         { code = "B", message = "b", details = { { code = "C", message = "c" } } } } }
      assert.equal("(A) a\nCode: A\nMessage: a\nException Details:\t(B) b\n\tCode: B\n\tMessage: b"
                   .. "\n\tException Details:\t(C) c\n\t\tCode: C\n\t\tMessage: c", tostring(f))
   end)

   it("omits a falsy target and empty details/innererror", function()
      assert.equal("(A) a\nCode: A\nMessage: a", tostring(ODataV4Format{
         code = "A", message = "a", target = "", details = {}, innererror = {} }))
   end)

   it("defaults innererror to {} and details to an empty list", function()
      local f = ODataV4Format{ code = "A", message = "a" }
      assert.same({}, f.innererror)
      assert.same({}, f.details)
      assert.is_nil(f.target)
      local n = ODataV4Format.new(exceptions._decode_ordered(
         '{"code":"A","message":"a","innererror":null,"details":null,"target":null}'))
      assert.is_nil(n.innererror)
      assert.same({}, n.details)
      assert.is_nil(n.target)
      assert.same({}, ODataV4Format{ code = "A", message = "a", details = "abc" }.details)
   end)

   it("dumps innererror like Python json.dumps(indent=4)", function()
      local body = '{"code":"A","message":"a","innererror":{"b":[1,2.5,{"c":null,"d":true}],'
         .. '"a":"\\u00e9\\u2028\\"\\\\/\\n\\t\\u0001","z":1e20,"y":0.1,"x":3.0,"w":1e-7,'
         .. '"v":"\\ud83d\\ude00"}}'
      local f = ODataV4Format.new(exceptions._decode_ordered(body))
      local x = math.type and '    "x": 3.0,\n' or '    "x": 3,\n' -- Lua 5.1 has no float type
      assert.equal('Code: A\nMessage: a\nInner error: {\n    "b": [\n        1,\n        2.5,\n'
                   .. '        {\n            "c": null,\n            "d": true\n        }\n'
                   .. '    ],\n    "a": "\\u00e9\\u2028\\"\\\\/\\n\\t\\u0001",\n'
                   .. '    "z": 1e+20,\n    "y": 0.1,\n' .. x .. '    "w": 1e-07,\n'
                   .. '    "v": "\\ud83d\\ude00"\n}', f:message_details())
   end)

   it("sorts keys of innererror tables built in Lua", function()
      local f = ODataV4Format{ code = "A", message = "a",
                               innererror = { zeta = json.NULL, alpha = json.array({}) } }
      assert.equal('Code: A\nMessage: a\nInner error: {\n    "alpha": [],\n    "zeta": null\n}',
                   f:message_details())
   end)

   it("raises a ValueError when neither code nor message is present", function()
      local ok, err = pcall(ODataV4Format.new, exceptions._decode_ordered(
         '{"foo":1,"bar":[1,"x",null]}'))
      assert.is_false(ok)
      assert.equal("ValueError", err.kind)
      assert.is_true(err:is("ValueError"))
      assert.equal('Impossible to extract code/message from received JSON:\n'
                   .. '{"foo": 1, "bar": [1, "x", null]}', tostring(err))
      ok, err = pcall(ODataV4Format.new, exceptions._decode_ordered(
         '{"code": "", "message": null}'))
      assert.is_false(ok)
      assert.equal('Impossible to extract code/message from received JSON:\n'
                   .. '{"code": "", "message": null}', tostring(err))
   end)

   it("raises for non-objects and non-list details", function()
      local ok, err = pcall(ODataV4Format.new, "text")
      assert.is_false(ok)
      assert.equal("TypeError", err.kind)
      assert.is_false((pcall(ODataV4Format.new, { error = json.NULL })))
      ok, err = pcall(ODataV4Format.new, { code = "A", message = "a", details = 5 })
      assert.is_false(ok)
      assert.equal("TypeError", err.kind)
   end)
end)

describe("ODataV4Error (§6.6)", function()
   local ODataV4Error = exceptions.ODataV4Error

   it("copies the OData fields and prints the format", function()
      local e = ODataV4Error.new{ response = response(400, "Bad", ODATA_BODY) }
      assert.equal(ODATA_STR, tostring(e))
      assert.equal("Unsupported functionality", e.message)
      assert.equal("501", e.code)
      assert.equal("query", e.target)
      assert.equal(1, #e.details)
      assert.equal("(301) $search query option not supported\nCode: 301\nMessage: $search query "
                   .. "option not supported\nTarget: $search", tostring(e.details[1]))
      assert.equal("{'trace': [], 'context': {}}", exceptions._py_str(e.innererror))
      assert.equal("501", e.odata_json.error.code)
      assert.is_true(e:is(exceptions.HttpResponseError))
   end)

   it("the format's message wins over a message option", function()
      local e = ODataV4Error.new{ message = "kw", response = response(400, "Bad", ODATA_BODY) }
      assert.equal("Unsupported functionality", e.message)
      assert.equal(ODATA_STR, tostring(e))
   end)

   it("falls back to HttpResponseError for non-JSON bodies", function()
      local e = ODataV4Error.new{ response = response(400, "Bad", "not json") }
      assert.equal("Operation returned an invalid status 'Bad'\nContent: not json", tostring(e))
      assert.equal("Operation returned an invalid status 'Bad'", e.message)
      assert.is_nil(e.odata_json)
      assert.is_nil(e.code)
      assert.is_nil(e.target)
      assert.same({}, e.details)
      assert.same({}, e.innererror)
   end)

   it("falls back to HttpResponseError for JSON without an OData error", function()
      -- azure-core 1.26.3 prints "JSON was invalid for format <class ...>" here; BEHAVIOR §6.6
      -- asks for the HttpResponseError text.
      local e = ODataV4Error.new{ response = response(400, "Bad", '{"foo": 1}') }
      assert.equal("Operation returned an invalid status 'Bad'\nContent: {\"foo\": 1}", tostring(e))
      assert.equal("Operation returned an invalid status 'Bad'", e.message)
      assert.equal(1, e.odata_json.foo)
   end)

   it("keeps defaults for fields the body lacks", function()
      local e = ODataV4Error.new{ response = response(400, "Bad",
                                                      '{"error": {"message": "only msg"}}') }
      assert.equal("(None) only msg\nCode: None\nMessage: only msg", tostring(e))
      assert.equal("only msg", e.message)
      assert.is_nil(e.code)
      assert.same({}, e.innererror)
   end)
end)

describe("stream errors (§6.7)", function()
   local res = response(200, "OK", "")

   it("name the request in their messages", function()
      assert.equal("You are attempting to read or stream the content from request <HttpRequest "
                   .. "[GET], url: 'http://x/y'>. You have likely already consumed this stream, "
                   .. "so it can not be accessed anymore.",
                   tostring(exceptions.StreamConsumedError.new{ response = res }))
      assert.equal("The content for response from request <HttpRequest [GET], url: "
                   .. "'http://x/y'> can no longer be read or streamed, since the response has "
                   .. "already been closed.",
                   tostring(exceptions.StreamClosedError.new{ response = res }))
      assert.equal("You have not read in the bytes for the response from request <HttpRequest "
                   .. "[GET], url: 'http://x/y'>. Call .read() on the response first.",
                   tostring(exceptions.ResponseNotReadError.new{ response = res }))
   end)

   it("use the request's __tostring", function()
      local req = setmetatable({}, { __tostring = function() return "<HttpRequest [PUT], url: "
         .. "'https://a/b'>" end })
      local e = exceptions.StreamClosedError.new{ response = { request = req } }
      assert.equal("The content for response from request <HttpRequest [PUT], url: "
                   .. "'https://a/b'> can no longer be read or streamed, since the response has "
                   .. "already been closed.", tostring(e))
      assert.equal(req, e.response.request)
   end)

   it("accept a ready message", function()
      assert.equal("already consumed",
                   tostring(exceptions.StreamConsumedError.new{ message = "already consumed" }))
   end)
end)

describe("from_native", function()
   local azure_kinds = {
      ServiceRequestError = true, ServiceRequestTimeoutError = true, ServiceResponseError = true,
      ServiceResponseTimeoutError = true, DecodeError = true, IncompleteReadError = true,
      StreamConsumedError = true, StreamClosedError = true, ResponseNotReadError = true,
   }

   it("maps the C core's code names to classes", function()
      for kind in pairs(azure_kinds) do
         local e = exceptions.from_native(kind, "msg " .. kind, 0, "")
         assert.equal(kind, e.type)
         assert.equal(kind, e.kind)
         assert.equal("msg " .. kind, e.message)
         assert.equal("msg " .. kind, tostring(e))
         assert.is_nil(e.curl_code)
         assert.is_nil(e.curl_name)
         assert.is_true(e:is(exceptions.AzureError))
      end
   end)

   it("records non-Azure kinds on an AzureError", function()
      for _, kind in ipairs({ "ValueError", "TypeError", "IOError", "MemoryError", "ClosedError",
                              "SomethingNew", "SerializationError" }) do
         local e = exceptions.from_native(kind, "went wrong")
         assert.equal("AzureError", e.type)
         assert.equal(kind, e.kind)
         assert.is_true(e:is(kind))
         assert.is_true(e:is(exceptions.AzureError))
         assert.equal("went wrong", tostring(e))
      end
   end)

   it("carries the curl code and name into tostring", function()
      local e = exceptions.from_native("ServiceRequestError",
                                       "Failed to connect to 127.0.0.1 port 1", 7,
                                       "CURLE_COULDNT_CONNECT")
      assert.equal(7, e.curl_code)
      assert.equal("CURLE_COULDNT_CONNECT", e.curl_name)
      assert.equal("Failed to connect to 127.0.0.1 port 1 (CURLE_COULDNT_CONNECT)", tostring(e))
      assert.equal("Failed to connect to 127.0.0.1 port 1", e.message)
      assert.is_true(e:is(exceptions.ServiceRequestError))
      assert.is_false(e:is(exceptions.ServiceResponseError))
      local t = exceptions.from_native("ServiceResponseTimeoutError",
                                       "CURLE_OPERATION_TIMEDOUT: idle", 28,
                                       "CURLE_OPERATION_TIMEDOUT")
      assert.equal("CURLE_OPERATION_TIMEDOUT: idle", tostring(t)) -- name not repeated
      assert.is_true(t:is("ServiceResponseError"))
   end)

   it("uses the kind as message when the core gave none", function()
      assert.equal("StreamClosedError",
                   tostring(exceptions.from_native("StreamClosedError", "")))
      assert.equal("IOError", exceptions.from_native("IOError", nil).message)
   end)
end)

describe("wrap", function()
   it("wraps raised Lua values in an AzureError", function()
      local ok, raised = pcall(error, "policy.lua:3: boom", 0)
      assert.is_false(ok)
      local e = exceptions.wrap(raised)
      assert.equal("AzureError", e.type)
      assert.equal("policy.lua:3: boom", e.message)
      assert.equal("policy.lua:3: boom", e.inner_exception)
      local t = { reason = "table error" }
      local w = exceptions.wrap(t)
      assert.equal(t, w.inner_exception)
      assert.equal("table", w.exc_type)
      assert.equal("nil", exceptions.wrap(nil).message)
      local bad = setmetatable({}, { __tostring = function() error("no") end })
      assert.equal("(error value of type table)", exceptions.wrap(bad).message)
   end)

   it("returns error objects unchanged", function()
      local e = exceptions.ResourceNotFoundError.new{ message = "x" }
      assert.equal(e, exceptions.wrap(e))
      local s = exceptions.SerializationError.new{ message = "y" }
      assert.equal(s, exceptions.wrap(s))
      assert.is_false(exceptions.is_error("string"))
      assert.is_false(exceptions.is_error({ type = "AzureError" }))
   end)
end)

describe("ordered JSON decoding of error bodies", function()
   local decode = exceptions._decode_ordered

   it("rejects invalid JSON like json.loads", function()
      for _, s in ipairs({ "", "{", "[1,]", '{"a" 1}', "01", "1.", '"\1"', "tru", "{} x",
                          '{"a":1,}', "'a'" }) do
         assert.is_nil(decode(s), s)
      end
   end)

   it("accepts what json.loads accepts", function()
      assert.equal(-1.5e3, decode(" -1.5E3 "))
      assert.equal(json.NULL, decode("null"))
      assert.equal("\240\159\152\128", decode('"\\ud83d\\ude00"'))
      assert.same({ 1, { a = {} } }, decode('[1, {"a": {}}]'))
      assert.is_true(decode("Infinity") == math.huge)
      local dup = decode('{"a": 1, "a": 2}')
      assert.equal(2, dup.a)
   end)
end)
