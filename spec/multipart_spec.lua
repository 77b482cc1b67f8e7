-- multipart/mixed batches (BEHAVIOR §1.1, §1.4): set_multipart_mixed / prepare_multipart_body
-- produce azure-core 1.26.3's exact bytes; parts() splits batch responses (nested changesets
-- included) with azure-core's parsing rules; the batch's SansIO policies run on every
-- sub-request with a fresh context. Round trips against the test server's /multipart routes.
local rest = require("azure.core.rest")
local pipeline = require("azure.core.pipeline")
local policies = require("azure.core.pipeline.policies")
local transport = require("azure.core.pipeline.transport")
local pipeline_client = require("azure.core.pipeline_client")
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")
local helper = require("support.helper")

-- Generated with /usr/bin/python3 (azure-core 1.26.3): azure.core.rest.HttpRequest +
-- set_multipart_mixed(...) + prepare_multipart_body() (the `policies` case through
-- Pipeline._prepare_multipart); the inputs are rebuilt in Lua below, case by case.
local EXPECTED = {
   blob_batch = {
      content_type = "multipart/mixed; boundary=batch_357de4f7-6d0b-4e02-8cd2-6361411a9525",
      body = "--batch_357de4f7-6d0b-4e02-8cd2-6361411a9525\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "DELETE /container0/blob0 HTTP/1.1\r\n"
      .. "x-ms-date: Thu, 14 Jun 2018 16:46:54 GMT\r\n"
      .. "Content-Length: 0\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_357de4f7-6d0b-4e02-8cd2-6361411a9525\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 1\r\n"
      .. "\r\n"
      .. "DELETE /container0/blob1 HTTP/1.1\r\n"
      .. "x-ms-date: Thu, 14 Jun 2018 16:46:54 GMT\r\n"
      .. "Content-Length: 0\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_357de4f7-6d0b-4e02-8cd2-6361411a9525\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 2\r\n"
      .. "\r\n"
      .. "DELETE /container0/blob2 HTTP/1.1\r\n"
      .. "x-ms-date: Thu, 14 Jun 2018 16:46:54 GMT\r\n"
      .. "Content-Length: 0\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_357de4f7-6d0b-4e02-8cd2-6361411a9525--\r\n",
   },
   bodies = {
      content_type = "multipart/mixed; boundary=batch_b",
      body = "--batch_b\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "PUT https://acct.table.core.windows.net/T(1) HTTP/1.1\r\n"
      .. "Content-Length: 22\r\n"
      .. "Accept: application/json\r\n"
      .. "host2: kept\r\n"
      .. "\r\n"
      .. "line1\r\n"
      .. "line2\r\n"
      .. "line3\r\n"
      .. "end\r\n"
      .. "--batch_b\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 1\r\n"
      .. "\r\n"
      .. "POST /empty HTTP/1.1\r\n"
      .. "Content-Length: 0\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_b\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 2\r\n"
      .. "\r\n"
      .. "GET /with-empty-body HTTP/1.1\r\n"
      .. "Content-Length: 0\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_b\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 3\r\n"
      .. "\r\n"
      .. "PATCH /te HTTP/1.1\r\n"
      .. "Transfer-Encoding: chunked\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_b\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 4\r\n"
      .. "\r\n"
      .. "GET / HTTP/1.1\r\n"
      .. "host: lower-case host is kept\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_b--\r\n",
   },
   changeset = {
      content_type = "multipart/mixed; boundary=batch_a1e9d677-b28b-435e-a89e-87e6a768a431",
      body = "--batch_a1e9d677-b28b-435e-a89e-87e6a768a431\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "GET http://x/A HTTP/1.1\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_a1e9d677-b28b-435e-a89e-87e6a768a431\r\n"
      .. "Content-Type: multipart/mixed; "
      .. "boundary=changeset_8a28b620-b4bb-458c-a177-0959fb14c977\r\n"
      .. "\r\n"
      .. "--changeset_8a28b620-b4bb-458c-a177-0959fb14c977\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 1\r\n"
      .. "\r\n"
      .. "PATCH http://x/T(PartitionKey='p',RowKey='1') HTTP/1.1\r\n"
      .. "Content-Length: 7\r\n"
      .. "If-Match: *\r\n"
      .. "Content-Type: application/json\r\n"
      .. "\r\n"
      .. "{\"a\":1}\r\n"
      .. "--changeset_8a28b620-b4bb-458c-a177-0959fb14c977\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 2\r\n"
      .. "\r\n"
      .. "DELETE http://x/T(PartitionKey='p',RowKey='2') HTTP/1.1\r\n"
      .. "If-Match: *\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--changeset_8a28b620-b4bb-458c-a177-0959fb14c977--\r\n"
      .. "\r\n"
      .. "--batch_a1e9d677-b28b-435e-a89e-87e6a768a431\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 3\r\n"
      .. "\r\n"
      .. "GET http://x/B HTTP/1.1\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_a1e9d677-b28b-435e-a89e-87e6a768a431--\r\n",
   },
   empty = {
      content_type = "multipart/mixed; boundary=b",
      body = "--b\r\n"
      .. "\r\n"
      .. "--b--\r\n",
   },
   angle_boundary = {
      content_type = "multipart/mixed; boundary=<abc>",
      body = "--<abc>\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "GET /a HTTP/1.1\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--<abc>--\r\n",
   },
   angle_boundary_unquoted = {
      content_type = "multipart/mixed; boundary=abc",
      body = "--abc\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "GET /a HTTP/1.1\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--abc--\r\n",
   },
   dashes_in_url = {
      content_type = "multipart/mixed; boundary=b",
      body = "--b\r\n"
      .. "Content-Type: multipart/mixed; boundary=cs\r\n"
      .. "\r\n"
      .. "--b HTTP/1.1\r\n"
      .. "Content-Length: 127\r\n"
      .. "Content-Type: multipart/mixed; boundary=cs\r\n"
      .. "\r\n"
      .. "--cs\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "GET http://x/A HTTP/1.1\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--cs--\r\n"
      .. "\r\n"
      .. "--b--\r\n",
   },
   policies = {
      content_type = "multipart/mixed; boundary=batch_h",
      body = "--batch_h\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 0\r\n"
      .. "\r\n"
      .. "GET http://x/1 HTTP/1.1\r\n"
      .. "x-ms-stamp: http://x/1#1\r\n"
      .. "x-opt: outer\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_h\r\n"
      .. "Content-Type: multipart/mixed; boundary=cs_h\r\n"
      .. "\r\n"
      .. "--cs_h\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 1\r\n"
      .. "\r\n"
      .. "DELETE http://x/T(3) HTTP/1.1\r\n"
      .. "x-ms-stamp: http://x/T(3)#1\r\n"
      .. "x-opt: inner\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--cs_h--\r\n"
      .. "\r\n"
      .. "--batch_h\r\n"
      .. "Content-Type: application/http\r\n"
      .. "Content-Transfer-Encoding: binary\r\n"
      .. "Content-ID: 2\r\n"
      .. "\r\n"
      .. "GET http://x/2 HTTP/1.1\r\n"
      .. "x-ms-stamp: http://x/2#1\r\n"
      .. "x-opt: outer\r\n"
      .. "\r\n"
      .. "\r\n"
      .. "--batch_h--\r\n",
   },
}

