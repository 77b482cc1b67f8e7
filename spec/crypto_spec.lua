-- azure.core.crypto: the signing primitives for policies written in Lua (OpenSSL, in C).
local crypto = require("azure.core.crypto")

local hex = crypto.hex

describe("azure.core.crypto", function()
   it("sha256 (FIPS 180-4 examples)", function()
      assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         hex(crypto.sha256("")))
      assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         hex(crypto.sha256("abc")))
      assert.equal(32, #crypto.sha256(("x"):rep(100000)))
   end)

   it("hmac_sha256 (RFC 4231 test cases 1, 2 and 6)", function()
      assert.equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         hex(crypto.hmac_sha256(("\11"):rep(20), "Hi There")))
      assert.equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         hex(crypto.hmac_sha256("Jefe", "what do ya want for nothing?")))
      assert.equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         hex(crypto.hmac_sha256(("\170"):rep(131),
            "Test Using Larger Than Block-Size Key - Hash Key First")))
   end)

   it("keys and data are bytes: embedded NULs count", function()
      assert.are_not.equal(crypto.hmac_sha256("k\0a", "d"), crypto.hmac_sha256("k\0b", "d"))
      assert.are_not.equal(crypto.sha256("a\0b"), crypto.sha256("a\0c"))
   end)

   it("base64 and base64url (RFC 4648 §10)", function()
      local plain = { "", "f", "fo", "foo", "foob", "fooba", "foobar" }
      local std = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" }
      local url = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" }
      for i = 1, #plain do
         assert.equal(std[i], crypto.base64_encode(plain[i]))
         assert.equal(url[i], crypto.base64url_encode(plain[i]))
         assert.equal(plain[i], crypto.base64_decode(std[i]))
         assert.equal(plain[i], crypto.base64url_decode(url[i]))
         assert.equal(plain[i], crypto.base64url_decode(std[i])) -- padding optional
      end
      assert.equal("+/+/", crypto.base64_encode("\251\255\191"))
      assert.equal("-_-_", crypto.base64url_encode("\251\255\191"))
   end)

   it("round-trips every byte value", function()
      local t = {}
      for i = 0, 255 do t[#t + 1] = string.char(i) end
      local all = table.concat(t)
      for n = 0, 5 do
         local s = all:sub(1, 256 - n)
         assert.equal(s, crypto.base64_decode(crypto.base64_encode(s)))
         assert.equal(s, crypto.base64url_decode(crypto.base64url_encode(s)))
      end
   end)

   it("invalid Base64 gives nil and a ValueError-kind error object", function()
      for _, bad in ipairs({ "Zm8", "Zm9v!", "Zm 9v", "Z===", "Zm=v", "-_-_" }) do
         local v, err = crypto.base64_decode(bad)
         assert.is_nil(v, bad)
         assert.is_true(err:is("ValueError"), bad)
         assert.matches("invalid base64", tostring(err), 1, true)
      end
      for _, bad in ipairs({ "Zm9vY", "Zg=", "+/+/" }) do
         local v, err = crypto.base64url_decode(bad)
         assert.is_nil(v, bad)
         assert.is_true(err:is("ValueError"), bad)
      end
   end)

   it("http_date formats RFC 1123 dates (now by default)", function()
      assert.equal("Sun, 06 Nov 1994 08:49:37 GMT", crypto.http_date(784111777))
      assert.equal("Thu, 01 Jan 1970 00:00:00 GMT", crypto.http_date(0))
      assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", crypto.http_date())
      assert.has_error(function() crypto.http_date(1e300) end)
   end)

   it("equal compares byte strings", function()
      assert.is_true(crypto.equal("abc", "abc"))
      assert.is_false(crypto.equal("abc", "abd"))
      assert.is_false(crypto.equal("abc", "ab"))
      assert.is_true(crypto.equal("", ""))
   end)

   it("misuse raises: only strings are accepted", function()
      assert.has_error(function() crypto.sha256(12) end)
      assert.has_error(function() crypto.hmac_sha256("k", nil) end)
      assert.has_error(function() crypto.base64_encode({}) end)
      assert.has_error(function() crypto.base64url_decode(1) end)
   end)
end)
