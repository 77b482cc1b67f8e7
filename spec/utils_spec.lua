-- Specs for azure.core.utils and azure.core.match_conditions (BEHAVIOR.md §9.1-§9.3, §6.4).
-- Expected values were checked against azure-core 1.26.3.
local utils = require("azure.core.utils")
local match_conditions = require("azure.core.match_conditions")
local json = require("azure.core.json")

local CaseInsensitiveDict = utils.CaseInsensitiveDict
local MatchConditions = match_conditions.MatchConditions

local function collect(iter)
   local out = {}
   for k, v in iter do out[#out + 1] = { k, v } end
   return out
end

describe("CaseInsensitiveDict", function()
   it("looks up, contains, assigns and deletes case-insensitively", function()
      local d = CaseInsensitiveDict.new({ ["Content-Type"] = "text/plain" })
      assert.equal("text/plain", d["content-type"])
      assert.equal("text/plain", d["CONTENT-TYPE"])
      assert.is_true(d:contains("Content-type"))
      assert.is_false(d:contains("accept"))
      assert.is_nil(d["accept"])
      d["CONTENT-TYPE"] = "application/json"
      assert.equal("application/json", d["content-type"])
      assert.equal(1, d:len())
      d["content-TYPE"] = nil
      assert.is_nil(d["Content-Type"])
      assert.equal(0, d:len())
      d["missing"] = nil -- removing an absent key is a no-op
      assert.equal(0, d:len())
   end)

   it("keeps the case of the most recent assignment in its original position", function()
      local d = CaseInsensitiveDict.new({ { "Accept", "x" }, { "B", "1" }, { "c", "2" } })
      d["ACCEPT"] = "y"
      assert.same({ "ACCEPT", "B", "c" }, d:keys())
      assert.same({ { "ACCEPT", "y" }, { "B", "1" }, { "c", "2" } }, collect(d:items()))
      assert.same({ { "accept", "y" }, { "b", "1" }, { "c", "2" } }, collect(d:lowerkey_items()))
      assert.same({ "y", "1", "2" }, d:values())
      assert.equal("{'ACCEPT': 'y', 'B': '1', 'c': '2'}", tostring(d))
   end)

   it("moves a deleted and re-added key to the end", function()
      local d = CaseInsensitiveDict.new({ { "a", 1 }, { "b", 2 }, { "c", 3 } })
      d.A = nil
      d.A = 4
      assert.same({ "b", "c", "A" }, d:keys())
   end)

   it("builds from pairs first, then string keys in sorted order, then extra", function()
      local d = CaseInsensitiveDict.new({ { "Z", 1 }, y = 2, x = 3 }, { W = 4, z = 5 })
      assert.same({ "z", "x", "y", "W" }, d:keys())
      assert.equal(5, d.Z)
      assert.equal(4, d:len())
      local d2 = utils.case_insensitive_dict({ { "k", "v" } })
      assert.equal("v", d2.K)
      assert.equal(0, CaseInsensitiveDict.new():len())
      assert.equal(1, CaseInsensitiveDict({ a = 1 }):len())
   end)

   it("builds from another CaseInsensitiveDict keeping order and case", function()
      local a = CaseInsensitiveDict.new({ { "X-One", 1 }, { "x-two", 2 } })
      local b = CaseInsensitiveDict.new(a)
      assert.same({ "X-One", "x-two" }, b:keys())
   end)

   it("rejects non-string keys and malformed pairs", function()
      assert.has_error(function() CaseInsensitiveDict.new({ [true] = 1 }) end)
      assert.has_error(function() CaseInsensitiveDict.new({ { "only-key" } }) end)
      assert.has_error(function() CaseInsensitiveDict.new("x") end)
      local d = CaseInsensitiveDict.new()
      assert.has_error(function() d[42] = 1 end)
      assert.is_nil(d[42])
   end)

   it("get and pop take defaults", function()
      local d = CaseInsensitiveDict.new({ Key = "v" })
      assert.equal("v", d:get("KEY"))
      assert.is_nil(d:get("other"))
      assert.equal("dflt", d:get("other", "dflt"))
      assert.equal("dflt", d:pop("other", "dflt"))
      assert.equal("v", d:pop("key"))
      assert.is_nil(d:get("Key"))
      assert.equal(0, d:len())
   end)

   it("methods win over same-named keys for d.name; get reads the key", function()
      local d = CaseInsensitiveDict.new({ keys = "stored" })
      assert.equal("function", type(d.keys))
      assert.equal("stored", d:get("keys"))
      assert.equal("stored", d.Keys) -- any other spelling is a plain lookup
   end)

   it("compares with any mapping by lowercased keys", function()
      local d = CaseInsensitiveDict.new({ PLATFORMUPDATEDOMAINCOUNT = 5 })
      assert.is_true(d:equals({ platformUpdateDomainCount = 5 }))
      assert.is_true(d:equals(CaseInsensitiveDict.new({ platformupdatedomaincount = 5 })))
      assert.is_false(d:equals({ platformUpdateDomainCount = 6 }))
      assert.is_false(d:equals({ platformUpdateDomainCount = 5, other = 1 }))
      assert.is_false(d:equals({}))
      assert.is_false(d:equals("PLATFORMUPDATEDOMAINCOUNT"))
      assert.is_false(d:equals(nil))
      assert.is_false(d:equals({ 5 }))
      assert.is_true(CaseInsensitiveDict.new():equals({}))
      -- __eq between two dicts works on every Lua version
      assert.is_true(d == CaseInsensitiveDict.new({ platformUpdateDomainCount = 5 }))
      assert.is_false(d == CaseInsensitiveDict.new({ platformUpdateDomainCount = 4 }))
   end)

   it("copy is independent and equal", function()
      local d = CaseInsensitiveDict.new({ { "A", 1 }, { "b", 2 } })
      local c = d:copy()
      assert.is_true(c:equals(d))
      assert.same(d:keys(), c:keys())
      c.a = 10
      assert.equal(1, d.A)
      assert.same({ "a", "b" }, c:keys())
   end)

   it("supports # and pairs where the Lua version does", function()
      local d = CaseInsensitiveDict.new({ { "A", 1 }, { "B", 2 } })
      if _VERSION ~= "Lua 5.1" then
         assert.equal(2, #d)
         local seen = {}
         for k, v in pairs(d) do seen[#seen + 1] = k .. "=" .. v end
         assert.same({ "A=1", "B=2" }, seen)
      end
   end)

   it("allows removing entries while iterating items()", function()
      local d = CaseInsensitiveDict.new()
      for i = 1, 50 do d["k" .. i] = i end
      local visited = 0
      for k, v in d:items() do
         visited = visited + 1
         if v % 2 == 0 then d[k] = nil end
      end
      assert.equal(50, visited)
      assert.equal(25, d:len())
   end)

   it("compacts removed slots and keeps order across many updates", function()
      local d = CaseInsensitiveDict.new()
      for i = 1, 1000 do d["Key" .. i] = i end
      for i = 1, 990 do d["KEY" .. i] = nil end
      for i = 1001, 1005 do d["key" .. i] = i end
      local st = rawget(d, next(d)) -- the one raw field is the private state
      assert.is_true(#st.order < 100)
      assert.same({ "Key991", "Key992", "Key993", "Key994", "Key995", "Key996", "Key997",
         "Key998", "Key999", "Key1000", "key1001", "key1002", "key1003", "key1004", "key1005" },
         d:keys())
      assert.equal(15, d:len())
   end)

   it("update, set and clear", function()
      local d = CaseInsensitiveDict.new({ a = 1 })
      d:update({ A = 2, b = 3 })
      assert.same({ "A", "b" }, d:keys())
      d:set("C", 4)
      assert.equal(4, d.c)
      d:clear()
      assert.equal(0, d:len())
      assert.same({}, d:keys())
   end)

   it("renders as an object with the JSON encoder", function()
      local serialization = require("azure.core.serialization")
      local d = CaseInsensitiveDict.new({ { "X-Ms-Id", "1" } })
      assert.equal('{"X-Ms-Id":"1"}', serialization.encode_json(d))
      assert.same({ ["X-Ms-Id"] = "1" }, d:to_table())
   end)

   it("repr quotes like Python", function()
      local d = CaseInsensitiveDict.new({ { "a", "it's" }, { "B", 'x"y\n' }, { "n", json.NULL },
         { "t", true } })
      assert.equal([[{'a': "it's", 'B': 'x"y\n', 'n': None, 't': True}]], tostring(d))
   end)
end)

describe("parse_connection_string", function()
   local MALFORMED = "Connection string is either blank or malformed."

   for _, s in ipairs({ "", "foobar", "foo;bar;baz", ";", "foo=;bar=;", "=", "=;==", "a=1;;b=2",
      "a=1;a=2", "   ", "a", "=b" }) do
      it("rejects " .. string.format("%q", s), function()
         local r, err = utils.parse_connection_string(s)
         assert.is_nil(r)
         assert.equal("ValueError", err.type)
         assert.equal(MALFORMED, err.message)
         assert.equal(MALFORMED, tostring(err))
      end)
   end

   it("splits at the first '=' and keeps padding", function()
      assert.same({ a = "=b" }, utils.parse_connection_string("a==b"))
      assert.same({ accountkey = "abc==" }, utils.parse_connection_string("AccountKey=abc=="))
   end)

   it("does not trim keys or values, only the whole string", function()
      assert.same({ a = "b ", [" c"] = "d" }, utils.parse_connection_string(" a=b ; c=d"))
      -- Python's str.strip(): \x1c-\x1f and Unicode spaces (NBSP, EM SPACE) count
      assert.same({ a = "b" }, utils.parse_connection_string("\28a=b\31"))
      assert.same({ a = "b" }, utils.parse_connection_string("\194\160a=b\226\128\131"))
      assert.same({ a = "b" }, utils.parse_connection_string("\t a=b \n"))
   end)

   it("strips every trailing ';' and lowercases keys", function()
      assert.same({ endpoint = "sb://x/", sharedaccesskeyname = "k", sharedaccesskey = "v=" },
         utils.parse_connection_string(
            "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=v=;;;"))
   end)

   it("reports keys equal ignoring case", function()
      local r, err = utils.parse_connection_string("a=1;A=2")
      assert.is_nil(r)
      assert.equal("ValueError", err.type)
      assert.equal("Duplicate key in connection string: a", err.message)
      r, err = utils.parse_connection_string("a=1;b=2;A=3;B=4")
      assert.equal("Duplicate key in connection string: a", err.message)
      -- an exact repeat is reported as malformed, even after a case duplicate
      r, err = utils.parse_connection_string("x=1;a=1;a=2;A=3")
      assert.equal(MALFORMED, err.message)
   end)

   it("keeps case with case_sensitive_keys", function()
      assert.same({ enDpoInt = "a", Endpoint = "b" },
         utils.parse_connection_string("enDpoInt=a;Endpoint=b", true))
      local r, err = utils.parse_connection_string("a=1;a=2", true)
      assert.is_nil(r)
      assert.equal(MALFORMED, err.message)
   end)

   it("raises for a non-string argument", function()
      assert.has_error(function() utils.parse_connection_string(nil) end)
   end)
end)

describe("MatchConditions", function()
   it("has the azure-core values and a reverse lookup", function()
      assert.equal(1, MatchConditions.Unconditionally)
      assert.equal(2, MatchConditions.IfNotModified)
      assert.equal(3, MatchConditions.IfModified)
      assert.equal(4, MatchConditions.IfPresent)
      assert.equal(5, MatchConditions.IfMissing)
      assert.equal("IfNotModified", MatchConditions[2])
      assert.equal("IfMissing", match_conditions.name_of(5))
      assert.is_nil(match_conditions.name_of(6))
      assert.is_true(match_conditions.is_valid(1))
      assert.is_false(match_conditions.is_valid(0))
      local n = 0
      for _ in pairs(MatchConditions) do n = n + 1 end
      assert.equal(5, n)
      assert.equal(MatchConditions, utils.MatchConditions)
   end)

   it("raises on unknown members and on writes", function()
      assert.has_error(function() return MatchConditions.IfNotModifed end)
      assert.has_error(function() MatchConditions.Other = 6 end)
   end)
end)

describe("etag helpers", function()
   it("quote_etag", function()
      assert.is_nil(utils.quote_etag(nil))
      assert.equal("", utils.quote_etag(""))
      assert.equal("*", utils.quote_etag("*"))
      assert.equal('W/"abc"', utils.quote_etag('W/"abc"'))
      assert.equal('"abc"', utils.quote_etag('"abc"'))
      assert.equal("'abc'", utils.quote_etag("'abc'"))
      assert.equal('"abc"', utils.quote_etag("abc"))
      assert.equal('"0x8D9"', utils.quote_etag("0x8D9"))
      assert.equal('""abc"', utils.quote_etag('"abc'))
      assert.equal('"', utils.quote_etag('"'))
   end)

   it("prep_if_match", function()
      assert.equal('"e"', utils.prep_if_match("e", MatchConditions.IfNotModified))
      assert.equal('"e"', utils.prep_if_match('"e"', MatchConditions.IfNotModified))
      assert.is_nil(utils.prep_if_match(nil, MatchConditions.IfNotModified))
      assert.is_nil(utils.prep_if_match("", MatchConditions.IfNotModified))
      assert.equal("*", utils.prep_if_match("e", MatchConditions.IfPresent))
      assert.equal("*", utils.prep_if_match(nil, MatchConditions.IfPresent))
      assert.is_nil(utils.prep_if_match("e", MatchConditions.IfModified))
      assert.is_nil(utils.prep_if_match("e", MatchConditions.IfMissing))
      assert.is_nil(utils.prep_if_match("e", MatchConditions.Unconditionally))
      assert.is_nil(utils.prep_if_match("e", nil))
      assert.equal('"e"', utils.prep_if_match("e", "IfNotModified"))
   end)

   it("prep_if_none_match", function()
      assert.equal('"e"', utils.prep_if_none_match("e", MatchConditions.IfModified))
      assert.is_nil(utils.prep_if_none_match(nil, MatchConditions.IfModified))
      assert.equal("*", utils.prep_if_none_match("e", MatchConditions.IfMissing))
      assert.is_nil(utils.prep_if_none_match("e", MatchConditions.IfNotModified))
      assert.is_nil(utils.prep_if_none_match("e", MatchConditions.IfPresent))
      assert.is_nil(utils.prep_if_none_match("e", MatchConditions.Unconditionally))
      assert.equal("*", utils.prep_if_none_match(nil, "IfMissing"))
   end)

   it("error_map_for adds the 412/304 entries of each condition", function()
      assert.same({ [412] = "ResourceModifiedError" },
         utils.error_map_for(MatchConditions.IfNotModified))
      assert.same({ [412] = "ResourceNotFoundError" },
         utils.error_map_for(MatchConditions.IfPresent))
      assert.same({ [412] = "ResourceExistsError" }, utils.error_map_for(MatchConditions.IfMissing))
      assert.same({ [304] = "ResourceNotModifiedError" },
         utils.error_map_for(MatchConditions.IfModified))
      assert.same({}, utils.error_map_for(MatchConditions.Unconditionally))
      assert.same({}, utils.error_map_for(nil))
      local base = utils.default_error_map()
      assert.same({
         [401] = "ClientAuthenticationError", [404] = "ResourceNotFoundError",
         [409] = "ResourceExistsError", [304] = "ResourceNotModifiedError",
      }, base)
      local m = utils.error_map_for("IfNotModified", base)
      assert.equal("ResourceModifiedError", m[412])
      assert.equal("ClientAuthenticationError", m[401])
      assert.is_nil(base[412]) -- base untouched
   end)
end)
