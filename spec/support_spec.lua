-- Checks the test servers themselves (spec/support/): every route of server.lua over raw
-- luasocket, and the nginx and tinyproxy endpoints through the curl CLI.

local socket = require("socket")
local cjson = require("cjson")
local helper = require("support.helper")

local function url(path)
   return helper.url(path)
end

---------------------------------------------------------------------------------------------------
-- A minimal raw HTTP/1.1 client
---------------------------------------------------------------------------------------------------

local function connect(port, timeout)
   local c = assert(socket.tcp4())
   c:settimeout(timeout or 5)
   assert(c:connect("127.0.0.1", port or helper.port()))
   return c
end

--- Reads one response; returns {status, reason, headers (lowercase, joined), list, body} or
-- nil, err, partial_response.
local function read_response(c, method)
   local line, err = c:receive("*l")
   if not line then
      return nil, err
   end
   local res = { status_line = line, headers = {}, list = {} }
   local status, reason = line:match("^HTTP/1%.%d (%d%d%d) ?(.*)$")
   res.status, res.reason = tonumber(status), reason
   while true do
      local h, herr = c:receive("*l")
      if not h then
         return nil, herr, res
      end
      if h == "" then
         break
      end
      local name, value = h:match("^([^:]+):%s*(.*)$")
      name = name:lower()
      res.list[#res.list + 1] = { name, value }
      res.headers[name] = res.headers[name] and (res.headers[name] .. ", " .. value) or value
   end
   if not res.status or res.status < 200 or res.status == 204 or res.status == 304
      or method == "HEAD" then
      res.body = ""
      return res
   end
   if (res.headers["transfer-encoding"] or ""):find("chunked") then
      local parts = {}
      while true do
         local size_line, serr = c:receive("*l")
         if not size_line then
            return nil, serr, res
         end
         local size = tonumber(size_line, 16)
         if size == 0 then
            c:receive("*l")
            break
         end
         local data, derr = c:receive(size)
         if not data then
            return nil, derr, res
         end
         parts[#parts + 1] = data
         c:receive("*l")
      end
      res.body = table.concat(parts)
   elseif res.headers["content-length"] == "0" then
      res.body = "" -- receive(0) would wait for data
   elseif res.headers["content-length"] then
      local data, derr, partial = c:receive(tonumber(res.headers["content-length"]))
      if not data then
         res.body = partial
         return nil, derr, res
      end
      res.body = data
   else
      res.body = c:receive("*a")
   end
   return res
end

local function send_request(c, method, target, headers, body)
   local lines = { method .. " " .. target .. " HTTP/1.1", "Host: 127.0.0.1" }
   for _, h in ipairs(headers or {}) do
      lines[#lines + 1] = h
   end
   if body then
      lines[#lines + 1] = "Content-Length: " .. #body
   end
   assert(c:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")))
end

--- One request on a fresh connection (closed afterwards).
local function request(method, target, headers, body)
   local c = connect()
   send_request(c, method, target, headers, body)
   local res, err, partial = read_response(c, method)
   c:close()
   return res, err, partial
end

local function get(target, headers)
   return assert(request("GET", target, headers))
end

local function pattern(n)
   local t = {}
   for i = 0, n - 1 do
      t[#t + 1] = string.char(i % 251)
   end
   return table.concat(t)
end

---------------------------------------------------------------------------------------------------
-- curl CLI
---------------------------------------------------------------------------------------------------

local function q(s)
   return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Runs curl with the given (already quoted) arguments; returns stdout and curl's exit code.
local function curl(args)
   local p = assert(io.popen("curl -sS --max-time 10 " .. args .. " 2>/dev/null"))
   local out = p:read("*a")
   local _, _, code = p:close()
   return out, code
end

---------------------------------------------------------------------------------------------------

describe("test servers", function()
   setup(function()
      helper.env("TEST_SERVER_URL")
   end)

   it("export every variable and run every pid", function()
      for _, name in ipairs({ "TEST_SERVER_URL", "TEST_BLACKHOLE_PORT", "TEST_TLS_URL",
         "TEST_MTLS_URL", "TEST_H2_URL", "TEST_CA", "TEST_CA_OTHER", "TEST_CLIENT_CERT",
         "TEST_CLIENT_KEY", "TEST_CLIENT_COMBINED", "TEST_PROXY_URL", "TEST_AUTH_PROXY_URL",
         "TEST_PIDS" }) do
         assert.is_string(helper.env(name), name)
      end
      assert.matches("^http://127%.0%.0%.1:%d+$", helper.env("TEST_SERVER_URL"))
      assert.matches("^https://localhost:%d+$", helper.env("TEST_TLS_URL"))
      local pids = 0
      for pid in helper.env("TEST_PIDS"):gmatch("%d+") do
         assert.is_truthy(io.open("/proc/" .. pid .. "/stat"), pid)
         pids = pids + 1
      end
      assert.equal(4, pids)
      for _, name in ipairs({ "TEST_CA", "TEST_CA_OTHER", "TEST_CLIENT_CERT", "TEST_CLIENT_KEY",
         "TEST_CLIENT_COMBINED" }) do
         local f = assert(io.open(helper.env(name)))
         assert.matches("%-%-%-%-%-BEGIN", f:read("*a"))
         f:close()
      end
      assert.equal(helper.env("TEST_SERVER_URL") .. "/x", url("/x"))
   end)

   describe("server.lua", function()
      it("/status/<code> with reason, extra headers and body", function()
         local res = get("/status/418?header=X-A:1&header=X-B:%20two")
         assert.equal(418, res.status)
         assert.equal("I'm a teapot", res.reason)
         assert.equal("1", res.headers["x-a"])
         assert.equal("two", res.headers["x-b"])
         assert.equal("status 418", res.body)
         res = get("/status/503?reason=Busy%20now")
         assert.equal("Busy now", res.reason)
         res = get("/status/204")
         assert.equal(204, res.status)
         assert.is_nil(res.headers["content-length"])
         res = get("/status/500")
         assert.equal("Internal Server Error", res.reason)
      end)

      it("/echo reports method, target, headers and body", function()
         local res = assert(request("PUT", "/echo/?a=1&b=%20", { "X-Rep: 1", "X-Rep: 2" },
            "hello\0world"))
         assert.equal(404, res.status) -- /echo/ is not /echo
         res = assert(request("PUT", "/echo?a=1&b=%20", { "X-Rep: 1", "X-Rep: 2" },
            "hello\0world"))
         assert.equal(200, res.status)
         assert.equal("application/json", res.headers["content-type"])
         local v = cjson.decode(res.body)
         assert.equal("PUT", v.method)
         assert.equal("/echo?a=1&b=%20", v.target)
         assert.equal("/echo", v.path)
         assert.equal("a=1&b=%20", v.query)
         assert.equal("1, 2", v.headers["x-rep"])
         assert.equal("hello\0world", v.body)
         assert.equal(11, v.body_length)
         res = get("/echo?status=201")
         assert.equal(201, res.status)
         v = cjson.decode(res.body)
         assert.equal("status=201", v.query)
         assert.equal("", v.body)
         assert.equal(0, v.body_length)
      end)

      it("/echo reads a chunked body, with 100-continue and trailers", function()
         local c = connect()
         assert(c:send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            .. "Expect: 100-continue\r\n\r\n"))
         assert.equal("HTTP/1.1 100 Continue", c:receive("*l"))
         assert.equal("", c:receive("*l"))
         assert(c:send("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"))
         local res = assert(read_response(c))
         c:close()
         local v = cjson.decode(res.body)
         assert.equal("hello world", v.body)
         assert.equal(11, v.body_length)
         assert.equal("t", v.trailers["x-trailer"])
      end)

      it("/echo?discard=1 counts the body without keeping it", function()
         local body = pattern(300000)
         local res = assert(request("POST", "/echo?discard=1", nil, body))
         local v = cjson.decode(res.body)
         assert.is_nil(v.body)
         assert.equal(300000, v.body_length)
         local zlib = require("zlib")
         assert.equal(math.tointeger(zlib.crc32()(body)), v.body_crc32)
      end)

      it("/json", function()
         local res = get("/json")
         assert.equal("application/json", res.headers["content-type"])
         assert.same({ hello = "world", n = 1 }, cjson.decode(res.body))
      end)

      it("/text with charset, BOM and latin-1", function()
         local res = get("/text")
         assert.equal("text/plain", res.headers["content-type"])
         assert.equal("héllo", res.body)
         res = get("/text?body=caf%C3%A9&charset=iso-8859-1&latin1=1")
         assert.equal("text/plain; charset=iso-8859-1", res.headers["content-type"])
         assert.equal("caf\233", res.body)
         res = get("/text?bom=1&charset=utf-8")
         assert.equal("\239\187\191héllo", res.body)
      end)

      it("/bytes/<n> with Content-Length and chunked", function()
         local res = get("/bytes/70000")
         assert.equal("70000", res.headers["content-length"])
         assert.equal(pattern(70000), res.body)
         res = get("/bytes/140000?chunked=1")
         assert.equal("chunked", res.headers["transfer-encoding"])
         assert.equal(pattern(140000), res.body)
         res = get("/bytes/0")
         assert.equal("", res.body)
      end)

      it("/bytes streams 256 MiB quickly", function()
         local n = 256 * 1024 * 1024
         local t0 = socket.gettime()
         local out, code = curl("-o /dev/null -w '%{size_download}' " .. q(url("/bytes/" .. n)))
         assert.equal(0, code)
         assert.equal(tostring(n), out)
         out, code = curl("-o /dev/null -w '%{size_download}' "
            .. q(url("/bytes/" .. n .. "?chunked=1")))
         assert.equal(0, code)
         assert.equal(tostring(n), out)
         assert.is_true(socket.gettime() - t0 < 10)
      end)

      it("/encoded/<enc> for gzip, deflate, raw deflate, br and zstd", function()
         local text = ("hello compressed world\n"):rep(1000)
         local zlib = require("zlib")
         for _, enc in ipairs({ "gzip", "deflate", "br", "zstd" }) do
            local res = get("/encoded/" .. enc)
            assert.equal(enc, res.headers["content-encoding"])
            assert.equal("23000", res.headers["x-decoded-length"])
            assert.is_true(#res.body < 1000, enc)
            local out, code = curl("--compressed " .. q(url("/encoded/" .. enc)))
            assert.equal(0, code, enc)
            assert.equal(text, out, enc)
         end
         assert.equal(text, zlib.inflate()(get("/encoded/gzip").body))
         assert.equal(text, zlib.inflate()(get("/encoded/deflate").body))
         local raw = get("/encoded/deflate?raw_deflate=1")
         assert.equal("deflate", raw.headers["content-encoding"])
         assert.equal(text, zlib.inflate(-15)(raw.body))
         local bad = get("/encoded/bad")
         assert.equal("gzip", bad.headers["content-encoding"])
         local _, code = curl("--compressed " .. q(url("/encoded/bad")))
         assert.equal(61, code) -- CURLE_BAD_CONTENT_ENCODING
      end)

      it("/sequence/<key> answers the statuses in turn", function()
         local key = "seq" .. math.random(1e9)
         local target = "/sequence/" .. key
            .. "?statuses=503,429,200&retry_after=2&header=x-ms-retry-after-ms:10"
         local res = get(target)
         assert.equal(503, res.status)
         assert.equal("2", res.headers["retry-after"])
         assert.equal("10", res.headers["x-ms-retry-after-ms"])
         assert.same({ attempt = 1, status = 503 }, cjson.decode(res.body))
         assert.equal(429, get(target).status)
         res = get(target)
         assert.equal(200, res.status)
         assert.is_nil(res.headers["retry-after"])
         assert.same({ attempt = 3, status = 200 }, cjson.decode(res.body))
         assert.equal(200, get(target).status)
         assert.same({ count = 4 }, cjson.decode(get("/sequence/" .. key .. "/count").body))
         get("/sequence/" .. key .. "/reset")
         assert.same({ count = 0 }, cjson.decode(get("/sequence/" .. key .. "/count").body))
         assert.equal(503, get(target).status)
      end)

      it("/redirect/<code>", function()
         local res = get("/redirect/307?to=%2Fjson%3Fa%3D1")
         assert.equal(307, res.status)
         assert.equal("/json?a=1", res.headers["location"])
         res = get("/redirect/302")
         assert.equal(302, res.status)
         assert.equal("/echo", res.headers["location"])
      end)

      it("/cookies/set and /cookies", function()
         local res = get("/cookies/set?a=1&b=two")
         local set = {}
         for _, h in ipairs(res.list) do
            if h[1] == "set-cookie" then
               set[#set + 1] = h[2]
            end
         end
         assert.same({ "a=1; Path=/", "b=two; Path=/" }, set)
         res = get("/cookies", { "Cookie: a=1; b=two" })
         assert.same({ a = "1", b = "two" }, cjson.decode(res.body))
         assert.same({}, cjson.decode(get("/cookies").body))
      end)

      it("/drip sends headers at once, then a byte per delay", function()
         local c = connect()
         local t0 = socket.gettime()
         send_request(c, "GET", "/drip?bytes=3&delay_ms=60")
         assert.equal("HTTP/1.1 200 OK", c:receive("*l"))
         repeat
            local line = assert(c:receive("*l"))
         until line == ""
         assert.is_true(socket.gettime() - t0 < 0.05)
         assert.equal("***", c:receive(3))
         c:close()
         assert.is_true(socket.gettime() - t0 >= 0.17)
         local body = get("/drip?bytes=2&delay_ms=1").body
         assert.equal("**", body)
      end)

      it("/delay/<ms>", function()
         local t0 = socket.gettime()
         local res = get("/delay/120")
         assert.is_true(socket.gettime() - t0 >= 0.12)
         assert.equal("delayed", res.body)
      end)

      it("/auth/basic", function()
         local res = get("/auth/basic")
         assert.equal(401, res.status)
         assert.equal('Basic realm="x"', res.headers["www-authenticate"])
         res = get("/auth/basic", { "Authorization: Basic dXNlcjpwYXNz" })
         assert.equal(200, res.status)
         assert.equal(401, get("/auth/basic", { "Authorization: Basic dXNlcjpwYXN4" }).status)
      end)

      it("/fault/reset resets the connection mid-body", function()
         local res, err, partial = request("GET", "/fault/reset")
         assert.is_nil(res)
         -- luasocket reports a reset on recv as "closed" or "connection reset by peer".
         assert.is_truthy(err == "closed" or err == "connection reset by peer", err)
         assert.equal("100000", partial.headers["content-length"])
         assert.equal(pattern(1000), partial.body)
         local out, code = curl("-o /dev/null -w '%{size_download}' " .. q(url("/fault/reset")))
         assert.equal(56, code) -- CURLE_RECV_ERROR: connection reset by peer
         assert.equal("1000", out)
      end)

      it("/fault/truncated closes after 10 of 100 bytes", function()
         local res, err, partial = request("GET", "/fault/truncated")
         assert.is_nil(res)
         assert.equal("closed", err)
         assert.equal(pattern(10), partial.body)
      end)

      it("/fault/malformed sends a bad status line", function()
         local res = assert(request("GET", "/fault/malformed"))
         assert.equal("HTTP/1.1 abc garbage", res.status_line)
         assert.is_nil(res.status)
      end)

      it("/fault/hang never answers", function()
         local c = connect(nil, 0.2)
         send_request(c, "GET", "/fault/hang")
         local line, err = c:receive("*l")
         assert.is_nil(line)
         assert.equal("timeout", err)
         c:close()
      end)

      it("/fault/close closes without answering", function()
         local res, err = request("GET", "/fault/close")
         assert.is_nil(res)
         assert.equal("closed", err)
      end)

      it("/large-headers", function()
         local res = get("/large-headers?n=100")
         assert.equal("value-1", res.headers["x-h-1"])
         assert.equal("value-100", res.headers["x-h-100"])
         assert.equal(102, #res.list) -- with Content-Type and Content-Length
      end)

      it("404 for an unknown path; HEAD has no body", function()
         assert.equal(404, get("/nope").status)
         local res = assert(request("HEAD", "/json"))
         assert.equal("23", res.headers["content-length"])
         assert.equal("", res.body)
      end)

      it("keeps connections alive and honours Connection: close", function()
         local c = connect()
         for i = 1, 3 do
            send_request(c, "POST", "/echo", nil, "body" .. i)
            local res = assert(read_response(c))
            assert.equal("body" .. i, cjson.decode(res.body).body)
         end
         -- Pipelined.
         assert(c:send("GET /json HTTP/1.1\r\nHost: x\r\n\r\n"
            .. "GET /text HTTP/1.1\r\nHost: x\r\n\r\n"))
         assert.equal(200, assert(read_response(c)).status)
         assert.equal("héllo", assert(read_response(c)).body)
         send_request(c, "GET", "/json", { "Connection: close" })
         local res = assert(read_response(c))
         assert.equal("close", res.headers["connection"])
         local _, err = c:receive(1)
         assert.equal("closed", err)
         c:close()
         c = connect()
         assert(c:send("GET /json HTTP/1.0\r\n\r\n"))
         assert.equal(200, assert(read_response(c)).status)
         assert.equal("closed", select(2, c:receive(1)))
         c:close()
      end)

      it("reads a request sent in pieces, and serves others meanwhile", function()
         local slow = connect()
         assert(slow:send("GET /echo HT"))
         local hang = connect()
         send_request(hang, "GET", "/fault/hang")
         local delayed = connect()
         send_request(delayed, "GET", "/delay/300")
         local t0 = socket.gettime()
         assert.equal(200, get("/json").status)
         assert.is_true(socket.gettime() - t0 < 0.2)
         assert(slow:send("TP/1.1\r\nHost: x\r\n"))
         socket.sleep(0.02)
         assert(slow:send("X-Late: 1\r\n\r\n"))
         local res = assert(read_response(slow))
         assert.equal("1", cjson.decode(res.body).headers["x-late"])
         assert.equal("delayed", assert(read_response(delayed)).body)
         slow:close()
         hang:close()
         delayed:close()
      end)

      it("answers 400 to a malformed request", function()
         local c = connect()
         assert(c:send("NOT HTTP\r\n\r\n"))
         assert.equal(400, assert(read_response(c)).status)
         c:close()
      end)
   end)

   it("blackhole: connects time out once the accept queue is full", function()
      helper.fill_blackhole()
      local c = assert(socket.tcp4())
      c:settimeout(0.3)
      local t0 = socket.gettime()
      local ok, err = c:connect("127.0.0.1", tonumber(helper.env("TEST_BLACKHOLE_PORT")))
      c:close()
      assert.is_nil(ok)
      assert.equal("timeout", err)
      assert.is_true(socket.gettime() - t0 >= 0.25)
      assert.equal(0, helper.fill_blackhole()) -- idempotent
   end)

   describe("nginx", function()
      local ca

      setup(function()
         ca = " --cacert " .. q(helper.env("TEST_CA")) .. " "
      end)

      it("serves TLS with the test CA, and fails with the other CA", function()
         local tls = helper.env("TEST_TLS_URL")
         local out, code = curl(ca .. q(tls .. "/"))
         assert.equal(0, code)
         assert.same({ tls = true }, cjson.decode(out))
         assert.equal("NONE", (curl(ca .. q(tls .. "/echo-cert"))))
         _, code = curl("--cacert " .. q(helper.env("TEST_CA_OTHER")) .. " " .. q(tls .. "/"))
         assert.equal(60, code) -- CURLE_PEER_FAILED_VERIFICATION
         local ip_url = tls:gsub("localhost", "127.0.0.1")
         assert.equal(0, select(2, curl(ca .. q(ip_url .. "/")))) -- SAN IP:127.0.0.1
         out = curl(ca .. q(tls .. "/srv/echo?via=tls") .. " -d hi")
         assert.equal("hi", cjson.decode(out).body)
      end)

      it("requires a client certificate on the mTLS server", function()
         local mtls = helper.env("TEST_MTLS_URL")
         local out = curl(ca .. "-w '%{http_code}' -o /dev/null " .. q(mtls .. "/echo-cert"))
         assert.equal("400", out)
         out = curl(ca .. "--cert " .. q(helper.env("TEST_CLIENT_CERT")) .. " --key "
            .. q(helper.env("TEST_CLIENT_KEY")) .. " " .. q(mtls .. "/echo-cert"))
         assert.equal("SUCCESS", out)
         out = curl(ca .. "--cert " .. q(helper.env("TEST_CLIENT_COMBINED")) .. " "
            .. q(mtls .. "/"))
         assert.same({ tls = true, mtls = true }, cjson.decode(out))
      end)

      it("speaks HTTP/2 on the h2 server", function()
         local h2 = helper.env("TEST_H2_URL")
         assert.equal("HTTP/2.0", (curl(ca .. "--http2 " .. q(h2 .. "/protocol"))))
         assert.equal("HTTP/1.1", (curl(ca .. "--http1.1 " .. q(h2 .. "/protocol"))))
         assert.equal("HTTP/1.1", (curl(ca .. "--http2 "
            .. q(helper.env("TEST_TLS_URL") .. "/protocol"))))
         assert.equal("200000", (curl(ca .. "-o /dev/null -w '%{size_download}' "
            .. q(h2 .. "/srv/bytes/200000"))))
      end)
   end)

   describe("tinyproxy", function()
      it("forwards plain HTTP and tunnels CONNECT to any port", function()
         local proxy = " -x " .. q(helper.env("TEST_PROXY_URL")) .. " "
         local out, code = curl(proxy .. q(url("/echo?p=1")))
         assert.equal(0, code)
         local v = cjson.decode(out)
         assert.equal("/echo?p=1", v.target)
         assert.matches("tinyproxy", v.headers.via)
         out = curl(proxy .. "-p " .. q(url("/json"))) -- CONNECT to the plain server's port
         assert.same({ hello = "world", n = 1 }, cjson.decode(out))
         out = curl(proxy .. "--cacert " .. q(helper.env("TEST_CA")) .. " "
            .. q(helper.env("TEST_TLS_URL") .. "/"))
         assert.same({ tls = true }, cjson.decode(out))
      end)

      it("requires Basic credentials on the auth proxy", function()
         local proxy = " -x " .. q(helper.env("TEST_AUTH_PROXY_URL")) .. " "
         assert.equal("407", (curl(proxy .. "-o /dev/null -w '%{http_code}' " .. q(url("/json")))))
         local _, code = curl(proxy .. "-p " .. q(url("/json")))
         assert.equal(56, code) -- CONNECT refused with 407
         local auth = "-U " .. q(helper.env("TEST_AUTH_PROXY_USER") .. ":"
            .. helper.env("TEST_AUTH_PROXY_PASS")) .. " "
         assert.same({ hello = "world", n = 1 }, cjson.decode((curl(proxy .. auth
            .. q(url("/json"))))))
         assert.same({ tls = true }, cjson.decode((curl(proxy .. auth .. "--cacert "
            .. q(helper.env("TEST_CA")) .. " " .. q(helper.env("TEST_TLS_URL") .. "/")))))
      end)
   end)

   it("helper.rss_kb and reset_hwm", function()
      local m = helper.rss_kb()
      assert.is_true(m.rss > 0)
      assert.is_true(m.hwm >= m.rss)
      assert.is_true(helper.reset_hwm())
      local after = helper.rss_kb()
      assert.is_true(after.hwm <= m.hwm)
   end)
end)
