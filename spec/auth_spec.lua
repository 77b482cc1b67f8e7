-- Authentication policies against the test server (BEHAVIOR §4.8, §4.9, §5), through both
-- drivers: BearerTokenCredentialPolicy (cache, refresh, HTTPS enforcement, claims challenges,
-- Lua on_challenge, credential errors, a credential that calls a token endpoint),
-- AzureKeyCredentialPolicy, AzureSasCredentialPolicy, a named-key signing policy in Lua, and
-- concurrent runs sharing one token request (Lua driver, coroutines).
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local authentication = require("azure.core.pipeline.policies.authentication")
local transport = require("azure.core.pipeline.transport")
local credentials = require("azure.core.credentials")
local exceptions = require("azure.core.exceptions")
local crypto = require("azure.core.crypto")
local helper = require("support.helper")

local unique = 0
local function key()
   unique = unique + 1
   -- unique across runs against the same server (it keeps per-key counters)
   return ("a%.0f_%d"):format(helper.now() * 1e6, unique)
end

-- A token credential that records its calls. Tokens are "<prefix><n>", plus
-- ".<base64url(claims)>" when claims were asked for (what /auth/claims accepts).
local function fake_credential(o)
   o = o or {}
   local cred = { calls = {} }
   local function answer(self, scopes, opts)
      self.calls[#self.calls + 1] = { scopes = scopes, opts = opts }
      local n = #self.calls
      if o.fail_on == n or o.fail_on == true then
         if o.raise then error(o.raise, 0) end
         return nil, o.fail
      end
      local tok = (o.prefix or "tok") .. n
      if opts.claims and not o.ignore_claims then
         tok = tok .. "." .. crypto.base64url_encode(opts.claims)
      end
      local now = os.time()
      if o.info then
         return credentials.AccessTokenInfo(tok, now + (o.expires_in or 3600),
            { refresh_on = o.refresh_in and now + o.refresh_in })
      end
      return credentials.AccessToken(tok, now + (o.expires_in or 3600))
   end
   cred.get_token = answer
   if o.info then cred.get_token_info = answer end
   return cred
end

-- A Lua SansIO policy placed below the auth policy: counts sends, records Authorization.
local function counter()
   local P = policies.SansIOHTTPPolicy:extend()
   function P:on_request(preq)
      self.sends = self.sends + 1
      self.auth[self.sends] = preq.http_request.headers["Authorization"]
   end
   local c = P.new()
   c.sends, c.auth = 0, {}
   return c
end

local function client_for(driver, auth, below, opts)
   local o = { driver = driver, policies = { opts and opts.retry
      or policies.RetryPolicy.new{ retry_total = 0 }, auth, below } }
   for k, v in pairs(opts or {}) do if k ~= "retry" then o[k] = v end end
   return core.PipelineClient.new(opts and opts.base or helper.url(""), o)
end

-- GET over plain http: enforce_https = false unless the call says otherwise.
local function get(client, path, opts)
   opts = opts or {}
   if opts.enforce_https == nil then opts.enforce_https = false end
   local url = path:match("^https?://") and path or helper.url(path)
   return client:send_request(rest.HttpRequest.new("GET", url), opts)
end

local function echoed_auth(res)
   return res:json().authorization
end

local CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'
local CLAIMS_B64 = crypto.base64url_encode(CLAIMS)

for _, driver in ipairs({ "native", "lua" }) do
   describe("BearerTokenCredentialPolicy (" .. driver .. " driver)", function()
      it("sends Bearer tokens and caches them across requests", function()
         local cred = fake_credential()
         local p = policies.BearerTokenCredentialPolicy.new(cred, "https://x/.default")
         local c = client_for(driver, p)
         for _ = 1, 3 do
            local res = assert(get(c, "/auth/echo"))
            assert.equal("Bearer tok1", echoed_auth(res))
         end
         assert.equal(1, #cred.calls)
         assert.same({ "https://x/.default" }, cred.calls[1].scopes)
         assert.same({ enable_cae = true }, cred.calls[1].opts) -- newest default
         assert.equal("tok1", p._token.token)
         c:close()
      end)

      it("prefers get_token_info; enable_cae = false passes no options", function()
         local cred = fake_credential{ info = true }
         local plain = cred.get_token
         local used_get_token = false
         cred.get_token = function(...) used_get_token = true; return plain(...) end
         local p = policies.BearerTokenCredentialPolicy.new(cred, { "a", "b" },
            { enable_cae = false })
         local c = client_for(driver, p)
         assert.equal("Bearer tok1", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.is_false(used_get_token)
         assert.same({ "a", "b" }, cred.calls[1].scopes)
         assert.same({}, cred.calls[1].opts)
         c:close()
      end)

      it("refreshes a token with less than 300 s left, not one far from expiry", function()
         local cred = fake_credential{ expires_in = 100 }
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"))
         assert.equal("Bearer tok1", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.equal("Bearer tok2", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.equal(2, #cred.calls)
         local cred2 = fake_credential{ expires_in = 3000 }
         local c2 = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred2, "s"))
         get(c2, "/auth/echo")
         get(c2, "/auth/echo")
         assert.equal(1, #cred2.calls)
      end)

      it("refreshes once refresh_on has passed", function()
         local cred = fake_credential{ info = true, refresh_in = -1 }
         local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
         local c = client_for(driver, p)
         assert.equal("Bearer tok1", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.is_number(p._token.refresh_on)
         assert.equal("Bearer tok2", echoed_auth(assert(get(c, "/auth/echo"))))
         local cred2 = fake_credential{ info = true, refresh_in = 1000 }
         local c2 = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred2, "s"))
         get(c2, "/auth/echo")
         get(c2, "/auth/echo")
         assert.equal(1, #cred2.calls)
      end)

      it("refuses non-https URLs with ServiceRequestError, before asking for a token", function()
         local cred = fake_credential()
         local below = counter()
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"), below)
         local res, err = get(c, "/auth/echo", { enforce_https = true })
         assert.is_nil(res)
         assert.is_true(err:is("ServiceRequestError"))
         assert.equal("Bearer token authentication is not permitted for non-TLS protected "
            .. "(non-https) URLs.", err.message)
         assert.equal(0, #cred.calls)
         assert.equal(0, below.sends)
         -- the default is to enforce
         res, err = c:send_request(rest.HttpRequest.new("GET", helper.url("/auth/echo")))
         assert.is_nil(res)
         assert.is_true(err:is("ServiceRequestError"))
      end)

      it("sends over https", function()
         local cred = fake_credential()
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"), nil,
            { base = helper.env("TEST_TLS_URL"), connection_verify = helper.env("TEST_CA") })
         local res = assert(c:send_request(rest.HttpRequest.new("GET",
            helper.env("TEST_TLS_URL") .. "/srv/auth/echo")))
         assert.equal(200, res.status_code)
         assert.equal("Bearer tok1", echoed_auth(res))
         -- HTTPS is recognised case-insensitively
         res = assert(c:send_request(rest.HttpRequest.new("GET",
            helper.env("TEST_TLS_URL"):gsub("^https", "HTTPS") .. "/srv/auth/echo")))
         assert.equal(200, res.status_code)
         c:close()
      end)

      it("keeps enforce_https = false for the retries of the call", function()
         local cred = fake_credential()
         local below = counter()
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"), below,
            { retry = policies.RetryPolicy.new{ retry_total = 2, retry_backoff_factor = 0 } })
         local res = assert(get(c, "/sequence/" .. key() .. "?statuses=503,200"))
         assert.equal(200, res.status_code)
         assert.equal(2, below.sends)
         assert.same({ "Bearer tok1", "Bearer tok1" }, below.auth)
      end)

      it("answers a claims challenge: one resend with the claims token, which is cached", function()
         local cred = fake_credential()
         local below = counter()
         local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
         local c = client_for(driver, p, below)
         local res = assert(get(c, "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(200, res.status_code)
         assert.equal(2, below.sends)
         assert.equal(2, #cred.calls)
         assert.same({ claims = CLAIMS, enable_cae = true }, cred.calls[2].opts)
         assert.same({ "s" }, cred.calls[2].scopes)
         assert.equal("Bearer tok2." .. CLAIMS_B64, below.auth[2])
         assert.equal("tok2." .. CLAIMS_B64, p._token.token)
         -- the claims token is used from now on
         assert.equal("Bearer tok2." .. CLAIMS_B64, echoed_auth(assert(get(c, "/auth/echo"))))
         assert.equal(2, #cred.calls)
      end)

      it("sends the request body again after a challenge (a file body starts over)", function()
         local path = os.tmpname()
         local f = assert(io.open(path, "wb"))
         f:write(("0123456789"):rep(10000))
         f:close()
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(fake_credential(),
            "s"))
         local body = assert(io.open(path, "rb"))
         local res, err = c:send_request(rest.HttpRequest.new("POST",
            helper.url("/auth/claims?claims=" .. CLAIMS_B64), { content = body }),
            { enforce_https = false, read_timeout = 5 })
         body:close()
         os.remove(path)
         assert.is_nil(err)
         assert.equal(200, res.status_code)
         if driver == "native" then return end -- a Lua reader body needs the Lua driver
         -- a one-shot reader cannot be sent twice: the 401 is returned (a fresh policy: the
         -- claims token above is cached)
         c = client_for(driver, policies.BearerTokenCredentialPolicy.new(fake_credential(), "s"))
         local sent = false
         res = assert(c:send_request(rest.HttpRequest.new("POST",
            helper.url("/auth/claims?claims=" .. CLAIMS_B64), { content = function()
               if sent then return nil end
               sent = true
               return "once"
            end }), { enforce_https = false, read_timeout = 5 }))
         assert.equal(401, res.status_code)
      end)

      it("returns the resent request's 401 as is (no second challenge)", function()
         local cred = fake_credential{ ignore_claims = true }
         local below = counter()
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"), below)
         local res = assert(get(c, "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(401, res.status_code)
         assert.equal(2, below.sends)
         assert.equal(2, #cred.calls)
      end)

      it("returns a 401 whose challenge it does not answer, and drops the cached token", function()
         local cred = fake_credential()
         local below = counter()
         local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
         local c = client_for(driver, p, below)
         local res = assert(get(c, "/auth/echo?status=401&challenge="
            .. 'Bearer%20realm%3D%22x%22%2C%20error%3D%22invalid_token%22'))
         assert.equal(401, res.status_code)
         assert.equal(1, below.sends)
         assert.is_nil(p._token)
         -- two claims challenges in one header are not answered either (azure-mgmt-core's test)
         local two = 'Bearer error="insufficient_claims", claims="' .. CLAIMS_B64
            .. '", Bearer error="insufficient_claims", claims="' .. CLAIMS_B64 .. '"'
         res = assert(get(c, "/auth/echo?status=401&challenge=" .. two:gsub("[^%w]", function(ch)
            return ("%%%02X"):format(ch:byte())
         end)))
         assert.equal(401, res.status_code)
         assert.equal(2, below.sends)
         -- nor a 401 without WWW-Authenticate
         res = assert(get(c, "/auth/echo?status=401"))
         assert.equal(401, res.status_code)
         assert.equal(3, below.sends)
         assert.equal(3, #cred.calls) -- a new token each time: the 401 cleared the cache
         assert.is_nil(p._token)
      end)

      it("takes a Lua on_challenge that may call authorize_request", function()
         local cred = fake_credential()
         local below = counter()
         local seen = {}
         local p = policies.BearerTokenCredentialPolicy.new(cred, "s", {
            on_challenge = function(policy, preq, presp)
               seen[#seen + 1] = presp.http_response.status_code
               assert.is_table(preq.context)
               local www = presp.http_response.headers["WWW-Authenticate"]
               local claims = crypto.base64url_decode(www:match('claims="([^"]*)"'))
               return policy:authorize_request(preq, { "other" }, { claims = claims })
            end,
         })
         local c = client_for(driver, p, below)
         local res = assert(get(c, "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(200, res.status_code)
         assert.same({ 401 }, seen)
         assert.equal(2, below.sends)
         assert.same({ "other" }, cred.calls[2].scopes)
         assert.equal(CLAIMS, cred.calls[2].opts.claims)
         assert.equal("tok2." .. CLAIMS_B64, p._token.token)
      end)

      it("a Lua on_challenge returning false returns the 401", function()
         local below = counter()
         local p = policies.BearerTokenCredentialPolicy.new(fake_credential(), "s",
            { on_challenge = function() return false end })
         local res = assert(get(client_for(driver, p, below), "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(401, res.status_code)
         assert.equal(1, below.sends)
      end)

      it("a Lua on_challenge can fall back to the default handling", function()
         local called = false
         local p = policies.BearerTokenCredentialPolicy.new(fake_credential(), "s", {
            on_challenge = function(policy, preq, presp)
               called = true
               return policies.BearerTokenCredentialPolicy.default_on_challenge(policy, preq, presp)
            end,
         })
         local res = assert(get(client_for(driver, p), "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(200, res.status_code)
         assert.is_true(called)
      end)

      it("a failing on_challenge keeps the 401 as the error's cause", function()
         local p = policies.BearerTokenCredentialPolicy.new(fake_credential(), "s",
            { on_challenge = function() error("boom", 0) end })
         local res, err = get(client_for(driver, p), "/auth/claims?claims=" .. CLAIMS_B64)
         assert.is_nil(res)
         assert.equal("boom", err.inner_exception)
         assert.is_true(err.cause:is("HttpResponseError"))
         assert.equal(401, err.cause.status_code)
         assert.equal(401, err.cause.response.status_code)
      end)

      it("a credential failing during the claims challenge: its error, with the 401 as cause",
         function()
            local original = exceptions.ServiceRequestError.new{ message = "no route to the IdP" }
            local cred = fake_credential{ fail_on = 2, fail = original }
            local res, err = get(client_for(driver,
               policies.BearerTokenCredentialPolicy.new(cred, "s")),
               "/auth/claims?claims=" .. CLAIMS_B64)
            assert.is_nil(res)
            assert.is_true(err:is("ClientAuthenticationError"), tostring(err))
            assert.equal(original, err.inner_exception)
            assert.equal(401, err.cause.status_code)
            assert.matches("no route to the IdP", tostring(err), 1, true)
         end)

      it("credential errors surface as ClientAuthenticationError, never retried", function()
         local original = exceptions.ServiceRequestError.new{ message = "IdP down" }
         local cred = fake_credential{ fail_on = true, fail = original }
         local retry = policies.RetryPolicy.new{ retry_total = 3, retry_backoff_factor = 0 }
         local c = client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s"), nil,
            { retry = retry })
         local res, err = get(c, "/auth/echo")
         assert.is_nil(res)
         assert.is_true(err:is("ClientAuthenticationError"))
         assert.equal(original, err.inner_exception)
         assert.equal(1, #cred.calls)
         -- a raised value is kept as the inner exception
         cred = fake_credential{ fail_on = true, raise = "kaput" }
         res, err = get(client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s")),
            "/auth/echo")
         assert.is_true(err:is("ClientAuthenticationError"))
         assert.equal("kaput", err.inner_exception)
         -- a ClientAuthenticationError comes back as it is
         local own = exceptions.ClientAuthenticationError.new{ message = "expired secret" }
         cred = fake_credential{ fail_on = true, fail = own }
         res, err = get(client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s")),
            "/auth/echo")
         assert.equal(own, err)
         -- something that is not a token
         cred = { get_token = function() return { token = 42 } end }
         res, err = get(client_for(driver, policies.BearerTokenCredentialPolicy.new(cred, "s")),
            "/auth/echo")
         assert.is_true(err:is("ClientAuthenticationError"))
         assert.matches("invalid token", err.message, 1, true)
      end)

      it("works with a credential that calls a token endpoint through another client", function()
         local k = key()
         local tokens = core.PipelineClient.new(helper.url(""), { retry_total = 0 })
         local cred = {
            get_token_info = function(_, scopes, opts)
               local res, err = tokens:send_request(rest.HttpRequest.new("POST",
                  helper.url("/auth/token/" .. k), { data = { scope = table.concat(scopes, " "),
                     claims = opts.claims } }))
               if not res then return nil, err end
               if res.status_code ~= 200 then
                  return nil, exceptions.ClientAuthenticationError.new{
                     message = "token endpoint refused", response = res }
               end
               local j = res:json()
               return credentials.AccessTokenInfo(j.access_token, os.time() + j.expires_in)
            end,
         }
         local p = policies.BearerTokenCredentialPolicy.new(cred, "https://x/.default")
         local c = client_for(driver, p)
         assert.equal("Bearer tok-" .. k .. "-1", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.equal("Bearer tok-" .. k .. "-1", echoed_auth(assert(get(c, "/auth/echo"))))
         local res = assert(get(c, "/auth/claims?claims=" .. CLAIMS_B64))
         assert.equal(200, res.status_code)
         assert.equal("Bearer tok-" .. k .. "-2." .. CLAIMS_B64, echoed_auth(res))
         local count = assert(tokens:send_request(rest.HttpRequest.new("GET",
            helper.url("/auth/token/" .. k .. "/count")))):json().count
         assert.equal(2, count)
         tokens:close()
         c:close()
      end)

      it("while a refresh is in flight, other runs send the unexpired cached token", function()
         -- the credential's own request goes through the same client: it must not ask again
         local c
         local seen
         local calls = 0
         local cred = {
            get_token = function()
               calls = calls + 1
               seen = echoed_auth(assert(get(c, "/auth/echo")))
               return credentials.AccessToken("new", os.time() + 3600)
            end,
         }
         local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
         p:_set_token("old", os.time() + 100) -- inside the refresh window
         c = client_for(driver, p)
         assert.equal("Bearer new", echoed_auth(assert(get(c, "/auth/echo"))))
         assert.equal("Bearer old", seen)
         assert.equal(1, calls)
      end)
   end)

   describe("AzureKeyCredentialPolicy and AzureSasCredentialPolicy (" .. driver .. " driver)",
      function()
         it("puts the key in the named header, with an optional prefix", function()
            local cred = credentials.AzureKeyCredential("test_key")
            local c = client_for(driver, policies.AzureKeyCredentialPolicy.new(cred, "api-key"))
            local res = assert(get(c, "/echo"))
            assert.equal("test_key", res:json().headers["api-key"])
            c = client_for(driver, policies.AzureKeyCredentialPolicy.new(cred, "Authorization",
               { prefix = "SharedAccessKey" }))
            assert.equal("SharedAccessKey test_key", echoed_auth(assert(get(c, "/auth/echo"))))
         end)

         it("reads the key at each request: update reaches a live client", function()
            local cred = credentials.AzureKeyCredential("k1")
            local c = client_for(driver, policies.AzureKeyCredentialPolicy.new(cred, "x-api-key"))
            assert.equal("k1", assert(get(c, "/echo")):json().headers["x-api-key"])
            cred:update("k2")
            assert.equal("k2", assert(get(c, "/echo")):json().headers["x-api-key"])
         end)

         local cases = {
            { "/echo", "sv=1&sig=a", "/echo?sv=1&sig=a" },
            { "/echo", "?sv=1&sig=a", "/echo?sv=1&sig=a" },
            { "/echo?", "sv=1&sig=a", "/echo?sv=1&sig=a" },
            { "/echo?x=1", "sv=1&sig=a", "/echo?x=1&sv=1&sig=a" },
            { "/echo?x=1", "?sv=1&sig=a", "/echo?x=1&sv=1&sig=a" },
            { "/echo?x=1&sv=1&sig=a", "sv=1&sig=a", "/echo?x=1&sv=1&sig=a" },
            { "/echo?sv=1&sig=a&x=1", "?sv=1&sig=a", "/echo?sv=1&sig=a&x=1" },
         }
         for _, case in ipairs(cases) do
            it(("places the signature: %s + %s"):format(case[1], case[2]), function()
               local cred = credentials.AzureSasCredential(case[2])
               local c = client_for(driver, policies.AzureSasCredentialPolicy.new(cred))
               assert.equal(case[3], assert(get(c, case[1])):json().target)
            end)
         end

         it("reads the signature at each request: update reaches a live client", function()
            local cred = credentials.AzureSasCredential("sig=one")
            local c = client_for(driver, policies.AzureSasCredentialPolicy.new(cred))
            assert.equal("/echo?sig=one", assert(get(c, "/echo")):json().target)
            cred:update("?sig=two")
            assert.equal("/echo?sig=two", assert(get(c, "/echo")):json().target)
         end)

         it("places a named key through a Lua signing policy (SharedKey-style)", function()
            local cred = credentials.AzureNamedKeyCredential("acct",
               crypto.base64_encode("secret-1"))
            local Sign = policies.SansIOHTTPPolicy:extend()
            function Sign:on_request(preq)
               local r = preq.http_request
               local nk = self.credential.named_key -- read at each request
               local path = r.url:match("^%a[%w+.-]*://[^/?#]*([^#]*)")
               local mac = crypto.hmac_sha256(assert(crypto.base64_decode(nk.key)),
                  r.method .. "\n" .. path)
               r.headers["Authorization"] = "SharedKey " .. nk.name .. ":"
                  .. crypto.base64_encode(mac)
            end
            local s = Sign.new()
            s.credential = cred
            local c = client_for(driver, s)
            local function check(name, secret)
               local auth = echoed_auth(assert(get(c, "/auth/echo?x=1")))
               local got_name, sig = auth:match("^SharedKey ([^:]+):(.+)$")
               assert.equal(name, got_name)
               assert.equal(crypto.base64_encode(crypto.hmac_sha256(secret, "GET\n/auth/echo?x=1")),
                  sig)
            end
            check("acct", "secret-1")
            cred:update("acct2", crypto.base64_encode("secret-2"))
            check("acct2", "secret-2")
         end)
      end)
end

describe("BearerTokenCredentialPolicy with concurrent runs (Lua driver, coroutines)", function()
   -- A Lua transport over CurlTransport that yields before each send and in sleep, as a
   -- cooperative transport does; a tiny round-robin scheduler drives the coroutines.
   local function yielding_transport()
      local inner = transport.CurlTransport.new()
      return {
         send = function(_, req, opts) coroutine.yield(); return inner:send(req, opts) end,
         sleep = function() coroutine.yield() end,
         close = function() inner:close() end,
      }
   end

   local function run_all(fns)
      local cos, results = {}, {}
      for i, f in ipairs(fns) do cos[i] = coroutine.create(f) end
      for _ = 1, 100000 do
         local alive = false
         for i, co in ipairs(cos) do
            if coroutine.status(co) == "suspended" then
               alive = true
               local ok, a, b = coroutine.resume(co)
               assert(ok, a)
               if coroutine.status(co) == "dead" then results[i] = { a, b } end
            end
         end
         if not alive then break end
      end
      return results
   end

   local function slow_credential(label)
      local cred = { calls = 0 }
      function cred.get_token()
         cred.calls = cred.calls + 1
         local n = cred.calls
         for _ = 1, 5 do coroutine.yield() end -- the credential's own I/O
         return credentials.AccessToken(label .. n, os.time() + 3600)
      end
      return cred
   end

   local function lua_client(p)
      return core.PipelineClient.new(helper.url(""), { transport = yielding_transport(),
         driver = "lua", policies = { policies.RetryPolicy.new{ retry_total = 0 }, p } })
   end

   it("runs that need a token at once share one credential call", function()
      local cred = slow_credential("shared")
      local c = lua_client(policies.BearerTokenCredentialPolicy.new(cred, "s"))
      local results = run_all({
         function() return get(c, "/auth/echo") end,
         function() return get(c, "/auth/echo") end,
         function() return get(c, "/auth/echo") end,
      })
      assert.equal(1, cred.calls)
      for i = 1, 3 do
         assert.equal("Bearer shared1", echoed_auth(assert(results[i][1], results[i][2])))
      end
   end)

   it("a run that needs a refresh while one is in flight sends the unexpired token", function()
      local cred = slow_credential("new")
      local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
      p:_set_token("old", os.time() + 100)
      local c = lua_client(p)
      local results = run_all({
         function() return get(c, "/auth/echo") end,
         function() return get(c, "/auth/echo") end,
      })
      assert.equal(1, cred.calls)
      assert.equal("Bearer new1", echoed_auth(assert(results[1][1])))
      assert.equal("Bearer old", echoed_auth(assert(results[2][1])))
      assert.equal("new1", p._token.token)
   end)

   it("a run abandoned during its refresh does not block later refreshes", function()
      local cred = slow_credential("t")
      local p = policies.BearerTokenCredentialPolicy.new(cred, "s")
      p:_set_token("old", os.time() + 100)
      local c = lua_client(p)
      local co = coroutine.create(function() return get(c, "/auth/echo") end)
      for _ = 1, 3 do assert(coroutine.resume(co)) end -- now inside get_token
      assert.equal("suspended", coroutine.status(co))
      co = nil -- luacheck: ignore (dropped on purpose: the run is collected with it)
      collectgarbage()
      collectgarbage()
      local results = run_all({ function() return get(c, "/auth/echo") end })
      assert.equal(2, cred.calls)
      assert.equal("Bearer t2", echoed_auth(assert(results[1][1])))
   end)
end)

describe("authentication.from_options (PipelineClient's credential option)", function()
   local function class_of(p) return tostring(p):match("^<(%w+)") end

   it("builds the policy for each kind of credential", function()
      local tc = { get_token = function() end }
      local p = authentication.from_options({ credential = tc, credential_scopes = "s" })
      assert.equal("BearerTokenCredentialPolicy", class_of(p))
      assert.same({ "s" }, p.scopes)
      p = authentication.from_options({ credential = tc, credential_scopes = { "a", "b" },
         enable_cae = false })
      assert.same({ "a", "b" }, p.scopes)
      assert.is_false(p.enable_cae)
      p = authentication.from_options({ credential = credentials.AzureKeyCredential("k"),
         credential_header_name = "api-key", credential_prefix = "Key" })
      assert.equal("AzureKeyCredentialPolicy", class_of(p))
      assert.equal("api-key", p.name)
      assert.equal("Key", p.prefix)
      p = authentication.from_options({ credential = credentials.AzureSasCredential("s") })
      assert.equal("AzureSasCredentialPolicy", class_of(p))
      assert.is_nil(authentication.from_options({}))
   end)

   it("raises for incomplete options and unsupported credentials", function()
      local function kind(o)
         local ok, err = pcall(authentication.from_options, o)
         assert.is_false(ok)
         return err.kind
      end
      assert.equal("ValueError", kind({ credential = { get_token = function() end } }))
      assert.equal("ValueError", kind({ credential = credentials.AzureKeyCredential("k") }))
      assert.equal("ValueError", kind({ credential = credentials.AzureNamedKeyCredential("a",
         "b") }))
      assert.equal("ValueError", kind({ credential = "secret" }))
   end)
end)

-- No token, key or signature in any log record (both logging policies at their most verbose,
-- through both drivers, including a challenge and a resend).
describe("authentication secrets and logging", function()
   local logging = require("azure.core.logging")
   local TOKEN, KEY, SIG = "tok-SECRET-5d1c", "key-SECRET-9a7e", "SIG-SECRET-3b2f"

   for _, driver in ipairs({ "native", "lua" }) do
      it("no log record shows a token, a key or a signature (" .. driver .. " driver)", function()
         local records = {}
         logging.set_handler(function(r) records[#records + 1] = r end)
         local root = logging.get_logger("azure")
         root:set_level("debug")
         local cred = {
            get_token = function(_, _, opts)
               local t = TOKEN .. (opts.claims and ("." .. crypto.base64url_encode(opts.claims))
                  or "")
               return credentials.AccessToken(t, os.time() + 3600)
            end,
         }
         local c = core.PipelineClient.new(helper.url(""), { driver = driver, policies = {
            policies.RetryPolicy.new{ retry_total = 0 },
            policies.BearerTokenCredentialPolicy.new(cred, "s"),
            policies.AzureKeyCredentialPolicy.new(credentials.AzureKeyCredential(KEY), "api-key"),
            policies.AzureSasCredentialPolicy.new(
               credentials.AzureSasCredential("sv=1&sig=" .. SIG)),
            policies.NetworkTraceLoggingPolicy.new{ logging_enable = true },
            policies.HttpLoggingPolicy.new(),
         } })
         local challenge = 'Bearer error="insufficient_claims", claims="' .. CLAIMS_B64 .. '"'
         local ok, err = pcall(function()
            assert(get(c, "/status/200", { logging_enable = true }))
            local res = assert(get(c, "/status/401?header=WWW-Authenticate:" .. challenge:gsub(
               "[^%w]", function(ch) return ("%%%02X"):format(ch:byte()) end),
               { logging_enable = true }))
            assert.equal(401, res.status_code)
         end)
         logging.set_handler(nil)
         root:set_level(nil)
         assert(ok, err)
         assert.is_true(#records >= 4, "the logging policies wrote nothing")
         for _, r in ipairs(records) do
            local m = tostring(r.message)
            assert.is_nil(m:find(TOKEN, 1, true), m)
            assert.is_nil(m:find(KEY, 1, true), m)
            assert.is_nil(m:find(SIG, 1, true), m)
         end
      end)
   end
end)
