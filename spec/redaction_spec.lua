-- The redaction every log record and trace goes through (BEHAVIOR §4.12), case by case, and
-- checked against azure-core itself (Debian's python3-azure) where it is installed.
local native = require("azure.core.native")
local policies = require("azure.core.pipeline.policies")
local tracing = require("azure.core.tracing")

local redact = native.redact_url

-- url -> what a record shows, with the default query allow-list (api-version)
local CASES = {
   { "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=abc%2Bdef%3D",
      "https://a.blob.core.windows.net/c/b?sv=REDACTED&sig=REDACTED" },
   { "https://h/p?api-version=2024-01-01&sig=x", "https://h/p?api-version=2024-01-01&sig=REDACTED" },
   { "https://h/p?API-Version=1", "https://h/p?API-Version=1" },
   { "https://h/p?country=france&city=aix", "https://h/p?country=REDACTED&city=REDACTED" },
   { "https://h/p?blank=&bare", "https://h/p?blank=REDACTED&bare=REDACTED" },
   { "https://h/p?a=1&&b=2&", "https://h/p?a=REDACTED&b=REDACTED" },
   { "https://h/p?", "https://h/p" },
   { "https://h/p?&", "https://h/p" },
   { "https://h/p", "https://h/p" },
   { "https://h", "https://h" },
   { "https://h?a=1", "https://h?a=REDACTED" },
   { "https://h/p?a+b=c", "https://h/p?a b=REDACTED" },
   { "https://h/p?x%20y=1", "https://h/p?x y=REDACTED" },
   { "https://h/p?api-version=a+b%21", "https://h/p?api-version=a b!" },
   { "https://h/p?api-version=%ZZ%4", "https://h/p?api-version=%ZZ%4" },
   { "https://h/p?api-version=%C3%A9", "https://h/p?api-version=\195\169" },
   { "https://h/p?api-version=%ff%e2%82z", "https://h/p?api-version=\239\191\189\239\191\189z" },
   { "https://h/p?a=1=2", "https://h/p?a=REDACTED" },
   { "https://h/p?=v", "https://h/p?=REDACTED" },
   { "https://h/p?a=1#frag", "https://h/p?a=REDACTED#frag" },
   { "https://h/p#frag?sig=1", "https://h/p#frag?sig=1" },
   { "https://h/p?a=1#", "https://h/p?a=REDACTED" },
   { "HTTPS://H/p?a=1", "https://H/p?a=REDACTED" },
   { "https://h/x;p?a=1", "https://h/x;p?a=REDACTED" },
   { "/relative/path?sig=s&api-version=1", "/relative/path?sig=REDACTED&api-version=1" },
   { "https://h:8443/p?sig=s", "https://h:8443/p?sig=REDACTED" },
   { "https://h/p?sig=s;t=u", "https://h/p?sig=REDACTED" },
}

describe("query redaction", function()
   for _, c in ipairs(CASES) do
      it(c[1], function() assert.equal(c[2], redact(c[1])) end)
   end

   it("keeps the values of a custom allow-list (case-insensitive), and only those", function()
      assert.equal("https://h/p?Country=france&city=REDACTED",
         redact("https://h/p?Country=france&city=aix", { "country" }))
      assert.equal("https://h/p?api-version=REDACTED", redact("https://h/p?api-version=1", {}))
   end)

   it("also redacts a password in the URL's user-info (beyond azure-core)", function()
      assert.equal("https://user:REDACTED@h/p?sig=REDACTED", redact("https://user:pw@h/p?sig=s"))
      assert.equal("https://user@h/p", redact("https://user@h/p"))
      assert.equal("https://u:REDACTED@h/p", redact("https://u:p@ss@h/p"))
   end)

   it("cannot forge log lines: CR/LF/TAB dropped, decoded control characters escaped", function()
      assert.equal("https://h/p?a=REDACTED", redact("https://h/p\r\n?a=1\t"))
      assert.equal("https://h/p?x\\ny=REDACTED&api-version=1\\r\\x01",
         redact("https://h/p?x%0Ay=1&api-version=1%0D%01"))
   end)

   it("matches azure-core's HttpLoggingPolicy URL by URL", function()
      local probe = io.popen("/usr/bin/python3 -c 'import azure.core' 2>&1; echo rc=$?")
      local ok = probe:read("*a"):match("rc=0")
      probe:close()
      if not ok then
         pending("python3-azure is not installed")
         return
      end
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write([[
import logging, sys
from azure.core.pipeline.policies import HttpLoggingPolicy
from azure.core.pipeline import PipelineRequest, PipelineContext
from azure.core.pipeline.transport import HttpRequest
pol = HttpLoggingPolicy()
pol.allowed_query_params = {"api-version"}
out = []
class H(logging.Handler):
    def emit(self, r):
        out.append(r.getMessage().split("\n")[0][len("Request URL: '"):-1])
lg = logging.getLogger("redaction_spec"); lg.setLevel(logging.INFO); lg.addHandler(H())
for url in sys.stdin.read().split("\n")[:-1]:
    pol.on_request(PipelineRequest(HttpRequest("GET", url), PipelineContext(None, logger=lg)))
sys.stdout.buffer.write("\n".join(out).encode("utf-8") + b"\n")
]])
      f:close()
      local input = os.tmpname()
      f = assert(io.open(input, "w"))
      for _, c in ipairs(CASES) do f:write(c[1], "\n") end
      f:close()
      local p = io.popen("/usr/bin/python3 " .. path .. " < " .. input)
      local lines = {}
      for line in p:lines() do lines[#lines + 1] = line end
      p:close()
      os.remove(path)
      os.remove(input)
      assert.equal(#CASES, #lines)
      for i, c in ipairs(CASES) do
         assert.equal(lines[i], redact(c[1]), c[1])
      end
   end)
end)

describe("header redaction", function()
   it("shows the 27 allow-listed names (any case) and redacts the rest", function()
      for _, n in ipairs(policies.HttpLoggingPolicy.DEFAULT_HEADERS_ALLOWLIST) do
         assert.equal("v", native.redact_header(n, "v"))
         assert.equal("v", native.redact_header(n:upper(), "v"))
         assert.equal("v", native.redact_header(n:lower(), "v"))
      end
      for _, n in ipairs({ "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
         "x-ms-authorization-auxiliary", "Ocp-Apim-Subscription-Key", "api-key", "X-Custom",
         "x-ms-encryption-key" }) do
         assert.equal("REDACTED", native.redact_header(n, "secret"))
      end
   end)

   it("uses a given allow-list instead", function()
      assert.equal("v", native.redact_header("X-A", "v", { "x-a" }))
      assert.equal("REDACTED", native.redact_header("Accept", "v", { "x-a" }))
   end)
end)

describe("AllowList objects", function()
   it("are live, case-insensitive sets of names", function()
      local p = policies.HttpLoggingPolicy.new{ allowed_header_names = { "A" } }
      local l = p.allowed_header_names
      assert.equal(1, #l)
      l:add("b")
      l:add("B") -- already there, in another case
      assert.equal(2, #l)
      assert.is_true(l:contains("a"))
      assert.is_true(p.allowed_header_names:contains("B"))
      if _VERSION ~= "Lua 5.1" then -- __pairs: Lua 5.2+
         local seen = {}
         for name, v in pairs(l) do seen[#seen + 1] = name .. "=" .. tostring(v) end
         assert.same({ "A=true", "b=true" }, seen)
      end
      assert.equal("AllowList{A, b}", tostring(l))
      assert.is_true(l:discard("A"))
      assert.is_false(l:discard("A"))
      assert.has_error(function() l:remove("nope") end)
      l:clear()
      assert.same({}, l:items())
      assert.has_error(function() l:add(1) end)
   end)

   it("keep their policy alive", function()
      local l = policies.HttpLoggingPolicy.new().allowed_query_params
      collectgarbage()
      collectgarbage()
      assert.same({ "api-version" }, l:items())
   end)
end)

describe("span names", function()
   it("are the URL's path, or /", function()
      assert.equal("/", native.tracing_span_name("https://h"))
      assert.equal("/", native.tracing_span_name("https://h?x=1"))
      assert.equal("/a/b", native.tracing_span_name("https://h/a/b?x=1#f"))
      assert.equal("/a/b", native.tracing_span_name("https://h/a/b;p"))
      assert.equal("/rel", native.tracing_span_name("/rel?q"))
      assert.equal(tracing.redact_url("https://h/p?sig=1"), "https://h/p?sig=REDACTED")
   end)
end)