local function req(method, url, content, headers)
   local r = rest.HttpRequest.new(method, url, content ~= nil and { content = content } or nil)
   for _, h in ipairs(headers or {}) do r.headers[h[1]] = h[2] end
   return r
end

local function prepared(batch)
   assert(batch:prepare_multipart_body())
   return { content_type = batch.headers["Content-Type"], body = batch.content }
end

local function collect(iter)
   local out = {}
   for part in iter do out[#out + 1] = part end
   return out
end

local function batch_response(body, content_type, request)
   return rest.HttpResponse.new{ status_code = 202, request = request, content = body,
      headers = { ["Content-Type"] = content_type or "multipart/mixed; boundary=b" } }
end

describe("set_multipart_mixed serialisation (bytes of azure-core 1.26.3)", function()
   it("a blob batch of three DELETEs", function()
      local subs = {}
      for i = 0, 2 do
         subs[#subs + 1] = req("DELETE", "/container0/blob" .. i, nil,
            { { "x-ms-date", "Thu, 14 Jun 2018 16:46:54 GMT" }, { "Content-Length", "0" } })
      end
      local batch = rest.HttpRequest.new("POST",
         "https://account.blob.core.windows.net/?comp=batch")
      batch:set_multipart_mixed(subs, { boundary = "batch_357de4f7-6d0b-4e02-8cd2-6361411a9525" })
      assert.same(EXPECTED.blob_batch, prepared(batch))
      assert.equal(tostring(#EXPECTED.blob_batch.body), batch.headers["Content-Length"])
   end)

   it("request lines, added Content-Length, dropped Host/Accept-Encoding, CRLF bodies", function()
      local batch = rest.HttpRequest.new("POST", "http://x/$batch")
      batch:set_multipart_mixed({
         req("PUT", "https://acct.table.core.windows.net/T(1)", "line1\nline2\r\nline3\rend",
            { { "Accept", "application/json" }, { "Host", "dropped" }, { "host2", "kept" } }),
         req("POST", "/empty", nil, { { "Accept-Encoding", "gzip" } }),
         req("GET", "/with-empty-body", ""),
         req("PATCH", "/te", nil, { { "Transfer-Encoding", "chunked" } }),
         req("GET", "", nil, { { "host", "lower-case host is kept" } }),
      }, { boundary = "batch_b" })
      assert.same(EXPECTED.bodies, prepared(batch))
   end)

   it("a nested changeset, Content-IDs counting across it", function()
      local cs = rest.HttpRequest.new("POST", "http://x/$batch")
      cs:set_multipart_mixed({
         req("PATCH", "http://x/T(PartitionKey='p',RowKey='1')", '{"a":1}',
            { { "If-Match", "*" }, { "Content-Type", "application/json" } }),
         req("DELETE", "http://x/T(PartitionKey='p',RowKey='2')", nil, { { "If-Match", "*" } }),
      }, { boundary = "changeset_8a28b620-b4bb-458c-a177-0959fb14c977" })
      local batch = rest.HttpRequest.new("POST", "http://x/$batch")
      batch:set_multipart_mixed({ req("GET", "http://x/A"), cs, req("GET", "http://x/B") },
         { boundary = "batch_a1e9d677-b28b-435e-a89e-87e6a768a431" })
      assert.same(EXPECTED.changeset, prepared(batch))
      assert.equal("multipart/mixed; boundary=changeset_8a28b620-b4bb-458c-a177-0959fb14c977",
         cs.headers["Content-Type"])
   end)

   it("no sub-requests", function()
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({}, { boundary = "b" })
      assert.same(EXPECTED.empty, prepared(batch))
   end)

   it("boundaries as email's get_boundary gives them back", function()
      local a = rest.HttpRequest.new("POST", "http://x/")
      a:set_multipart_mixed({ req("GET", "/a") }, { boundary = "<abc>  " })
      assert.same(EXPECTED.angle_boundary, prepared(a))
      local b = rest.HttpRequest.new("POST", "http://x/")
      b:set_multipart_mixed({ req("GET", "/a") }, { boundary = "<abc>" })
      assert.same(EXPECTED.angle_boundary_unquoted, prepared(b))
   end)

   it("keeps a changeset from its first '--' on, even in its URL (azure-core's quirk)", function()
      local cs = rest.HttpRequest.new("POST", "http://x/a--b")
      cs:set_multipart_mixed({ req("GET", "http://x/A") }, { boundary = "cs" })
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({ cs }, { boundary = "b" })
      assert.same(EXPECTED.dashes_in_url, prepared(batch))
   end)

   it("runs the policies' on_request per sub-request, each with its own context", function()
      local Stamp = policies.SansIOHTTPPolicy:extend()
      function Stamp:on_request(preq)
         local n = (preq.context.stamps or 0) + 1
         preq.context.stamps = n
         preq.http_request.headers["x-ms-stamp"] = preq.http_request.url .. "#" .. n
         preq.http_request.headers["x-opt"] = tostring(preq.context.options.tag)
      end
      local cs = rest.HttpRequest.new("POST", "http://x/$batch")
      cs:set_multipart_mixed({ req("DELETE", "http://x/T(3)") },
         { policies = { Stamp.new() }, boundary = "cs_h", tag = "inner" })
      local batch = rest.HttpRequest.new("POST", "http://x/$batch")
      batch:set_multipart_mixed({ req("GET", "http://x/1"), cs, req("GET", "http://x/2") },
         { policies = { Stamp.new() }, boundary = "batch_h", tag = "outer" })
      assert.same(EXPECTED.policies, prepared(batch))
   end)

   it("generates a boundary like email's when none is given", function()
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({ req("GET", "/a") })
      local p = prepared(batch)
      local b = p.content_type:match("^multipart/mixed; boundary=(===============%d+==)$")
      assert.truthy(b)
      assert.equal(15 + 19 + 2, #b)
      assert.equal("--" .. b .. "\r\n", p.body:sub(1, #b + 4))
      assert.equal("\r\n--" .. b .. "--\r\n", p.body:sub(-(#b + 8)))
   end)

   it("returns 0 for a request without parts, the next Content-ID otherwise", function()
      assert.equal(0, rest.HttpRequest.new("GET", "http://x/"):prepare_multipart_body())
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({ req("GET", "/a"), req("GET", "/b") }, { boundary = "b" })
      assert.equal(7, batch:prepare_multipart_body(5))
      assert.truthy(batch.content:find("Content-ID: 5\r\n", 1, true))
      assert.truthy(batch.content:find("Content-ID: 6\r\n", 1, true))
   end)
end)

describe("set_multipart_mixed misuse and failures", function()
   it("raises for bad arguments", function()
      local batch = rest.HttpRequest.new("POST", "http://x/")
      assert.has_error(function() batch:set_multipart_mixed("x") end)
      assert.has_error(function() batch:set_multipart_mixed({ "not a request" }) end)
      assert.has_error(function() batch:set_multipart_mixed({}, "x") end)
      assert.has_error(function() batch:set_multipart_mixed({}, { policies = 1 }) end)
      assert.has_error(function() batch:set_multipart_mixed({}, { policies = { 1 } }) end)
      assert.has_error(function() batch:set_multipart_mixed({}, { boundary = "a\r\nb" }) end)
      assert.has_error(function() batch:set_multipart_mixed({}, { boundary = 'a"b' }) end)
      assert.has_error(function() batch:prepare_multipart_body("x") end)
   end)

   it("raises for an HTTP policy (no on_request) and a batch containing itself", function()
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({ req("GET", "/a") }, { policies = { policies.HTTPPolicy.new() } })
      assert.has_error(function() batch:prepare_multipart_body() end)
      local loop = rest.HttpRequest.new("POST", "http://x/")
      loop:set_multipart_mixed({ loop })
      assert.has_error(function() loop:prepare_multipart_body() end)
   end)

   it("returns nil, err for sub-requests http.client would refuse", function()
      local function fails(sub)
         local batch = rest.HttpRequest.new("POST", "http://x/")
         batch:set_multipart_mixed({ sub })
         local ok, err = batch:prepare_multipart_body()
         assert.is_nil(ok)
         assert.truthy(exceptions.is_error(err, "ValueError"))
         return err
      end
      assert.truthy(fails(req("GET", "/a b")).message:find("control characters", 1, true))
      assert.truthy(fails(req("GE\tT", "/a")).message:find("control characters", 1, true))
      assert.truthy(fails(req("GET", "/caf\195\169")).message:find("ASCII", 1, true))
      assert.truthy(fails(req("GET", "/a", nil, { { ":bad", "x" } })).message
         :find("Invalid header name", 1, true))
      local streamed = rest.HttpRequest.new("PUT", "/s")
      streamed:set_streamed_body(function() return nil end)
      assert.truthy(fails(streamed).message:find("in memory", 1, true))
   end)

   it("returns a policy's error from prepare_multipart_body and from Pipeline:run", function()
      local Boom = policies.SansIOHTTPPolicy:extend()
      function Boom:on_request() error("boom") end
      local batch = rest.HttpRequest.new("POST", helper.url("/multipart/batch"))
      batch:set_multipart_mixed({ req("GET", "/a") }, { policies = { Boom.new() } })
      local ok, err = batch:prepare_multipart_body()
      assert.is_nil(ok)
      assert.truthy(tostring(err):find("boom", 1, true))
      local t = transport.CurlTransport.new()
      local presp, perr = pipeline.Pipeline.new(t, {}):run(batch)
      t:close()
      assert.is_nil(presp)
      assert.truthy(tostring(perr):find("boom", 1, true))
   end)
end)

for _, driver in ipairs({ "native", "lua" }) do
   describe("batches through the test server (" .. driver .. " driver)", function()
      local t
      before_each(function() t = transport.CurlTransport.new() end)
      after_each(function() t:close() end)

      local function run(batch, list)
         local presp = assert(pipeline.Pipeline.new(t, list or {}, { driver = driver }):run(batch))
         return presp.http_response
      end

      it("sends three sub-requests and reads three responses", function()
         local subs = { req("GET", "/status/200"), req("DELETE", "/status/204"),
            req("PUT", "/status/404", "payload", { { "X-Custom", "c" } }) }
         local batch = rest.HttpRequest.new("POST", helper.url("/multipart/batch"))
         batch:set_multipart_mixed(subs)
         local res = run(batch)
         assert.equal(202, res.status_code)
         assert.equal(batch, res.request)
         local parts = collect(res:parts())
         assert.equal(3, #parts)
         assert.same({ 200, 204, 404 }, { parts[1].status_code, parts[2].status_code,
            parts[3].status_code })
         assert.same({ "OK", "No Content", "Not Found" }, { parts[1].reason, parts[2].reason,
            parts[3].reason })
         for i, part in ipairs(parts) do
            assert.equal(subs[i], part.request)
            assert.equal(subs[i].method, part.headers["X-Method"])
            assert.equal(subs[i].url, part.headers["x-url"])
         end
         assert.equal("", parts[2].content) -- 204: no body
         local echo = assert(parts[3]:json())
         assert.same({ method = "PUT", url = "/status/404", body = "payload",
            headers = { ["content-length"] = "7", ["x-custom"] = "c" } }, echo)
         assert.equal("application/json", parts[1].content_type)
         assert.equal("GET", assert(parts[1]:json()).method)
      end)

      it("round-trips a changeset", function()
         local cs = rest.HttpRequest.new("POST", helper.url("/$batch"))
         cs:set_multipart_mixed({ req("PATCH", "/status/201", "{}"), req("DELETE", "/status/204") })
         local subs = { req("GET", "/status/200"), cs, req("GET", "/status/500") }
         local batch = rest.HttpRequest.new("POST", helper.url("/multipart/batch"))
         batch:set_multipart_mixed(subs)
         local parts = collect(run(batch):parts())
         assert.equal(4, #parts)
         assert.same({ 200, 201, 204, 500 }, { parts[1].status_code, parts[2].status_code,
            parts[3].status_code, parts[4].status_code })
         local inner = cs._multipart_mixed.requests
         assert.same({ subs[1], inner[1], inner[2], subs[3] }, { parts[1].request,
            parts[2].request, parts[3].request, parts[4].request })
      end)

      it("applies the policies' on_request (Lua and native) and on_response per part", function()
         local contexts, seen = {}, {}
         local Tag = policies.SansIOHTTPPolicy:extend()
         function Tag:on_request(preq)
            contexts[#contexts + 1] = preq.context
            assert.is_nil(preq.context.mine)
            preq.context.mine = true
            assert.equal("v", preq.context.options.opt)
            preq.context.options.opt = "changed" -- each context has its own options
            preq.http_request.headers["X-Tag"] = "#" .. #contexts
         end
         function Tag:on_response(preq, presp)
            seen[#seen + 1] = presp.http_response.status_code
            assert.equal(preq.http_request, presp.http_response.request)
            assert.is_nil(preq.context.mine)
         end
         local subs = { req("GET", "/status/200"), req("GET", "/status/201"),
            req("GET", "/status/202") }
         local batch = rest.HttpRequest.new("POST", helper.url("/multipart/batch"))
         batch:set_multipart_mixed(subs, { opt = "v", policies = { Tag.new(),
            policies.HeadersPolicy.new({ ["X-Native"] = "n" }) } })
         local parts = collect(run(batch):parts())
         assert.equal(3, #contexts)
         assert.are_not.equal(contexts[1], contexts[2])
         assert.are_not.equal(contexts[2], contexts[3])
         assert.same({ 200, 201, 202 }, seen)
         for i, part in ipairs(parts) do
            local echo = assert(part:json())
            assert.equal("#" .. i, echo.headers["x-tag"])
            assert.equal("n", echo.headers["x-native"])
         end
         -- the batch request itself went through the pipeline untouched by them
         assert.is_nil(batch.headers["X-Tag"])
      end)

      it("goes through PipelineClient.send_request", function()
         local client = pipeline_client.PipelineClient.new(helper.url(""), { transport = t,
            policies = {}, driver = driver })
         local batch = client:post("/multipart/batch")
         batch:set_multipart_mixed({ req("GET", "/status/200"), req("GET", "/status/409") })
         local res = assert(client:send_request(batch))
         local parts = collect(res:parts())
         assert.same({ 200, 409 }, { parts[1].status_code, parts[2].status_code })
      end)

      it("parses a response holding a nested changeset", function()
         local res = run(rest.HttpRequest.new("GET", helper.url("/multipart/changeset")))
         local parts = collect(res:parts())
         assert.equal(4, #parts)
         assert.same({ 200, 201, 204, 404 }, { parts[1].status_code, parts[2].status_code,
            parts[3].status_code, parts[4].status_code })
         assert.equal("first", parts[1].headers["X-Part"])
         assert.same({ value = 1 }, assert(parts[1]:json()))
         assert.equal("https://x/T(1)", parts[2].headers["Location"])
         assert.equal('{"a":1}', parts[2].content)
         assert.equal("third", parts[3].headers["X-Part"])
         assert.equal("", parts[3].content)
         assert.equal("not found", parts[4].content)
         assert.equal("Not Found", parts[4].reason)
         for _, p in ipairs(parts) do assert.is_nil(p.request) end
      end)
   end)
end

describe("parts() on malformed and unusual bodies", function()
   local function parts_of(body, ct, request)
      return collect(batch_response(body, ct, request):parts())
   end
   local function raises(kind, pattern, body, ct)
      local ok, err = pcall(parts_of, body, ct)
      assert.is_false(ok)
      assert.truthy(exceptions.is_error(err, kind), tostring(err))
      assert.truthy(err.message:find(pattern, 1, true), err.message)
      return err
   end
   local OK_PART = "Content-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\nok"

   it("raises ValueError when the response is not multipart/mixed", function()
      raises("ValueError", "You can't get parts if the response is not multipart/mixed", "x",
         "application/json")
      local ok, err = pcall(function()
         return rest.HttpResponse.new{ status_code = 200 }:parts()
      end)
      assert.is_false(ok)
      assert.truthy(exceptions.is_error(err, "ValueError"))
   end)

   it("raises DecodeError for a body that is not multipart", function()
      local err = raises("DecodeError", "no boundary parameter", "--b\r\n", "multipart/mixed")
      assert.equal(202, err.status_code)
      raises("DecodeError", "first boundary line '--b' was not found", "no delimiter at all")
   end)

   it("raises DecodeError naming the part for a bad embedded response", function()
      raises("DecodeError", "part 2: embedded response: bad status line 'garbage'",
         "--b\r\n" .. OK_PART
         .. "\r\n--b\r\nContent-Type: application/http\r\n\r\ngarbage\r\n--b--")
      raises("DecodeError", "incomplete body", "--b\r\nContent-Type: application/http\r\n\r\n"
         .. "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort\r\n--b--")
      raises("DecodeError", "unknown protocol 'HTTP/2'", "--b\r\nContent-Type: application/http"
         .. "\r\n\r\nHTTP/2 200 OK\r\n\r\n\r\n--b--")
      raises("DecodeError", "more than 100 headers", "--b\r\nContent-Type: application/http\r\n\r\n"
         .. "HTTP/1.1 200 OK\r\n" .. ("X: y\r\n"):rep(100) .. "\r\n--b--")
      raises("DecodeError", "bad chunk size", "--b\r\nContent-Type: application/http\r\n\r\n"
         .. "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n--b--")
   end)

   it("raises ValueError for parts other than application/http", function()
      raises("ValueError", "Multipart doesn't support part other than application/http",
         "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--")
      raises("ValueError", "part 1 is text/plain", "--b\r\n\r\nno content type\r\n--b--")
      raises("DecodeError", "malformed changeset",
         "--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\nno delimiter\r\n--b--")
   end)

   it("tolerates LF line ends, preamble, epilogue, padding, no close delimiter", function()
      local body = "preamble\n--b  \t\nContent-Type: application/http\n\nHTTP/1.1 201 Created\n"
         .. "X-A: 1\n\nfirst\n--b\n--b\nContent-Type: Application/HTTP\n\nHTTP/1.0 202 Accepted"
         .. "\r\n\r\nsecond\r\n--b--  \r\nepilogue\r\n--b\r\nnot a part"
      local parts = parts_of(body, 'multipart/mixed; charset=x; Boundary="b"')
      assert.equal(2, #parts)
      assert.same({ 201, "Created", "1", "first" }, { parts[1].status_code, parts[1].reason,
         parts[1].headers["x-a"], parts[1].content })
      assert.same({ 202, "second" }, { parts[2].status_code, parts[2].content })
      local open = parts_of("--b\r\n" .. OK_PART .. "\r\n--b\r\n" .. OK_PART .. "\r\n")
      assert.equal(2, #open)
      assert.equal("ok", open[2].content) -- the last part runs to the end (its line end dropped)
   end)

   it("decodes base64 and quoted-printable parts, chunked and HEAD responses", function()
      -- "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nhi"
      local b64 = "SFRUUC8xLjEgMjAwIE9LDQpYLUE6IDENCg0KaGk="
      local head = rest.HttpRequest.new("HEAD", "/h")
      local batch = rest.HttpRequest.new("POST", "http://x/")
      batch:set_multipart_mixed({ req("GET", "/1"), req("GET", "/2"), req("GET", "/3"), head })
      local parts = parts_of(table.concat({
         "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: base64\r\n\r\n",
         b64, "\r\n--b\r\nContent-Type: application/http\r\n",
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
         "HTTP/1.1 200 OK\r\n\r\nl=C3=A9=\r\nger\r\n--b\r\nContent-Type: application/http\r\n\r\n",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
         "\r\n--b\r\nContent-Type: application/http\r\n\r\n",
         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\r\n--b--\r\n" }), nil, batch)
      assert.same({ "1", "hi" }, { parts[1].headers["X-A"], parts[1].content })
      assert.equal("l\195\169ger", parts[2].content)
      assert.equal("abc", parts[3].content)
      assert.equal(head, parts[4].request)
      assert.equal("", parts[4].content) -- HEAD: no body, whatever Content-Length says
   end)

   it("keeps the last of repeated response headers, unfolds folded ones", function()
      local parts = parts_of("--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n"
         .. "X-Dup: 1\r\nx-dup: 2\r\nX-Fold: a\r\n  b\r\n\r\n\r\n--b--")
      assert.equal("2", parts[1].headers["X-Dup"])
      assert.equal("a  b", parts[1].headers["X-Fold"])
   end)

   it("skips interim 100 Continue responses", function()
      local parts = parts_of("--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 100 Continue"
         .. "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n--b--")
      assert.same({ 200, "ok" }, { parts[1].status_code, parts[1].content })
   end)

   it("raises (for the for loop) a DecodeError whose response is the batch response", function()
      local res = batch_response("junk")
      local ok, err = pcall(function() for _ in res:parts() do end end)
      assert.is_false(ok)
      assert.equal(res, err.response)
   end)
end)
