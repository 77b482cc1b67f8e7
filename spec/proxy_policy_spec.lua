-- ProxyPolicy (BEHAVIOR §4.4) against the test server and the forward proxy (tinyproxy adds a
-- Via header to what it forwards), through both drivers: the policy's proxies are used unless
-- the call gives its own `proxies`.
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local pipeline = require("azure.core.pipeline")
local transport = require("azure.core.pipeline.transport")
local helper = require("support.helper")

-- A Lua transport over a real CurlTransport that records the options of each send.
local function recording()
   local inner = transport.CurlTransport.new{ use_env_settings = false }
   return {
      seen = {},
      send = function(self, req, opts)
         self.seen[#self.seen + 1] = opts
         return inner:send(req, opts)
      end,
      close = function() inner:close() end,
   }
end

for _, driver in ipairs({ "native", "lua" }) do
   describe("ProxyPolicy (" .. driver .. " driver)", function()
      local function client(proxies)
         return core.PipelineClient.new(helper.url(""), { driver = driver,
            transport = transport.CurlTransport.new{ use_env_settings = false },
            policies = { policies.ProxyPolicy.new(proxies),
               policies.RetryPolicy.new{ retry_total = 0 } } })
      end
      local function echo(c, opts)
         local res = assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo")), opts))
         return res.status_code, res.status_code == 200 and res:json() or nil
      end
      local function echo_run(c, opts) -- the general path (a PipelineRun with a context)
         local o = { _return_pipeline_response = true }
         for k, v in pairs(opts or {}) do o[k] = v end
         local presp = assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/echo")), o))
         return presp.http_response:json()
      end

      it("sends through the policy's proxy", function()
         local c = client{ http = helper.env("TEST_PROXY_URL") }
         local status, e = echo(c)
         assert.equal(200, status)
         assert.truthy(e.headers.via, "proxied requests carry Via")
         assert.truthy(echo_run(c).headers.via)
         c:close()
      end)

      it("the options form {proxies = ...} works the same", function()
         local c = client{ proxies = { http = helper.env("TEST_PROXY_URL") } }
         assert.truthy(select(2, echo(c)).headers.via)
         c:close()
      end)

      it("a per-call proxies wins over the policy's", function()
         local c = client{ http = helper.env("TEST_PROXY_URL") }
         -- the authenticating proxy answers 407: the per-call proxy was used
         assert.equal(407, (echo(c, { proxies = { http = helper.env("TEST_AUTH_PROXY_URL") } })))
         -- an empty per-call proxies means no proxy at all for this call
         local _, e = echo(c, { proxies = {} })
         assert.is_nil(e.headers.via)
         assert.is_nil(echo_run(c, { proxies = {} }).headers.via)
         -- and the next call uses the policy's again
         assert.truthy(select(2, echo(c)).headers.via)
         c:close()
      end)

      it("without proxies the policy does nothing", function()
         for _, p in ipairs({ {}, false }) do
            local c = client(p or nil)
            assert.is_nil(select(2, echo(c)).headers.via)
            c:close()
         end
      end)

      it("no_proxy exempts hosts", function()
         local c = client{ http = helper.env("TEST_PROXY_URL"), no_proxy = "127.0.0.1" }
         assert.is_nil(select(2, echo(c)).headers.via)
         c:close()
      end)

      it("only the scheme's proxy is used", function()
         local c = client{ https = helper.env("TEST_AUTH_PROXY_URL") }
         assert.is_nil(select(2, echo(c)).headers.via) -- http:// URL, https proxy only
         c:close()
      end)
   end)
end

describe("ProxyPolicy with a Lua transport (Lua driver)", function()
   it("hands the proxies to the transport as options.proxies, unless the call has its own",
      function()
         local rec = recording()
         local proxy = helper.env("TEST_PROXY_URL")
         local p = pipeline.Pipeline.new(rec, { policies.ProxyPolicy.new{ http = proxy,
            no_proxy = "example.invalid" } })
         local presp = assert(p:run(rest.HttpRequest.new("GET", helper.url("/echo"))))
         assert.truthy(presp.http_response:json().headers.via)
         assert.same({ http = proxy, no_proxy = "example.invalid" }, rec.seen[1].proxies)
         assert.is_nil(rec.seen[1].proxies_http)
         local mine = { https = "http://127.0.0.1:1" }
         assert(p:run(rest.HttpRequest.new("GET", helper.url("/echo")), { proxies = mine }))
         assert.equal(mine, rec.seen[2].proxies)
         p:close()
      end)

   it("without a ProxyPolicy, a per-call proxies reaches the transport untouched", function()
      local rec = recording()
      local p = pipeline.Pipeline.new(rec, {})
      local mine = { http = helper.env("TEST_PROXY_URL") }
      local presp = assert(p:run(rest.HttpRequest.new("GET", helper.url("/echo")),
         { proxies = mine }))
      assert.equal(mine, rec.seen[1].proxies)
      assert.truthy(presp.http_response:json().headers.via)
      p:close()
   end)
end)

describe("ProxyPolicy object", function()
   it("exposes proxies (nil when none)", function()
      assert.same({ http = "http://p:1", https = "http://p:2" },
         policies.ProxyPolicy.new{ http = "http://p:1", https = "http://p:2" }.proxies)
      assert.is_nil(policies.ProxyPolicy.new().proxies)
      assert.is_nil(policies.ProxyPolicy.new{}.proxies)
   end)

   it("takes a client's options: proxies = ..., or none", function()
      assert.same({ http = "http://p:1" },
         policies.ProxyPolicy.new{ retry_total = 3, proxies = { http = "http://p:1" } }.proxies)
      assert.is_nil(policies.ProxyPolicy.new{ retry_total = 3, user_agent = "x" }.proxies)
   end)

   it("refuses keys it cannot honour and non-string values", function()
      assert.has_error(function()
         policies.ProxyPolicy.new{ http = "http://p:1", ["http://host"] = "http://p:2" }
      end)
      assert.has_error(function()
         policies.ProxyPolicy.new{ proxies = { ["http://host"] = "http://p:1" } }
      end)
      assert.has_error(function() policies.ProxyPolicy.new{ http = 1 } end)
      assert.has_error(function() policies.ProxyPolicy.new("http://p:1") end)
   end)
end)
