--- Signing primitives for policies written in Lua (OpenSSL's libcrypto, in C).
--
--    local crypto = require("azure.core.crypto")
--    local mac = crypto.hmac_sha256(crypto.base64_decode(key), string_to_sign)
--    request.headers["Authorization"] = "HMAC-SHA256 Signature=" .. crypto.base64_encode(mac)
--
-- Every value is a byte string; passing anything else raises. Decoders return `nil, err` (an
-- error object of kind "ValueError") for text that is not Base64. See examples/hmac_signing.lua.
-- @module azure.core.crypto
local native = require("azure.core.native")

local c = native.crypto

local M = {}

--- HMAC-SHA256 of `data` under `key` (RFC 2104).
-- @tparam string key raw key bytes (decode a Base64 account key first)
-- @tparam string data
-- @treturn string the 32-byte MAC (raw bytes)
M.hmac_sha256 = c.hmac_sha256

--- SHA-256 of `data`.
-- @tparam string data
-- @treturn string the 32-byte digest (raw bytes)
M.sha256 = c.sha256

--- Base64 (RFC 4648 §4, `+` `/`, padded).
-- @tparam string data
-- @treturn string
M.base64_encode = c.base64_encode

--- Decode Base64 (standard alphabet; the padding must be right; no whitespace).
-- @tparam string text
-- @return bytes, or nil and an error object
M.base64_decode = c.base64_decode

--- Base64url (RFC 4648 §5, `-` `_`, no padding), as in JWTs and claims challenges.
-- @tparam string data
-- @treturn string
M.base64url_encode = c.base64url_encode

--- Decode Base64url; `=` padding is optional.
-- @tparam string text
-- @return bytes, or nil and an error object
M.base64url_decode = c.base64url_decode

--- An RFC 1123 date for a `Date` / `x-ms-date` header: "Sun, 06 Nov 1994 08:49:37 GMT".
-- @tparam[opt] number unix_seconds default: now
-- @treturn string
M.http_date = c.http_date

--- Compare two byte strings in time independent of their content (for MACs).
-- @tparam string a
-- @tparam string b
-- @treturn boolean
M.equal = c.equal

--- Lowercase hexadecimal of a byte string (for logs of digests, test vectors).
-- @tparam string data
-- @treturn string
function M.hex(data)
   return (data:gsub(".", function(ch) return ("%02x"):format(ch:byte()) end))
end

return M
