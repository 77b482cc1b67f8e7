-- A request-signing policy written in Lua: HMAC-SHA256 over the method, path, date, host and a
-- hash of the body (the scheme of Azure Communication Services and App Configuration), keyed by
-- an AzureNamedKeyCredential (name = access key id, key = Base64 secret).
-- usage: lua5.4 examples/hmac_signing.lua BASE_URL   (examples/demo.sh starts a local server)
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local credentials = require("azure.core.credentials")
local crypto = require("azure.core.crypto")

local base = arg[1] or os.getenv("DEMO_URL") or "http://127.0.0.1:8080"

local SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"

local function string_to_sign(method, path_and_query, date, host, content_hash)
   return method .. "\n" .. path_and_query .. "\n" .. date .. ";" .. host .. ";" .. content_hash
end

-- A SansIO policy: on_request runs synchronously for every attempt (put it in
-- per_retry_policies so a retry is signed again with a fresh date).
local HmacPolicy = policies.SansIOHTTPPolicy:extend()

function HmacPolicy:init(credential)
   self.credential = credential -- read at each request: credential:update() rotates the key
end

function HmacPolicy:on_request(pipeline_request)
   local req = pipeline_request.http_request
   local host, path = req.url:match("^%a[%w+.-]*://([^/?#]*)([^#]*)")
   if path == "" then path = "/" end
   local named = self.credential.named_key
   local secret = assert(crypto.base64_decode(named.key))
   local date = crypto.http_date()
   local content_hash = crypto.base64_encode(crypto.sha256(req.content or ""))
   local signature = crypto.base64_encode(crypto.hmac_sha256(secret,
      string_to_sign(req.method, path, date, host, content_hash)))
   req.headers["x-ms-date"] = date
   req.headers["x-ms-content-sha256"] = content_hash
   req.headers["Authorization"] = ("HMAC-SHA256 Credential=%s&SignedHeaders=%s&Signature=%s")
      :format(named.name, SIGNED_HEADERS, signature)
end

-- What the service does with the request (here with the echo the test server sends back).
local function verify(echo, secret_b64)
   local h = echo.headers
   local signature = h.authorization:match("Signature=([^&]+)$")
   local to_sign = string_to_sign(echo.method, echo.target, h["x-ms-date"], h.host,
      crypto.base64_encode(crypto.sha256(echo.body)))
   local expected = crypto.base64_encode(crypto.hmac_sha256(
      assert(crypto.base64_decode(secret_b64)), to_sign))
   local body_ok = h["x-ms-content-sha256"] == crypto.base64_encode(crypto.sha256(echo.body))
   return body_ok and crypto.equal(signature, expected)
end

local secret1 = crypto.base64_encode("first secret, 32 bytes long.....")
local credential = credentials.AzureNamedKeyCredential("app-id", secret1)
local client = core.PipelineClient.new(base,
   { per_retry_policies = { HmacPolicy.new(credential) } })

local res = assert(client:send_request(rest.HttpRequest.new("POST", base .. "/echo",
   { json = { greeting = "hello" }, params = { ["api-version"] = "1.0" } })))
local echo = res:json()
print("signed: " .. echo.headers.authorization:gsub("Signature=.*", "Signature=..."))
print("server check: " .. (verify(echo, secret1) and "valid" or "INVALID"))

-- rotate the key: the live client signs with the new secret from the next request on
local secret2 = crypto.base64_encode("second secret, also 32 bytes....")
credential:update("app-id", secret2)
echo = assert(client:send_request(rest.HttpRequest.new("GET", base .. "/echo"))):json()
print(("after rotation: new secret %s, old secret %s"):format(
   verify(echo, secret2) and "valid" or "INVALID", verify(echo, secret1) and "valid" or "invalid"))
client:close()
