-- azure.core.credentials (BEHAVIOR §5): token values, shared-secret credentials and their
-- validation and update rules, and the key / SAS policy constructors' checks (§4.9).
local credentials = require("azure.core.credentials")
local policies = require("azure.core.pipeline.policies")

local function raised(fn, ...)
   local ok, err = pcall(fn, ...)
   assert.is_false(ok, "expected an error")
   return err
end

local function assert_kind(kind, message, err)
   assert.equal(kind, err.kind)
   assert.equal(message, err.message)
end

describe("AccessToken", function()
   it("is an immutable (token, expires_on) pair, unpackable like azure-core's tuple", function()
      local t = credentials.AccessToken.new("tok", 1234)
      assert.equal("tok", t.token)
      assert.equal(1234, t.expires_on)
      assert.equal("tok", t[1])
      assert.equal(1234, t[2])
      assert.equal(2, #t)
      local a, b = (table.unpack or unpack)(t) -- luacheck: ignore (unpack on Lua 5.1)
      assert.equal("tok", a)
      assert.equal(1234, b)
      assert.equal(t, credentials.AccessToken("tok", 1234))
      assert.are_not.equal(t, credentials.AccessToken("tok", 1235))
      assert.is_true(raised(function() t.token = "x" end):is("TypeError"))
   end)

   it("never shows the token in tostring", function()
      local s = tostring(credentials.AccessToken.new("secret-token", 5))
      assert.is_nil(s:find("secret-token", 1, true))
      assert.equal("AccessToken(token=<redacted>, expires_on=5)", s)
   end)

   it("checks its arguments", function()
      assert.equal("TypeError", raised(credentials.AccessToken.new, 1, 2).kind)
      assert.equal("TypeError", raised(credentials.AccessToken.new, "t", "2").kind)
   end)
end)

describe("AccessTokenInfo", function()
   it("has token_type (default Bearer) and an optional refresh_on", function()
      local t = credentials.AccessTokenInfo.new("tok", 100)
      assert.equal("Bearer", t.token_type)
      assert.is_nil(t.refresh_on)
      t = credentials.AccessTokenInfo("tok-secret", 100, { token_type = "PoP", refresh_on = 50 })
      assert.equal("PoP", t.token_type)
      assert.equal(50, t.refresh_on)
      assert.equal(100, t.expires_on)
      assert.is_nil(tostring(t):find("tok-secret", 1, true))
      assert.is_true(raised(function() t.refresh_on = 1 end):is("TypeError"))
   end)

   it("checks its arguments", function()
      assert.equal("TypeError", raised(credentials.AccessTokenInfo.new, "t", 1,
         { refresh_on = "soon" }).kind)
      assert.equal("TypeError", raised(credentials.AccessTokenInfo.new, "t", 1,
         { token_type = 3 }).kind)
   end)
end)

describe("AzureKeyCredential", function()
   it("holds a key and updates it", function()
      local c = credentials.AzureKeyCredential.new("k1")
      assert.equal("k1", c.key)
      c:update("k2")
      assert.equal("k2", c.key)
      assert.is_true(credentials.is_credential(c, "AzureKeyCredential"))
   end)

   it("validates like azure-core", function()
      assert_kind("TypeError", "key must be a string.",
         raised(credentials.AzureKeyCredential.new, 1))
      local c = credentials.AzureKeyCredential("k")
      assert_kind("ValueError", "The key used for updating can not be None or empty",
         raised(c.update, c, ""))
      assert_kind("ValueError", "The key used for updating can not be None or empty",
         raised(c.update, c, nil))
      assert_kind("TypeError", "The key used for updating must be a string.",
         raised(c.update, c, 5))
      assert.equal("k", c.key)
   end)

   it("never shows the key in tostring and refuses writes", function()
      local c = credentials.AzureKeyCredential("super-secret")
      assert.equal("<AzureKeyCredential>", tostring(c))
      assert.has_error(function() c.key = "x" end)
   end)

   it("is collected when unreferenced", function()
      local weak = setmetatable({}, { __mode = "v" })
      weak[1] = credentials.AzureKeyCredential("k")
      collectgarbage()
      collectgarbage()
      assert.is_nil(weak[1])
   end)
end)

describe("AzureSasCredential", function()
   it("holds a signature and updates it", function()
      local c = credentials.AzureSasCredential.new("?sv=1&sig=x")
      assert.equal("?sv=1&sig=x", c.signature)
      c:update("sig=y")
      assert.equal("sig=y", c.signature)
      assert.equal("<AzureSasCredential>", tostring(c))
   end)

   it("validates like azure-core", function()
      assert_kind("TypeError", "signature must be a string.",
         raised(credentials.AzureSasCredential.new, false))
      local c = credentials.AzureSasCredential("s")
      assert_kind("ValueError", "The signature used for updating can not be None or empty",
         raised(c.update, c, ""))
      assert_kind("TypeError", "The signature used for updating must be a string.",
         raised(c.update, c, {}))
   end)
end)

describe("AzureNamedKeyCredential", function()
   it("holds a name and a key, updated together", function()
      local c = credentials.AzureNamedKeyCredential.new("acct", "k1")
      assert.same({ name = "acct", key = "k1" }, c.named_key)
      c:update("acct2", "k2")
      assert.same({ name = "acct2", key = "k2" }, c.named_key)
      c:update("", "") -- azure-core 1.26 accepts empty strings here
      assert.same({ name = "", key = "" }, c.named_key)
      assert.equal("<AzureNamedKeyCredential>", tostring(c))
   end)

   it("validates like azure-core", function()
      assert_kind("TypeError", "Both name and key must be strings.",
         raised(credentials.AzureNamedKeyCredential.new, "a", 1))
      local c = credentials.AzureNamedKeyCredential("a", "b")
      assert_kind("TypeError", "Both name and key must be strings.", raised(c.update, c, nil, "k"))
   end)
end)

describe("token credential protocol", function()
   it("is_token_credential recognises get_token / get_token_info", function()
      assert.is_true(credentials.is_token_credential({ get_token = function() end }))
      assert.is_true(credentials.is_token_credential({ get_token_info = function() end }))
      assert.is_false(credentials.is_token_credential({}))
      assert.is_false(credentials.is_token_credential("token"))
      assert.is_false(credentials.is_token_credential(credentials.AzureKeyCredential("k")))
   end)
end)

describe("credential policy constructors", function()
   local key = credentials.AzureKeyCredential("k")

   it("AzureKeyCredentialPolicy checks credential and name (§4.9)", function()
      assert_kind("TypeError", "String is not a supported credential input type. Use an instance "
         .. "of AzureKeyCredential.", raised(policies.AzureKeyCredentialPolicy.new, "k", "h"))
      assert_kind("TypeError", "String is not a supported credential input type. Use an instance "
         .. "of AzureKeyCredential.", raised(policies.AzureKeyCredentialPolicy.new,
            credentials.AzureNamedKeyCredential("a", "b"), "h"))
      assert_kind("ValueError", "name can not be None or empty",
         raised(policies.AzureKeyCredentialPolicy.new, key, ""))
      assert_kind("ValueError", "name can not be None or empty",
         raised(policies.AzureKeyCredentialPolicy.new, key, nil))
      assert_kind("TypeError", "name must be a string.",
         raised(policies.AzureKeyCredentialPolicy.new, key, 12))
      local p = policies.AzureKeyCredentialPolicy(key, "api-key", { prefix = "Key" })
      assert.equal("api-key", p.name)
      assert.equal("Key", p.prefix)
      assert.equal(key, p.credential)
      assert.is_nil(policies.AzureKeyCredentialPolicy(key, "api-key").prefix)
   end)

   it("AzureSasCredentialPolicy needs a credential", function()
      assert_kind("ValueError", "credential can not be None",
         raised(policies.AzureSasCredentialPolicy.new, nil))
      assert.equal("TypeError", raised(policies.AzureSasCredentialPolicy.new, "sig").kind)
      local c = credentials.AzureSasCredential("s")
      assert.equal(c, policies.AzureSasCredentialPolicy(c).credential)
   end)

   it("BearerTokenCredentialPolicy needs a token credential", function()
      assert.equal("TypeError", raised(policies.BearerTokenCredentialPolicy.new, key, "s").kind)
      assert.has_error(function()
         policies.BearerTokenCredentialPolicy.new({ get_token = function() end }, "s",
            { on_challenge = "yes" })
      end)
      local cred = { get_token = function() end }
      local p = policies.BearerTokenCredentialPolicy(cred, "https://x/.default")
      assert.same({ "https://x/.default" }, p.scopes)
      assert.equal(cred, p.credential)
      assert.is_true(p.enable_cae)
      assert.is_nil(p._token)
      p = policies.BearerTokenCredentialPolicy(cred, { "a", "b" }, { enable_cae = false })
      assert.same({ "a", "b" }, p.scopes)
      assert.is_false(p.enable_cae)
   end)

   it("a policy keeps its credential alive", function()
      local weak = setmetatable({}, { __mode = "v" })
      local p = policies.AzureKeyCredentialPolicy(credentials.AzureKeyCredential("k"), "h")
      weak[1] = p.credential
      collectgarbage()
      collectgarbage()
      assert.is_not_nil(weak[1])
      assert.equal("k", p.credential.key)
   end)
end)
