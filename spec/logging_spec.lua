-- azure.core.logging, NetworkTraceLoggingPolicy (BEHAVIOR §4.11) and HttpLoggingPolicy (§4.12),
-- rule by rule, against the test server through both drivers; §9.5's log_level as logging reads
-- it; and the proof that no record shows a credential, a SAS signature or a cookie at any level.
local helper = require("support.helper")

-- azure.core.settings is written separately; until it exists, a stand-in with its documented
-- shape (settings.log_level(), assignment, :unset_value(); default info, AZURE_LOG_LEVEL).
local function settings()
   local ok, mod = pcall(require, "azure.core.settings")
   if ok then return mod.settings end
   local user = {}
   local function setting(name, env, default)
      return setmetatable({ unset_value = function() user[name] = nil end }, {
         __call = function()
            if user[name] ~= nil then return user[name] end
            return os.getenv(env) or default
         end })
   end
   local fields = { log_level = setting("log_level", "AZURE_LOG_LEVEL", "info"),
      tracing_implementation = setting("tracing_implementation",
         "AZURE_SDK_TRACING_IMPLEMENTATION", nil) }
   local s = setmetatable({}, {
      __index = fields,
      __newindex = function(_, k, v) user[k] = v end,
   })
   package.loaded["azure.core.settings"] = { settings = s }
   return s
end
local S = settings()

local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local transport = require("azure.core.pipeline.transport")
local logging = require("azure.core.logging")

local HTTP_LOGGER = "azure.core.pipeline.policies.http_logging_policy"
local NET_LOGGER = "azure.core.pipeline.policies._universal"

-- An independent statement of §4.12's header allow-list (25 names of 1.26 + 2 of 1.32).
local ALLOWED = {}
for _, n in ipairs({ "x-ms-request-id", "x-ms-client-request-id",
   "x-ms-return-client-request-id", "x-ms-error-code", "traceparent", "Accept", "Cache-Control",
   "Connection", "Content-Length", "Content-Type", "Date", "ETag", "Expires", "If-Match",
   "If-Modified-Since", "If-None-Match", "If-Unmodified-Since", "Last-Modified", "Pragma",
   "Request-Id", "Retry-After", "Server", "Transfer-Encoding", "User-Agent", "WWW-Authenticate",
   "x-vss-e2eid", "x-msedge-ref" }) do
   ALLOWED[n:lower()] = true
end

