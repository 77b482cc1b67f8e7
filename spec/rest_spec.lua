-- azure.core.rest: HttpRequest / HttpResponse (BEHAVIOR §1.1-1.2), against the test server.
local rest = require("azure.core.rest")
local transport = require("azure.core.pipeline.transport")
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")
local helper = require("support.helper")

describe("HttpRequest", function()
   it("stores method as given and the URL", function()
      local r = rest.HttpRequest.new("get", "https://x/y")
      assert.equal("get", r.method)
      assert.equal("https://x/y", r.url)
      r.url = "https://z/"
      r.method = "POST"
      assert.equal("https://z/", r.url)
      assert.equal("POST", r.method)
      assert.equal("<HttpRequest [POST], url: 'https://z/'>", tostring(r))
   end)

   it("is callable like the class", function()
      assert.equal("PUT", rest.HttpRequest("PUT", "http://a/").method)
   end)

   it("raises for misuse", function()
      assert.has_error(function() rest.HttpRequest.new(1, "x") end)
      assert.has_error(function() rest.HttpRequest.new("GET", nil) end)
      assert.has_error(function() rest.HttpRequest.new("GET", "x", { content = {} }) end)
      -- the message names the argument; the location is the caller's (not a tail call here)
      local ok, err = pcall(function() local r = rest.HttpRequest.new(1, "x"); return r end)
      assert.is_false(ok)
      assert.matches("HttpRequest.new: method must be a string, got number", err, 1, true)
      assert.matches("rest_spec.lua", err, 1, true)
      ok, err = pcall(function() local r = rest.HttpRequest.new("GET", true, {}); return r end)
      assert.matches("HttpRequest.new: url must be a string, got boolean", err, 1, true)
   end)

   it("parses query without decoding (§1.1)", function()
      local q = rest.HttpRequest.new("GET", "https://x/y?a=b&c=&d").query
      assert.same({ a = "b", c = "", d = "" }, q)
      assert.same({ k = "%20v" }, rest.HttpRequest.new("GET", "https://x/y?k=%20v").query)
   end)

   it("merges params into an existing query, URL pairs winning (§1.1)", function()
      local r = rest.HttpRequest.new("GET", "https://x/y?a=b", { params = { c = "d", e = { "1", "2" } } })
      assert.equal("https://x/y?c=d&e=1&e=2&a=b", r.url)
      local r2 = rest.HttpRequest.new("GET", "https://x/y?a=b", { params = { a = "x" } })
      assert.equal("https://x/y?a=b", r2.url)
   end)

   it("rejects a None (false) query parameter with azure-core's message", function()
      local ok, err = pcall(rest.HttpRequest.new, "GET", "https://x/y", { params = { k = false } })
      assert.is_false(ok)
      assert.matches("Query parameter k cannot be None", tostring(err), 1, true)
   end)

   it("has case-insensitive headers keeping the last-written case", function()
      local r = rest.HttpRequest.new("GET", "http://a/", { headers = { ["X-A"] = "1" } })
      assert.equal("1", r.headers["x-a"])
      r.headers["X-a"] = "2"
      local names = {}
      for k, v in r.headers:items() do names[#names + 1] = k .. "=" .. v end
      assert.same({ "X-a=2" }, names)
      r.headers["x-A"] = nil
      assert.is_nil(r.headers["X-A"])
      assert.equal("d", r.headers:get("missing", "d"))
   end)

   it("rejects header injection", function()
      local r = rest.HttpRequest.new("GET", "http://a/")
      assert.has_error(function() r.headers["X-Bad"] = "a\r\nInjected: 1" end)
   end)

   it("json body: content type, length, encoded value", function()
      local r = rest.HttpRequest.new("POST", "http://a/", { json = { a = 1 } })
      assert.equal("application/json", r.headers["Content-Type"])
      assert.equal('{"a":1}', r.content)
      assert.equal("7", r.headers["Content-Length"])
      local e = rest.HttpRequest.new("POST", "http://a/", { json = json.array() })
      assert.equal("[]", e.content)
   end)

   it("bytes content: Content-Length only when non-empty, no content type", function()
      local r = rest.HttpRequest.new("POST", "http://a/", { content = "abc" })
      assert.equal("3", r.headers["Content-Length"])
      assert.is_nil(r.headers["Content-Type"])
      local e = rest.HttpRequest.new("POST", "http://a/", { content = "" })
      assert.is_nil(e.headers["Content-Length"])
   end)

   it("text body sets text/plain", function()
      local r = rest.HttpRequest.new("POST", "http://a/")
      r:set_text_body("hé")
      assert.equal("text/plain", r.headers["Content-Type"])
      assert.equal("3", r.headers["Content-Length"])
   end)

   it("form data is urlencoded with sorted keys, false dropped", function()
      local r = rest.HttpRequest.new("POST", "http://a/", { data = { b = "x y", a = "1&2", c = false } })
      assert.equal("application/x-www-form-urlencoded", r.headers["Content-Type"])
      assert.equal("a=1%262&b=x+y", r.content)
    end)

   it("files make a multipart/form-data body", function()
      local r = rest.HttpRequest.new("POST", "http://a/", {
         data = { field = "v" },
         files = { f = { filename = "f.txt", content = "hello", content_type = "text/plain" } },
         boundary = "BOUNDARY",
      })
      assert.equal("multipart/form-data; boundary=BOUNDARY", r.headers["Content-Type"])
      assert.equal(table.concat({
         "--BOUNDARY", 'Content-Disposition: form-data; name="field"', "", "v",
         "--BOUNDARY", 'Content-Disposition: form-data; name="f"; filename="f.txt"',
         "Content-Type: text/plain", "", "hello", "--BOUNDARY--", "" }, "\r\n"), r.content)
   end)

   it("knows whether its body can rewind", function()
      assert.is_true(rest.HttpRequest.new("POST", "http://a/", { content = "x" }):can_rewind())
      local reader = rest.HttpRequest.new("POST", "http://a/", { content = function() return nil end })
      assert.is_false(reader:can_rewind())
      local f = assert(io.tmpfile())
      f:write("data"); f:seek("set", 0)
      assert.is_true(rest.HttpRequest.new("POST", "http://a/", { content = f }):can_rewind())
      f:close()
   end)

   it("keeps free-form attributes", function()
      local r = rest.HttpRequest.new("GET", "http://a/")
      r.custom = 42
      assert.equal(42, r.custom)
   end)
end)

describe("HttpResponse built from Lua values", function()
   it("exposes status, reason, headers, content and content_type", function()
      local req = rest.HttpRequest.new("GET", "http://a/b")
      local res = rest.HttpResponse.new{ request = req, status_code = 201, reason = "Created",
         headers = { ["Content-Type"] = "application/json; charset=utf-8" }, content = '{"x":1}' }
      assert.equal(201, res.status_code)
      assert.equal("Created", res.reason)
      assert.equal(req, res.request)
      assert.equal("application/json; charset=utf-8", res.content_type)
      assert.equal("utf-8", res.encoding)
      assert.equal(1, res:json().x)
      assert.equal("<HttpResponse: 201 Created, Content-Type: application/json; charset=utf-8>",
         tostring(res))
   end)

   it("streams from a Lua reader; content before read raises ResponseNotReadError", function()
      local chunks = { "ab", "cd", "e" }
      local i = 0
      local res = rest.HttpResponse.new{ status_code = 200,
         stream = function() i = i + 1; return chunks[i] end }
      local ok, err = pcall(function() return res.content end)
      assert.is_false(ok)
      assert.equal("ResponseNotReadError", err.type)
      assert.equal("abcde", res:read())
      assert.equal("abcde", res.content)
   end)

   it("iter_bytes over a Lua reader yields its chunks, then StreamConsumedError", function()
      local chunks = { "ab", "cd" }
      local i = 0
      local res = rest.HttpResponse.new{ status_code = 200,
         stream = function() i = i + 1; return chunks[i] end }
      local got = {}
      for c in res:iter_bytes() do got[#got + 1] = c end
      assert.equal("abcd", table.concat(got))
      assert.is_true(res.is_stream_consumed)
      local ok, err = pcall(function() for _ in res:iter_bytes() do end end)
      assert.is_false(ok)
      assert.equal("StreamConsumedError", err.type)
   end)

   it("a failing reader surfaces as an error, not end-of-body", function()
      local res = rest.HttpResponse.new{ status_code = 200,
         stream = function() error("boom") end }
      local body, err = res:read()
      assert.is_nil(body)
      assert.truthy(err:is("AzureError"))
      assert.matches("boom", tostring(err))
   end)

   it("text strips the BOM and honours latin-1", function()
      local res = rest.HttpResponse.new{ status_code = 200, content = "\239\187\191hi" }
      assert.equal("hi", res:text())
      local l1 = rest.HttpResponse.new{ status_code = 200, content = "caf\233",
         headers = { ["Content-Type"] = "text/plain; charset=ISO-8859-1" } }
      assert.equal("café", l1:text())
      assert.equal("", rest.HttpResponse.new{ status_code = 200, content = "" }:text())
   end)

   it("json returns nil, DecodeError for invalid JSON", function()
      local res = rest.HttpResponse.new{ status_code = 200, content = "{nope" }
      local v, err = res:json()
      assert.is_nil(v)
      assert.equal("DecodeError", err.type)
   end)

   it("raise_for_status raises HttpResponseError for >= 400 only", function()
      assert.has_no_error(function()
         rest.HttpResponse.new{ status_code = 399, content = "" }:raise_for_status()
      end)
      local ok, err = pcall(function()
         rest.HttpResponse.new{ status_code = 404, reason = "Not Found", content = "" }:raise_for_status()
      end)
      assert.is_false(ok)
      assert.equal("HttpResponseError", err.type)
      assert.equal(404, err.status_code)
   end)

   it("close is idempotent and a closed unread stream raises StreamClosedError", function()
      local res = rest.HttpResponse.new{ status_code = 200, stream = function() return "x" end }
      res:close()
      res:close()
      assert.is_true(res.is_closed)
      local ok, err = pcall(function() for _ in res:iter_bytes() do end end)
      assert.is_false(ok)
      assert.equal("StreamClosedError", err.type)
   end)
end)

describe("HttpResponse from the transport", function()
   local t
   setup(function() t = transport.CurlTransport.new() end)
   teardown(function() t:close() end)

   it("reads text with charset and BOM from the server", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/text?bom=1&charset=utf-8"))))
      assert.equal("héllo", res:text())
      local l1 = assert(t:send(rest.HttpRequest.new("GET", helper.url("/text?latin1=1&charset=iso-8859-1"))))
      assert.equal("héllo", l1:text())
   end)

   it("json() parses the body", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/json"))))
      assert.same({ hello = "world", n = 1 }, res:json())
      assert.equal(helper.url("/json"), res.url)
   end)

   it("iter_bytes decodes gzip/deflate/br/zstd, iter_raw does not", function()
      for _, enc in ipairs({ "gzip", "deflate", "br", "zstd" }) do
         local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/encoded/" .. enc)),
            { stream = true }))
         local n = tonumber(res.headers["X-Decoded-Length"])
         local parts = {}
         for c in res:iter_bytes(1000) do
            assert.is_true(#c <= 1000)
            parts[#parts + 1] = c
         end
         local body = table.concat(parts)
         assert.equal(n, #body, enc)
         assert.equal(("hello compressed world\n"):rep(1000), body, enc)
         local raw = assert(t:send(rest.HttpRequest.new("GET", helper.url("/encoded/" .. enc)),
            { stream = true }))
         local rparts = {}
         for c in raw:iter_raw() do rparts[#rparts + 1] = c end
         assert.is_true(#table.concat(rparts) < n, enc)
      end
   end)

   it("raw deflate is decoded too, and corrupt encodings give DecodeError", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/encoded/deflate?raw_deflate=1"))))
      assert.equal(("hello compressed world\n"):rep(1000), res.content)
      local bad, err = t:send(rest.HttpRequest.new("GET", helper.url("/encoded/bad")))
      assert.is_nil(bad)
      assert.equal("DecodeError", err.type)
   end)

   it("stream: content before read raises; read() then content works; __close closes", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/bytes/1000")), { stream = true }))
      assert.has_error(function() return res.content end)
      assert.equal(1000, #res:read())
      assert.equal(1000, #res.content)
      res:close()
      assert.is_true(res.is_closed)
   end)

   it("reading a stream twice raises StreamConsumedError", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/bytes/100")), { stream = true }))
      for _ in res:iter_bytes() do end
      local ok, err = pcall(function() for _ in res:iter_bytes() do end end)
      assert.is_false(ok)
      assert.equal("StreamConsumedError", err.type)
      assert.matches("already consumed this stream", err.message, 1, true)
   end)

   it("iter_bytes after close of an unread stream raises StreamClosedError", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/bytes/100000")), { stream = true }))
      res:close()
      local ok, err = pcall(function() for _ in res:iter_bytes() do end end)
      assert.is_false(ok)
      assert.equal("StreamClosedError", err.type)
   end)

   it("raise_for_status on a real 404 carries status and reason", function()
      local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/status/404"))))
      local ok, err = pcall(res.raise_for_status, res)
      assert.is_false(ok)
      assert.equal(404, err.status_code)
      assert.equal("Not Found", err.reason)
   end)
end)
