-- ContentDecodePolicy (BEHAVIOR §4.5) rule by rule against the test server (/content, /xml,
-- /text), through both drivers: send_request (on the native driver: the C-only fast path, which
-- only decides), and send_request with _return_pipeline_response (the context is returned, so
-- the value is built). Then the class functions and the hooks called directly.
local core = require("azure.core")
local rest = require("azure.core.rest")
local json = require("azure.core.json")
local policies = require("azure.core.pipeline.policies")
local pipeline = require("azure.core.pipeline")
local exceptions = require("azure.core.exceptions")
local helper = require("support.helper")

local CDP = policies.ContentDecodePolicy

local function enc(s)
   return (s:gsub("[^%w%-_.~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- /content?type=...&body=... (type nil: no Content-Type header)
local function content(ctype, body, extra)
   local q = {}
   if ctype then q[#q + 1] = "type=" .. enc(ctype) end
   q[#q + 1] = "body=" .. enc(body or "")
   if extra then q[#q + 1] = extra end
   return "/content?" .. table.concat(q, "&")
end

-- JSON cases: every mime type that matches azure-core's regex, and some that do not.
local JSON_TYPES = { "application/json", "text/json", "application/merge-patch+json",
   "application/ld+json", "application/vnd.microsoft.appconfig.kv+json",
   "text/vnd.microsoft.appconfig.kv.v1+json", "Application/JSON; charset=utf-8",
   "  application/json  ;odata=minimalmetadata", "application/a.b-c+d+json" }
local NOT_JSON_OTHER = { "application/+json", "application/not-json", "application/iamjson",
   "fake/json", "image/png", "application/octet-stream" }

for _, driver in ipairs({ "native", "lua" }) do
   describe("ContentDecodePolicy (" .. driver .. " driver)", function()
      local client
      before_each(function()
         client = core.PipelineClient.new(helper.url(""), { driver = driver,
            policies = { CDP.new(), policies.RetryPolicy.new{ retry_total = 0 } } })
      end)
      after_each(function() client:close() end)

      -- the value built into the context (Pipeline:run path), or nil, err
      local function decoded(path, opts)
         local o = { _return_pipeline_response = true }
         for k, v in pairs(opts or {}) do o[k] = v end
         local presp, err = client:send_request(rest.HttpRequest.new("GET", helper.url(path)), o)
         if not presp then return nil, err end
         return presp.context.deserialized_data, nil, presp
      end
      -- the plain send_request outcome (native: the fast path)
      local function sent(path, opts)
         return client:send_request(rest.HttpRequest.new("GET", helper.url(path)), opts)
      end

      for _, ct in ipairs(JSON_TYPES) do
         it("decodes JSON for " .. ct, function()
            local v = assert(decoded(content(ct, '{"a":[1,2,null],"b":"é"}')))
            assert.same({ 1, 2, json.NULL }, v.a)
            assert.equal("é", v.b)
            assert.equal(200, assert(sent(content(ct, '{"a":1}'))).status_code)
         end)
      end

      for _, ct in ipairs(NOT_JSON_OTHER) do
         it("refuses " .. ct .. " with DecodeError (no response attached)", function()
            for _, f in ipairs({ decoded, sent }) do
               local v, err = f(content(ct, '{"a":1}'))
               assert.is_nil(v)
               assert.equal("DecodeError", err.type)
               assert.equal("Cannot deserialize content-type: " .. ct, err.message)
               assert.is_nil(err.response)
            end
         end)
      end

      it("treats a missing Content-Type as application/json", function()
         assert.same({ x = true }, assert(decoded(content(nil, '{"x":true}'))))
         local _, err = sent(content(nil, "hello"))
         assert.equal("DecodeError", err.type)
         assert.equal("JSON is invalid: Expecting value: line 1 column 1 (char 0)", err.message)
      end)

      it("treats an empty Content-Type as application/json", function()
         assert.equal(3, assert(decoded(content("", "3"))))
      end)

      it("fails invalid JSON with json.loads' message, carrying the response", function()
         for _, f in ipairs({ decoded, sent }) do
            local v, err = f(content("application/json", '{"a" 1}'))
            assert.is_nil(v)
            assert.equal("DecodeError", err.type)
            assert.is_true(err:is(exceptions.HttpResponseError))
            assert.equal("JSON is invalid: Expecting ':' delimiter: line 1 column 6 (char 5)",
               err.message)
            assert.equal(200, err.status_code)
            assert.equal('{"a" 1}', err.response.content)
            assert.truthy(tostring(err):find('Content: {"a" 1}', 1, true))
         end
      end)

      it("reports positions in characters and lines as json.loads does", function()
         local _, err = sent(content("application/json", '{"é":\n  [1,\n   x]}'))
         assert.equal("JSON is invalid: Expecting value: line 3 column 4 (char 15)", err.message)
      end)

      it("accepts NaN and Infinity and refuses what json.loads refuses", function()
         local v = assert(decoded(content("application/json", "[NaN, -Infinity]")))
         assert.is_true(v[1] ~= v[1])
         assert.equal(-math.huge, v[2])
         for body, msg in pairs({ ["01"] = "Extra data: line 1 column 2 (char 1)",
            ['"a\tb"'] = "Invalid control character at: line 1 column 3 (char 2)",
            ["[1,]"] = "Expecting value: line 1 column 4 (char 3)",
            ['{"a":1,}'] = "Expecting property name enclosed in double quotes: line 1 column 8 "
               .. "(char 7)" }) do
            local _, err = sent(content("application/json", body))
            assert.equal("JSON is invalid: " .. msg, err.message)
         end
      end)

      it("strips a UTF-8 BOM before decoding", function()
         assert.same({ a = 1 }, assert(decoded(content("application/json", '{"a":1}', "bom=1"))))
         assert.equal(200, assert(sent(content("application/json", '{"a":1}', "bom=1")))
            .status_code)
      end)

      it("gives nil for an empty body, whatever the type", function()
         for _, ct in ipairs({ "application/json", "image/png", "application/xml" }) do
            local v, err, presp = decoded(content(ct, ""))
            assert.is_nil(v)
            assert.is_nil(err)
            assert.equal(200, presp.http_response.status_code)
            assert.equal(200, assert(sent(content(ct, ""))).status_code)
         end
         -- a body that is only a BOM is empty text
         assert.equal(200, assert(sent(content("image/png", "", "bom=1"))).status_code)
      end)

      it("gives the text for text/* types", function()
         assert.equal("<b>hi</b>", assert(decoded(content("text/html", "<b>hi</b>"))))
         assert.equal("héllo", assert(decoded("/text")))
         assert.equal("héllo", assert(decoded("/text?bom=1&charset=utf-8")))
      end)

      it("decodes text with its charset (ISO-8859-1 to UTF-8)", function()
         assert.equal("héllo", assert(decoded("/text?latin1=1&charset=iso-8859-1")))
         assert.equal(200, assert(sent("/text?latin1=1&charset=iso-8859-1")).status_code)
      end)

      it("builds an element tree for XML", function()
         local root = assert(decoded("/xml"))
         assert.equal("EnumerationResults", root.tag)
         assert.equal("https://a/", root.attributes.ServiceEndpoint)
         local containers = root.children[1]
         assert.equal("Containers", containers.tag)
         assert.equal(2, #containers.children)
         assert.equal("c2", containers.children[2].children[1].text)
         assert.equal("NextMarker", root.children[2].tag)
         assert.is_nil(root.children[2].text)
         assert.equal(200, assert(sent("/xml")).status_code)
      end)

      it("keeps text and tail, and writes namespaced names as {uri}name", function()
         local root = assert(decoded(content("text/xml; charset=utf-8",
            '<r xmlns="urn:a" xmlns:p="urn:p" p:k="v">one<c>two</c>three<p:d/></r>')))
         assert.equal("{urn:a}r", root.tag)
         assert.equal("v", root.attributes["{urn:p}k"])
         assert.equal("one", root.text)
         assert.equal("two", root.children[1].text)
         assert.equal("three", root.children[1].tail)
         assert.equal("{urn:p}d", root.children[2].tag)
      end)

      it("falls back to JSON for an XML type, else fails with ElementTree's message", function()
         assert.same({ a = 1 }, assert(decoded(content("application/xml", '{"a":1}'))))
         for _, f in ipairs({ decoded, sent }) do
            local v, err = f(content("application/atom+xml", "<a><b></a>"))
            assert.is_nil(v)
            assert.equal("DecodeError", err.type)
            assert.equal("XML is invalid, ParseError: mismatched tag: line 1, column 8",
               err.message)
            assert.equal("<a><b></a>", err.response.content)
         end
      end)

      it("decodes whatever the status", function()
         local _, err = sent(content("application/json", "{", "status=500"))
         assert.equal("DecodeError", err.type)
         assert.equal(500, err.status_code)
         assert.same({ e = 1 }, assert(decoded(content("application/json", '{"e":1}',
            "status=404"))))
      end)

      it("does nothing for a streamed call", function()
         local v, err, presp = decoded(content("application/json", "{bad"), { stream = true })
         assert.is_nil(v)
         assert.is_nil(err)
         assert.equal("{bad", assert(presp.http_response:read()))
         local res = assert(sent(content("image/png", "x"), { stream = true }))
         assert.equal("x", assert(res:read()))
      end)

      it("does nothing when the call does not say stream = false (Pipeline:run)", function()
         local p = pipeline.Pipeline.new(require("azure.core.pipeline.transport").CurlTransport
            .new(), { CDP.new() }, { driver = driver })
         local presp = assert(p:run(rest.HttpRequest.new("GET",
            helper.url(content("application/json", "{bad")))))
         assert.is_nil(presp.context.deserialized_data)
         presp = assert(p:run(rest.HttpRequest.new("GET",
            helper.url(content("application/json", "[7]"))), { stream = false }))
         assert.same({ 7 }, presp.context.deserialized_data)
         p:close()
      end)

      it("uses response_encoding (per call, else the policy's) and keeps it in the context",
         function()
            local latin = "/text?latin1=1" -- text/plain without charset, body in ISO-8859-1
            local v, _, presp = decoded(latin, { response_encoding = "latin-1" })
            assert.equal("héllo", v)
            assert.equal("latin-1", presp.context.response_encoding)
            assert.equal("h\233llo", assert(decoded(latin))) -- no encoding: bytes as they came
            local c2 = core.PipelineClient.new(helper.url(""), { driver = driver,
               policies = { CDP.new{ response_encoding = "iso-8859-1" } } })
            local req = rest.HttpRequest.new("GET", helper.url(latin))
            local pr = assert(c2:send_request(req, { _return_pipeline_response = true }))
            assert.equal("héllo", pr.context.deserialized_data)
            -- false is azure-core's explicit None: it replaces the policy's encoding
            pr = assert(c2:send_request(rest.HttpRequest.new("GET", helper.url(latin)),
               { _return_pipeline_response = true, response_encoding = false }))
            assert.equal("h\233llo", pr.context.deserialized_data)
            assert.is_nil(pr.context.response_encoding)
            assert.equal(200, assert(c2:send_request(rest.HttpRequest.new("GET",
               helper.url(latin)))).status_code)
            c2:close()
         end)

      it("an unknown response_encoding fails the call", function()
         local _, err = sent("/text", { response_encoding = "klingon" })
         assert.is_not_nil(err)
         assert.truthy(tostring(err):find("klingon", 1, true))
      end)

      it("Lua policies above it see the value, even through plain send_request", function()
         local seen = {}
         local S = policies.SansIOHTTPPolicy:extend()
         function S:on_response(_, presp) seen.sansio = presp.context.deserialized_data end
         local H = policies.HTTPPolicy:extend()
         function H:send(preq)
            local presp, err = self.next:send(preq)
            if presp then seen.http = presp.context.deserialized_data end
            return presp, err
         end
         local c = core.PipelineClient.new(helper.url(""), { driver = driver,
            policies = { S.new(), H.new(), CDP.new() } })
         assert(c:send_request(rest.HttpRequest.new("GET",
            helper.url(content("application/json", '{"seen":1}')))))
         assert.same({ seen = 1 }, seen.sansio)
         assert.same({ seen = 1 }, seen.http)
         c:close()
      end)

      it("the response of a DecodeError on the fast path is the one the transport read",
         function()
            local _, err = sent(content("application/json", "[1,", "header=X-Mark:abc"))
            assert.equal("abc", err.response.headers["X-Mark"])
            assert.equal("GET", err.response.request.method)
         end)
   end)
end

describe("ContentDecodePolicy class functions", function()
   it("matches azure-core's JSON regex cases", function()
      for _, m in ipairs({ "application/json", "text/json", "application/merge-patch+json",
         "application/ld+json", "application/vnd.microsoft.appconfig.kv+json",
         "text/vnd.microsoft.appconfig.kv.v1+json" }) do
         assert.same({ 1 }, CDP.deserialize_from_text("[1]", m))
      end
      for _, m in ipairs({ "application/+json", "application/not-json", "application/iamjson",
         "fake/json" }) do
         local v, err = CDP.deserialize_from_text("[1]", m)
         assert.is_nil(v)
         assert.equal("Cannot deserialize content-type: " .. m, err.message)
      end
      assert.equal("[1]", CDP.deserialize_from_text("[1]", "text/plain"))
   end)

   it("deserialize_from_text: nil/empty give nil, no mime gives the text, BOM dropped", function()
      assert.is_nil(CDP.deserialize_from_text(nil, "application/json"))
      assert.is_nil(CDP.deserialize_from_text("", "application/json"))
      assert.equal("abc", CDP.deserialize_from_text("abc"))
      assert.same({ a = 1 }, CDP.deserialize_from_text('\239\187\191{"a":1}', "application/json"))
   end)

   it("deserialize_from_http_generics reads the body and defaults to JSON", function()
      local res = rest.HttpResponse.new{ status_code = 200, content = '{"k":"v"}' }
      assert.same({ k = "v" }, CDP.deserialize_from_http_generics(res))
      res = rest.HttpResponse.new{ status_code = 200, headers = { ["Content-Type"] = "text/plain" },
         content = "h\233" }
      assert.equal("hé", CDP.deserialize_from_http_generics(res, "latin-1"))
   end)

   it("parse_xml returns ElementTree's error message", function()
      local root, err = CDP.parse_xml("<a>x</a>junk")
      assert.is_nil(root)
      assert.equal("junk after document element: line 1, column 8", err)
   end)

   it("exposes response_encoding and its hooks for direct calls", function()
      local p = CDP.new("utf-8")
      assert.equal("utf-8", p.response_encoding)
      assert.is_nil(CDP.new().response_encoding)
      local context = require("azure.core.pipeline.context")
      local ctx = context.new(nil, { response_encoding = "latin-1", stream = false })
      local req = rest.HttpRequest.new("GET", "http://x/")
      local preq = context.PipelineRequest(req, ctx)
      p:on_request(preq)
      assert.equal("latin-1", ctx.response_encoding)
      assert.is_nil(ctx.options.response_encoding)
      local res = rest.HttpResponse.new{ request = req, status_code = 200,
         headers = { ["Content-Type"] = "text/plain" }, content = "h\233" }
      p:on_response(preq, context.PipelineResponse(req, res, ctx))
      assert.equal("hé", ctx.deserialized_data)
      assert.equal("deserialized_data", CDP.CONTEXT_NAME)
   end)

   it("checks its constructor argument", function()
      assert.has_error(function() CDP.new(42) end)
      assert.has_error(function() CDP.new{ response_encoding = 42 } end)
   end)
end)