local function header_lines(headers, allowed)
   local out = {}
   for name, value in headers:items() do
      local shown = (allowed or ALLOWED)[name:lower()] and value or "REDACTED"
      out[#out + 1] = ("\n    '%s': '%s'"):format(name, shown)
   end
   return table.concat(out)
end

local records
local function capture()
   records = {}
   logging.set_handler(function(r) records[#records + 1] = r end)
end
local function messages(name)
   local out = {}
   for _, r in ipairs(records) do
      if name == nil or r.name == name then out[#out + 1] = r.message end
   end
   return out
end
local function reset()
   logging.set_handler(nil)
   logging.get_logger("azure"):set_level(nil)
   logging.get_logger(""):set_level(nil)
   S.log_level:unset_value()
end

-- Run fn with io.stderr swapped for a buffer (the reports of deliberately broken handlers);
-- returns what was written.
local function quiet(fn)
   local saved, buf = io.stderr, {}
   io.stderr = { write = function(self, ...)
      for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
      return self
   end }
   local ok, err = pcall(fn)
   io.stderr = saved
   if not ok then error(err, 0) end
   return table.concat(buf)
end

local function lua_subprocess(env, body)
   local path = os.tmpname()
   local f = assert(io.open(path, "w"))
   f:write(body)
   f:close()
   -- the same interpreter and native module as this process (LuaJIT and ASan lanes)
   local lua = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
   local cmd = ("env %s LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='%s' %s %s"
      .. " 2>&1"):format(env, package.cpath, lua, path)
   local p = assert(io.popen(cmd))
   local out = p:read("*a")
   p:close()
   os.remove(path)
   return out
end

describe("azure.core.logging", function()
   after_each(reset)

   it("gives one logger per name, the root for nil or empty", function()
      assert.equal(logging.get_logger("a.b"), logging.get_logger("a.b"))
      assert.equal(logging.get_logger(), logging.get_logger(""))
      assert.equal("a.b", logging.get_logger("a.b").name)
   end)

   it("knows Python's level names and numbers", function()
      assert.equal(50, logging.to_level("CRITICAL"))
      assert.equal(40, logging.to_level("error"))
      assert.equal(30, logging.to_level("Warning"))
      assert.equal(20, logging.to_level("info"))
      assert.equal(10, logging.to_level("debug"))
      assert.equal(15, logging.to_level(15))
      assert.has_error(function() logging.get_logger("x"):set_level("loud") end)
   end)

   it("inherits levels down the dotted hierarchy; the root's is the log_level setting", function()
      local leaf = logging.get_logger("lvl.a.b")
      assert.equal(logging.to_level(S.log_level()), leaf:get_effective_level())
      S.log_level = "error"
      assert.equal(40, leaf:get_effective_level())
      assert.is_false(leaf:is_enabled_for("warning"))
      logging.get_logger("lvl"):set_level("debug")
      assert.equal(10, leaf:get_effective_level())
      assert.is_true(leaf:is_enabled_for("debug"))
      leaf:set_level("critical")
      assert.equal(50, leaf:get_effective_level())
      leaf:set_level(nil)
      logging.get_logger("lvl"):set_level(nil)
   end)

   it("hands records to the application's handler with level, name and message", function()
      capture()
      local l = logging.get_logger("rec.x")
      l:set_level("debug")
      l:debug("d %d %s", 1, "two")
      l:info("plain %d") -- no arguments: the text as is
      l:warning("w")
      l:error("e")
      l:critical("c")
      assert.same({ "debug", "info", "warning", "error", "critical" },
         { records[1].level, records[2].level, records[3].level, records[4].level,
            records[5].level })
      assert.equal("d 1 two", records[1].message)
      assert.equal("plain %d", records[2].message)
      assert.equal("rec.x", records[1].name)
      assert.equal(10, records[1].levelno)
      l:set_level(nil)
   end)

   it("calls logger handlers up the chain, honours their levels and propagate", function()
      capture()
      local parent, child = logging.get_logger("ph"), logging.get_logger("ph.c")
      local got = {}
      local h = function(r) got[#got + 1] = r.name .. ":" .. r.message end
      parent:add_handler(h, "warning")
      child:set_level("debug")
      child:info("i")
      child:warning("w")
      assert.same({ "ph.c:w" }, got)
      assert.equal(2, #records) -- the application's handler (root) sees both
      child.propagate = false
      -- no handler on its way: Python's last resort writes it to stderr
      local err = quiet(function() child:warning("hidden") end)
      assert.same({ "ph.c:w" }, got)
      assert.equal(2, #records)
      assert.equal("WARNING:ph.c:hidden\n", err)
      child.propagate = true
      assert.is_true(parent:remove_handler(h))
      child:set_level(nil)
   end)

   it("never raises from logging: bad formats and failing handlers are reported", function()
      logging.set_handler(function() error("handler broke") end)
      local l = logging.get_logger("safe")
      l:set_level("debug")
      local err = quiet(function()
         assert.has_no.errors(function() l:info("x %d", "not a number") end)
         assert.has_no.errors(function() l:info("fine") end)
      end)
      assert.matches("--- Logging error ---", err, 1, true)
      assert.matches("handler broke", err, 1, true)
      l:set_level(nil)
   end)

   it("default handler: warnings to stderr, everything with AZURE_LOG_LEVEL", function()
      local script = [[
         local l = require("azure.core.logging").get_logger("sub.x")
         l:warning("warned %d", 7)
         l:info("informed")
         l:debug("debugged")
      ]]
      local out = lua_subprocess("", script)
      assert.matches("WARNING:sub.x:warned 7", out, 1, true)
      assert.is_nil(out:find("informed", 1, true))
      out = lua_subprocess("AZURE_LOG_LEVEL=debug", script)
      assert.matches("WARNING:sub.x:warned 7", out, 1, true)
      assert.matches("INFO:sub.x:informed", out, 1, true)
      assert.matches("DEBUG:sub.x:debugged", out, 1, true)
   end)
end)

for _, driver in ipairs({ "native", "lua" }) do
   describe("HttpLoggingPolicy (" .. driver .. " driver)", function()
      local function client(opts, extra)
         local list = { policies.RetryPolicy.new{ retry_backoff_factor = 0,
            retry_jitter_factor = 0 } }
         for _, p in ipairs(extra or {}) do list[#list + 1] = p end
         list[#list + 1] = policies.HttpLoggingPolicy.new(opts)
         return core.PipelineClient.new(helper.url(""), { policies = list, driver = driver })
      end
      before_each(capture)
      after_each(reset)

      it("writes nothing, and costs nothing, while no handler would take the record", function()
         logging.set_handler(nil)
         local p = policies.HttpLoggingPolicy.new()
         assert.is_false(p:_enabled())
         local c = client()
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         c:close()
         capture()
         assert.is_true(p:_enabled())
         logging.get_logger("azure"):set_level("warning")
         assert.is_false(p:_enabled())
      end)

      it("writes one INFO record per request and per response (single-record format)", function()
         local c = client()
         local req = rest.HttpRequest.new("GET",
            helper.url("/status/200?sig=SECRET&api-version=2024-01-01"),
            { headers = { Authorization = "Bearer tok" } })
         local res = assert(c:send_request(req))
         local msgs = messages(HTTP_LOGGER)
         assert.equal(2, #msgs)
         assert.equal("info", records[1].level)
         assert.equal("Request URL: '"
            .. helper.url("/status/200?sig=REDACTED&api-version=2024-01-01") .. "'"
            .. "\nRequest method: 'GET'"
            .. "\nRequest headers:" .. header_lines(req.headers)
            .. "\nNo body was attached to the request", msgs[1])
         assert.matches("'Authorization': 'REDACTED'", msgs[1], 1, true)
         assert.equal("Response status: 200\nResponse headers:" .. header_lines(res.headers),
            msgs[2])
         c:close()
      end)

      it("says whether a body was sent: bytes, none, or a reader (File upload)", function()
         local c = client()
         assert(c:send_request(rest.HttpRequest.new("PUT", helper.url("/echo"),
            { content = "payload" })))
         local msgs = messages(HTTP_LOGGER)
         assert.matches("\nA body is sent with the request$", msgs[1])
         if driver == "lua" then -- a Lua reader body needs the Lua driver
            local n = 0
            assert(c:send_request(rest.HttpRequest.new("PUT", helper.url("/echo"), { content =
               function()
                  n = n + 1
                  if n == 1 then return "chunk" end
               end })))
            msgs = messages(HTTP_LOGGER)
            assert.matches("\nFile upload$", msgs[3])
         end
         c:close()
      end)

      it("redacts every header outside allowed_header_names, which can be edited", function()
         local p = policies.HttpLoggingPolicy.new()
         local c = core.PipelineClient.new(helper.url(""), { policies = { p }, driver = driver })
         assert.is_true(p.allowed_header_names:contains("x-ms-request-id"))
         assert.equal(27, #p.allowed_header_names)
         p.allowed_header_names:add("X-Custom")
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"),
            { headers = { ["x-custom"] = "shown", ["X-Other"] = "hidden",
               ["x-ms-client-request-id"] = "cid" } })))
         local m = messages(HTTP_LOGGER)[1]
         assert.matches("'x-custom': 'shown'", m, 1, true)
         assert.matches("'X-Other': 'REDACTED'", m, 1, true)
         assert.matches("'x-ms-client-request-id': 'cid'", m, 1, true)
         p.allowed_header_names:discard("x-custom")
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"),
            { headers = { ["x-custom"] = "shown" } })))
         assert.matches("'x-custom': 'REDACTED'", messages(HTTP_LOGGER)[3], 1, true)
         c:close()
      end)

      it("redacts query values outside allowed_query_params (api-version by default)", function()
         local p = policies.HttpLoggingPolicy.new()
         local c = core.PipelineClient.new(helper.url(""), { policies = { p }, driver = driver })
         p.allowed_query_params:add("Country")
         assert(c:send_request(rest.HttpRequest.new("GET",
            helper.url("/echo?country=france&city=aix&api-version=1&blank=&bare"))))
         assert.matches("/echo?country=france&city=REDACTED&api-version=1&blank=REDACTED"
            .. "&bare=REDACTED'", messages(HTTP_LOGGER)[1], 1, true)
         c:close()
      end)

      it("uses a per-call logger (popped), kept for the retries and the responses", function()
         local mine = logging.get_logger("my.app.http")
         local c = client()
         local key = ("lg%d%d"):format(os.time(), math.random(1e6))
         assert(c:send_request(rest.HttpRequest.new("GET",
            helper.url("/sequence/" .. key .. "?statuses=503,200")), { logger = mine }))
         assert.equal(4, #messages("my.app.http"))
         assert.equal(0, #messages(HTTP_LOGGER))
         mine:set_level("warning") -- that logger is not enabled for INFO: nothing at all
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo")),
            { logger = mine }))
         assert.equal(4, #records)
         mine:set_level(nil)
         c:close()
      end)

      it("writes at http_logging_level", function()
         logging.get_logger("azure"):set_level("info")
         local c = client{ http_logging_level = "debug" }
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         assert.equal(0, #records)
         logging.get_logger("azure"):set_level("debug")
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         assert.equal(2, #records)
         assert.equal("debug", records[1].level)
         c:close()
      end)

      it("follows the log_level setting when no logger sets a level", function()
         local c = client()
         S.log_level = "warning"
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         assert.equal(0, #records)
         S.log_level = "info"
         assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         assert.equal(2, #records)
         c:close()
      end)

      it("never fails a request: a failing handler only reports", function()
         logging.set_handler(function() error("handler broke") end)
         local c = client()
         local res
         local err = quiet(function()
            res = assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo"))))
         end)
         assert.equal(200, res.status_code)
         assert.matches("handler broke", err, 1, true)
         c:close()
      end)
   end)

   describe("NetworkTraceLoggingPolicy (" .. driver .. " driver)", function()
      local function client(opts, extra)
         local list = { policies.RetryPolicy.new{ retry_backoff_factor = 0,
            retry_jitter_factor = 0 } }
         for _, p in ipairs(extra or {}) do list[#list + 1] = p end
         list[#list + 1] = policies.NetworkTraceLoggingPolicy.new(opts)
         return core.PipelineClient.new(helper.url(""), { policies = list, driver = driver })
      end
      local function get(c, path, opts)
         return c:send_request(rest.HttpRequest.new("GET", helper.url(path)), opts)
      end
      before_each(function()
         capture()
         logging.get_logger("azure"):set_level("debug")
      end)
      after_each(reset)

      it("is off unless logging_enable: by constructor, or per call (which wins)", function()
         local off, on = client(), client{ logging_enable = true }
         assert(get(off, "/echo"))
         assert.equal(0, #records)
         assert(get(on, "/echo"))
         assert.equal(2, #messages(NET_LOGGER))
         assert.equal("debug", records[1].level)
         assert(get(off, "/echo", { logging_enable = true }))
         assert.equal(4, #messages(NET_LOGGER))
         assert(get(on, "/echo", { logging_enable = false }))
         assert.equal(4, #messages(NET_LOGGER))
         off:close()
         on:close()
      end)

      it("needs its logger enabled for DEBUG", function()
         logging.get_logger("azure"):set_level("info")
         local c = client{ logging_enable = true }
         assert(get(c, "/echo"))
         assert.equal(0, #records)
         c:close()
      end)

      it("writes the request with its body, File upload, or no body", function()
         local c = client{ logging_enable = true }
         local req = rest.HttpRequest.new("POST", helper.url("/echo?a=1"),
            { content = "the body", headers = { Authorization = "Bearer t" } })
         assert(c:send_request(req))
         assert.equal("Request URL: '" .. helper.url("/echo?a=REDACTED") .. "'"
            .. "\nRequest method: 'POST'"
            .. "\nRequest headers:" .. header_lines(req.headers)
            .. "\nRequest body:\nthe body", messages(NET_LOGGER)[1])
         assert(get(c, "/echo"))
         assert.matches("\nRequest body:\nThis request has no body$", messages(NET_LOGGER)[3])
         if driver == "lua" then -- a Lua reader body needs the Lua driver
            local n = 0
            assert(c:send_request(rest.HttpRequest.new("PUT", helper.url("/echo"), { content =
               function()
                  n = n + 1
                  if n == 1 then return "chunk" end
               end })))
            assert.matches("\nRequest body:\nFile upload$", messages(NET_LOGGER)[5])
         end
         c:close()
      end)

      it("writes the response: status, headers, then what the body is", function()
         local c = client{ logging_enable = true }
         local res = assert(get(c, "/logging/typed?type=text/plain"))
         assert.equal("Response status: '200'\nResponse headers:" .. header_lines(res.headers)
            .. "\nResponse content:\ntyped body", messages(NET_LOGGER)[2])
         local function content(path, opts)
            assert(get(c, path, opts))
            local m = messages(NET_LOGGER)
            return m[#m]:match("\nResponse content:\n(.*)$")
         end
         assert.equal("File attachments: report.txt", content(
            "/logging/typed?disposition=attachment%3B%20filename%3Dreport.txt"))
         assert.equal("File attachments: \"a b.txt\"", content(
            "/logging/typed?disposition=Attachment%3Bfilename%3D%22a%20b.txt%22"))
         assert.equal("typed body", content(
            "/logging/typed?disposition=inline%3B%20filename%3Dx.txt"))
         assert.equal("Body contains binary data.",
            content("/logging/typed?type=application/octet-stream"))
         assert.equal("Body contains image data.", content("/logging/typed?type=image/png"))
         assert.equal("Body is streamable.", content("/logging/typed", { stream = true }))
         c:close()
      end)

      it("pops logging_enable; later attempts follow the constructor (azure-core)", function()
         local c = client()
         local key = ("nt%d%d"):format(os.time(), math.random(1e6))
         assert(get(c, "/sequence/" .. key .. "?statuses=503,200", { logging_enable = true }))
         local m = messages(NET_LOGGER)
         assert.equal(2, #m) -- the first attempt's request and response only
         assert.matches("^Request URL", m[1])
         assert.matches("^Response status: '503'", m[2])
         c:close()
      end)
   end)

   describe("no record shows a secret, at any level (" .. driver .. " driver)", function()
      after_each(reset)

      local SECRETS = { "TokenSecret-91b2", "SasSig-55d0", "CookieSecret-7f3e9a", "AuxSecret-3c1d",
         "ReqCookie-aa01", "ProxyPass-77e4" }

      for _, level in ipairs({ "debug", "info", "warning", "error", "critical" }) do
         it("at " .. level, function()
            capture()
            logging.get_logger("azure"):set_level(level)
            local c = core.PipelineClient.new(helper.url(""), { driver = driver, policies = {
               policies.RetryPolicy.new{ retry_backoff_factor = 0, retry_jitter_factor = 0 },
               policies.NetworkTraceLoggingPolicy.new{ logging_enable = true },
               policies.HttpLoggingPolicy.new() } })
            local req = rest.HttpRequest.new("GET", helper.url(
               "/logging/secrets?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00%3A00%3A00Z"
               .. "&sig=SasSig-55d0"), { headers = {
               Authorization = "Bearer TokenSecret-91b2",
               ["x-ms-authorization-auxiliary"] = "Bearer AuxSecret-3c1d",
               Cookie = "s=ReqCookie-aa01",
               ["Proxy-Authorization"] = "Basic ProxyPass-77e4" } })
            local res = assert(c:send_request(req))
            assert.equal("azsession=CookieSecret-7f3e9a; Path=/; HttpOnly",
               res.headers["Set-Cookie"])
            for _, r in ipairs(records) do
               for _, s in ipairs(SECRETS) do
                  assert.is_nil(r.message:find(s, 1, true), ("%s leaked at %s: %s")
                     :format(s, level, r.message))
               end
            end
            if level == "debug" then
               assert.equal(4, #records) -- both policies wrote request and response
               assert.matches("'Set-Cookie': 'REDACTED'", records[3].message, 1, true)
            elseif level == "info" then
               assert.equal(2, #records)
            else
               assert.equal(0, #records)
            end
            c:close()
         end)
      end
   end)
end

describe("HttpLoggingPolicy with AZURE_SDK_LOGGING_MULTIRECORD", function()
   it("writes one record per line (6 for a header-less request and response)", function()
      local out = lua_subprocess("AZURE_SDK_LOGGING_MULTIRECORD=1", [[
         local logging = require("azure.core.logging")
         local policies = require("azure.core.pipeline.policies")
         local pipeline = require("azure.core.pipeline")
         local rest = require("azure.core.rest")
         local T = require("azure.core.pipeline.transport")
         local n = 0
         logging.set_handler(function(r) n = n + 1; io.write(r.level, "|", r.message, "\n") end)
         local t = T.MockTransport.new(function(req)
            return rest.HttpResponse.new{ request = req, status_code = 200, content = "" }
         end)
         local p = pipeline.Pipeline.new(t, { policies.HttpLoggingPolicy.new() })
         assert(p:run(rest.HttpRequest.new("GET", "https://h/p?sig=S")))
         io.write("records=", n, "\n")
      ]])
      assert.equal(table.concat({
         "info|Request URL: 'https://h/p?sig=REDACTED'",
         "info|Request method: 'GET'",
         "info|Request headers:",
         "info|No body was attached to the request",
         "info|Response status: 200",
         "info|Response headers:",
         "records=6", "" }, "\n"), out)
   end)

   it("writes each header as its own record, redacted", function()
      local out = lua_subprocess("AZURE_SDK_LOGGING_MULTIRECORD=1", [[
         local logging = require("azure.core.logging")
         local policies = require("azure.core.pipeline.policies")
         local pipeline = require("azure.core.pipeline")
         local rest = require("azure.core.rest")
         local T = require("azure.core.pipeline.transport")
         logging.set_handler(function(r) io.write(r.message, "\n") end)
         local t = T.MockTransport.new(function(req)
            return rest.HttpResponse.new{ request = req, status_code = 201,
               headers = { ["Set-Cookie"] = "c=CookieSecret" }, content = "" }
         end)
         local p = pipeline.Pipeline.new(t, { policies.HttpLoggingPolicy.new() })
         assert(p:run(rest.HttpRequest.new("GET", "https://h/", { headers = {
            Authorization = "Bearer x" } })))
      ]])
      assert.equal(table.concat({ "Request URL: 'https://h/'", "Request method: 'GET'",
         "Request headers:", "    'Authorization': 'REDACTED'",
         "No body was attached to the request", "Response status: 201", "Response headers:",
         "    'Set-Cookie': 'REDACTED'", "" }, "\n"), out)
   end)
end)

describe("logging policies' options reach no transport", function()
   after_each(reset)

   it("pops logging_enable and logger before the transport", function()
      capture()
      local seen
      local inner = transport.CurlTransport.new()
      local t = { send = function(_, req, opts)
         seen = opts
         return inner:send(req, opts)
      end, close = function() inner:close() end }
      local c = core.PipelineClient.new(helper.url(""), { transport = t, policies = {
         policies.NetworkTraceLoggingPolicy.new(), policies.HttpLoggingPolicy.new() } })
      assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo")),
         { logging_enable = true, logger = logging.get_logger("x.y"), other = 1 }))
      assert.is_nil(seen.logging_enable)
      assert.is_nil(seen.logger)
      assert.equal(1, seen.other)
      c:close()
   end)

   it("refuses a logger option that is not a logger", function()
      local c = core.PipelineClient.new(helper.url(""), { policies = {
         policies.HttpLoggingPolicy.new() } })
      assert.has_error(function()
         c:send_request(rest.HttpRequest.new("GET", helper.url("/echo")), { logger = 42 })
      end)
      c:close()
   end)
end)

describe("logging policy objects", function()
   it("expose azure-core's class constants and fields", function()
      assert.equal("REDACTED", policies.HttpLoggingPolicy.REDACTED_PLACEHOLDER)
      assert.equal("AZURE_SDK_LOGGING_MULTIRECORD", policies.HttpLoggingPolicy.MULTI_RECORD_LOG)
      assert.equal(27, #policies.HttpLoggingPolicy.DEFAULT_HEADERS_ALLOWLIST)
      for _, n in ipairs(policies.HttpLoggingPolicy.DEFAULT_HEADERS_ALLOWLIST) do
         assert.is_true(ALLOWED[n:lower()], n)
      end
      assert.same({ "api-version" }, policies.HttpLoggingPolicy.DEFAULT_QUERY_PARAMS_ALLOWLIST)
      local p = policies.HttpLoggingPolicy.new{ logger = logging.get_logger("custom.l"),
         allowed_header_names = { "A" }, additional_allowed_header_names = { "B" },
         additional_allowed_query_params = { "q" } }
      assert.equal(logging.get_logger("custom.l"), p.logger)
      assert.same({ "A", "B" }, p.allowed_header_names:items())
      assert.same({ "api-version", "q" }, p.allowed_query_params:items())
      assert.equal(20, p.http_logging_level)
      local n = policies.NetworkTraceLoggingPolicy.new{ logging_enable = true }
      assert.is_true(n.enable_http_logger)
      n:set_logging_enable(false)
      assert.is_false(n.enable_http_logger)
   end)
end)
