-- SensitiveHeaderCleanupPolicy (BEHAVIOR §4.14) against the test server, through both drivers.
-- A per-retry HeadersPolicy plays the authentication policy: it (re)adds the credentials on
-- every attempt, after RedirectPolicy stripped Authorization. A redirect to `localhost` from
-- `127.0.0.1` changes the domain (same server, different netloc).
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local pipeline = require("azure.core.pipeline")
local transport = require("azure.core.pipeline.transport")
local helper = require("support.helper")

local CREDS = { Authorization = "Bearer secret", ["x-ms-authorization-auxiliary"] = "Bearer aux" }

local function same_domain() return helper.url("/echo") end
local function other_domain() return "http://localhost:" .. helper.port() .. "/echo" end
local function redirect_to(url)
   return helper.url("/redirect/307?to=" .. url:gsub(":", "%%3A"):gsub("/", "%%2F"))
end

for _, driver in ipairs({ "native", "lua" }) do
   describe("SensitiveHeaderCleanupPolicy (" .. driver .. " driver)", function()
      local function client(cleanup_opts, with_cleanup)
         local list = { policies.RedirectPolicy.new(), policies.RetryPolicy.new{ retry_total = 0 },
            policies.HeadersPolicy.new(CREDS) }
         if with_cleanup ~= false then
            list[#list + 1] = policies.SensitiveHeaderCleanupPolicy.new(cleanup_opts)
         end
         return core.PipelineClient.new(helper.url(""), { driver = driver, policies = list })
      end
      local function headers_at_end(c, url, opts)
         local res = assert(c:send_request(rest.HttpRequest.new("GET", url), opts))
         assert.equal(200, res.status_code)
         return res:json().headers
      end

      it("keeps the credentials without a redirect and after a same-domain redirect", function()
         local c = client()
         local h = headers_at_end(c, same_domain())
         assert.equal("Bearer secret", h.authorization)
         h = headers_at_end(c, redirect_to(same_domain()))
         assert.equal("Bearer secret", h.authorization)
         assert.equal("Bearer aux", h["x-ms-authorization-auxiliary"])
         c:close()
      end)

      it("removes Authorization and x-ms-authorization-auxiliary after a cross-domain redirect",
         function()
            local c = client()
            local h = headers_at_end(c, redirect_to(other_domain()))
            assert.equal("localhost:" .. helper.port(), h.host)
            assert.is_nil(h.authorization)
            assert.is_nil(h["x-ms-authorization-auxiliary"])
            -- the next call starts clean: no mark left from the previous one
            assert.equal("Bearer secret", headers_at_end(c, same_domain()).authorization)
            c:close()
         end)

      it("a given list replaces the default", function()
         local c = client{ blocked_redirect_headers = { "x-ms-authorization-auxiliary" } }
         local h = headers_at_end(c, redirect_to(other_domain()))
         assert.equal("Bearer secret", h.authorization)
         assert.is_nil(h["x-ms-authorization-auxiliary"])
         c:close()
         c = client{ blocked_redirect_headers = { "AUTHORIZATION" } } -- case-insensitive
         h = headers_at_end(c, redirect_to(other_domain()))
         assert.is_nil(h.authorization)
         assert.equal("Bearer aux", h["x-ms-authorization-auxiliary"])
         c:close()
      end)

      it("disable_redirect_cleanup keeps everything", function()
         local c = client{ disable_redirect_cleanup = true }
         local h = headers_at_end(c, redirect_to(other_domain()))
         assert.equal("Bearer secret", h.authorization)
         assert.equal("Bearer aux", h["x-ms-authorization-auxiliary"])
         c:close()
      end)

      it("without the policy the credentials follow the redirect", function()
         local c = client(nil, false)
         assert.equal("Bearer secret", headers_at_end(c, redirect_to(other_domain())).authorization)
         c:close()
      end)

      it("the mark lasts for the rest of the call, even back on the first domain", function()
         local c = client()
         local back = redirect_to(other_domain():gsub("/echo$", "") .. "/redirect/307?to="
            .. same_domain():gsub(":", "%%3A"):gsub("/", "%%2F"))
         local h = headers_at_end(c, back)
         assert.equal("127.0.0.1:" .. helper.port(), h.host)
         assert.is_nil(h.authorization)
         c:close()
      end)

      it("the context shows the mark", function()
         local c = client()
         local presp = assert(c:send_request(rest.HttpRequest.new("GET",
            redirect_to(other_domain())), { _return_pipeline_response = true }))
         assert.is_true(presp.context.insecure_domain_change)
         presp = assert(c:send_request(rest.HttpRequest.new("GET", redirect_to(same_domain())),
            { _return_pipeline_response = true }))
         assert.is_nil(presp.context.insecure_domain_change)
         c:close()
      end)
   end)
end

describe("the cross-domain mark never reaches a transport", function()
   local function recorder()
      local inner = transport.CurlTransport.new()
      return { seen = {}, send = function(self, req, opts)
         self.seen[#self.seen + 1] = opts
         return inner:send(req, opts)
      end, close = function() inner:close() end }
   end

   for _, with in ipairs({ true, false }) do
      it(with and "with the cleanup policy" or "without the cleanup policy", function()
         local t = recorder()
         local p = pipeline.Pipeline.new(t, { policies.RedirectPolicy.new(),
            with and policies.SensitiveHeaderCleanupPolicy.new() or nil })
         assert(p:run(rest.HttpRequest.new("GET", redirect_to(other_domain()))))
         assert.equal(2, #t.seen)
         for _, opts in ipairs(t.seen) do assert.is_nil(opts.insecure_domain_change) end
         p:close()
      end)
   end
end)

describe("SensitiveHeaderCleanupPolicy object", function()
   it("exposes its settings", function()
      local p = policies.SensitiveHeaderCleanupPolicy.new()
      assert.same({ "Authorization", "x-ms-authorization-auxiliary" }, p.blocked_redirect_headers)
      assert.is_false(p.disable_redirect_cleanup)
      p = policies.SensitiveHeaderCleanupPolicy.new{ blocked_redirect_headers = {},
         disable_redirect_cleanup = true }
      assert.same({}, p.blocked_redirect_headers)
      assert.is_true(p.disable_redirect_cleanup)
      assert.same({ "Authorization", "x-ms-authorization-auxiliary" },
         policies.SensitiveHeaderCleanupPolicy.DEFAULT_SENSITIVE_HEADERS)
      assert.has_error(function()
         policies.SensitiveHeaderCleanupPolicy.new{ blocked_redirect_headers = { 1 } }
      end)
   end)
end)
