--- Paging (BEHAVIOR §7): ItemPaged and PageIterator, plus ready-made pagers for the common Azure
-- shapes (a JSON `value` list with a `nextLink`, or a continuation token in a response header).
--
-- A pager is lazy: nothing is fetched until the first item or page is asked for. `get_next(token)`
-- fetches one page (the first call gets the starting token, normally nil) and returns a response,
-- or nil and an error; `extract_data(response)` returns the next page's token and the list of
-- items. Only a nil (or JSON null) token ends paging: an empty string asks for another page.
-- An error raised while fetching a page carries, in `err.continuation_token`, the token of the
-- page being fetched, so `pager:by_page(err.continuation_token)` resumes there.
-- @module azure.core.paging
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")

local type, error, pcall, setmetatable, getmetatable, tostring, select, pairs, ipairs =
   type, error, pcall, setmetatable, getmetatable, tostring, select, pairs, ipairs
local format, match = string.format, string.match

local NULL = json.NULL
local is_error = exceptions.is_error

local M = {}

-- Python truthiness of a token already stored on an error (nil, false, null and "" are unset).
local function token_set(v)
   return v ~= nil and v ~= false and v ~= NULL and v ~= ""
end

-- An error value returned or raised by user code, as an error object carrying `token`.
local function with_token(err, token)
   if not is_error(err) then err = exceptions.wrap(err) end
   if not token_set(err.continuation_token) then err.continuation_token = token end
   return err
end

local function pack(...) return { n = select("#", ...), ... } end

local callable = require("azure.core.utils")._callable

-- Both constructors take the same two callbacks: raise (at their caller) when one is not callable.
local function check_callbacks(who, get_next, extract_data)
   if not callable(get_next) then
      error(who .. ": get_next must be a function, got " .. type(get_next), 3)
   end
   if not callable(extract_data) then
      error(who .. ": extract_data must be a function, got " .. type(extract_data), 3)
   end
end

---------------------------------------------------------------------------------------------------
-- PageIterator
---------------------------------------------------------------------------------------------------

local PageIterator = {}
PageIterator.__index = PageIterator
PageIterator.__name = "azure.core.paging.PageIterator"
M.PageIterator = PageIterator

--- An iterator of pages.
-- @tparam function get_next `get_next(token) -> response | nil, err` (may also raise)
-- @tparam function extract_data `extract_data(response) -> next_token, items` (may raise, or
-- return `nil, err` with an error object)
-- @param[opt] continuation_token the token of the first page to fetch (any value; nil = start)
-- @return PageIterator: call `it:next()`, or use it in a `for` loop
function PageIterator.new(get_next, extract_data, continuation_token)
   check_callbacks("PageIterator.new", get_next, extract_data)
   return setmetatable({ _get_next = get_next, _extract_data = extract_data,
      continuation_token = continuation_token, _did_a_call_already = false }, PageIterator)
end

--- Derive a page iterator class (for `ItemPaged`'s `page_iterator_class` option).
function PageIterator:extend()
   local cls = setmetatable({}, { __index = self })
   cls.__index = cls
   cls.__call = self.__call
   cls.__name = self.__name
   cls.new = function(...)
      local it = PageIterator.new(...)
      return setmetatable(it, cls)
   end
   return cls
end

--- The next page.
-- @return the page (a list of items); nil when paging has ended; or nil and an error object
-- whose `continuation_token` is the token of the page that failed
function PageIterator:next()
   if self._done then return nil end
   local token = self.continuation_token
   if token == NULL then token = nil end
   if token == nil and self._did_a_call_already then
      self._done = true
      return nil
   end
   local ok, response, err = pcall(self._get_next, token)
   if not ok then return nil, with_token(response, token) end
   if response == nil then
      return nil, with_token(err or exceptions.AzureError.new{
         message = "get_next returned no response" }, token)
   end
   self.response = response
   local r = pack(pcall(self._extract_data, response))
   if not r[1] then return nil, with_token(r[2], token) end
   local next_token, items = r[2], r[3]
   if next_token == nil and (is_error(items) or type(items) == "string") then
      return nil, with_token(items, token) -- `return nil, err`
   end
   if items == nil or items == NULL then items = {} end
   if type(items) ~= "table" then
      return nil, with_token(exceptions.from_native("TypeError", "extract_data must return "
         .. "next_token, items (a list), got items of type " .. type(items)), token)
   end
   if next_token == NULL then next_token = nil end
   -- only now: a page whose data could not be extracted is fetched again by the next call
   self._did_a_call_already = true
   self.continuation_token = next_token
   return items
end

--- `for page in it do`: the next page, nil at the end; raises the error object on failure.
function PageIterator.__call(self)
   local page, err = self:next()
   if page == nil and err ~= nil then error(err, 0) end
   return page
end

--- `for page in it:pages() do` (the same as `for page in it do`).
function PageIterator:pages()
   return function() return PageIterator.__call(self) end
end

---------------------------------------------------------------------------------------------------
-- ItemPaged
---------------------------------------------------------------------------------------------------

local ItemPaged = {}
ItemPaged.__index = ItemPaged
ItemPaged.__name = "azure.core.paging.ItemPaged"
M.ItemPaged = ItemPaged

--- A lazy pager of items.
-- @tparam function get_next see PageIterator.new
-- @tparam function extract_data see PageIterator.new
-- @tparam[opt] table opts `continuation_token` (where `items()` and `by_page()` start by
-- default), `page_iterator_class` (default PageIterator)
-- @return ItemPaged
function ItemPaged.new(get_next, extract_data, opts)
   check_callbacks("ItemPaged.new", get_next, extract_data)
   if opts ~= nil and type(opts) ~= "table" then
      error("ItemPaged.new: options must be a table, got " .. type(opts), 2)
   end
   opts = opts or {}
   local cls = opts.page_iterator_class or PageIterator
   if type(cls) ~= "table" or type(cls.new) ~= "function" then
      error("ItemPaged.new: page_iterator_class must be a class with new()", 2)
   end
   local self = { _get_next = get_next, _extract_data = extract_data, _class = cls,
      _start = opts.continuation_token }
   self._addr = match(tostring(self), "0x%x+") or tostring(self)
   return setmetatable(self, ItemPaged)
end

--- A new page iterator starting at `continuation_token` (the pager's starting token when nil).
-- Each call starts over: nothing is shared with other iterations.
-- @param[opt] continuation_token e.g. `err.continuation_token` or `pages.continuation_token`
-- @return PageIterator
function ItemPaged:by_page(continuation_token)
   if continuation_token == nil then continuation_token = self._start end
   return self._class.new(self._get_next, self._extract_data, continuation_token)
end

-- Items of successive pages of `pages` as next() -> item | nil | nil, err.
local function flatten(pages)
   local page, i = nil, 0
   return function()
      while true do
         if page then
            i = i + 1
            if i <= #page then return page[i] end
         end
         local err
         page, err = pages:next()
         if page == nil then return nil, err end
         i = 0
      end
   end
end

--- Iterate every item of every page (a new iteration from the start each call):
-- `for item in pager:items() do ... end`. Raises the error object when a page fails
-- (`err.continuation_token` is where to resume with `by_page`).
-- @return iterator function
function ItemPaged:items()
   local nxt = flatten(self:by_page())
   return function()
      local item, err = nxt()
      if item == nil and err ~= nil then error(err, 0) end
      return item
   end
end

--- The next item of the pager's own iteration (Python's `next(pager)`), without raising.
-- @return the item; nil at the end; or nil and an error object
function ItemPaged:next()
   if not self._stream then self._stream = flatten(self:by_page()) end
   return self._stream()
end

--- `for item in pager do`: continues the pager's own iteration; raises on failure.
function ItemPaged.__call(self)
   local item, err = self:next()
   if item == nil and err ~= nil then error(err, 0) end
   return item
end

function ItemPaged.__tostring(self)
   return format("<iterator object azure.core.paging.ItemPaged at %s>", self._addr)
end

---------------------------------------------------------------------------------------------------
-- Pagers for the common Azure shapes
---------------------------------------------------------------------------------------------------

local function is_request(v)
   local mt = type(v) == "userdata" and getmetatable(v)
   return mt and mt.__name == "azure.core.HttpRequest" or false
end

-- Copy `t` (one level), or an empty table.
local function copy(t)
   local o = {}
   if t then for k, v in pairs(t) do o[k] = v end end
   return o
end

-- The first request, fresh for each traversal (an HttpRequest is copied: the pipeline writes
-- headers such as the request id into what it sends).
local function first_request(client, first, opts, token)
   local req
   if type(first) == "function" then
      req = first(token)
   elseif is_request(first) then
      req = first:copy()
   elseif type(first) == "string" then
      req = client:get(first, opts.params)
   else
      error("the first request must be a URL string, an HttpRequest or a function", 3)
   end
   if not is_request(req) then
      error("the first-request function must return an HttpRequest, got " .. type(req), 3)
   end
   if opts.headers then req.headers:update(opts.headers) end
   return req
end

-- Send and check the status (2xx), mapping errors as generated clients do.
local function send_checked(client, req, opts)
   local res, err = client:send_request(req, opts.request_options and copy(opts.request_options))
   if not res then return nil, err end
   if res.status_code < 200 or res.status_code >= 300 then
      if opts.error_map then
         local ok, mapped = pcall(exceptions.map_error, res.status_code, res, opts.error_map)
         if not ok then return nil, mapped end
      end
      return nil, exceptions.HttpResponseError.new{ response = res }
   end
   return res
end

local function json_body(res)
   local body, err = res:json()
   if body == nil then return nil, err end
   if type(body) ~= "table" then
      return nil, exceptions.DecodeError.new{ message = "the page is not a JSON object or array",
         response = res }
   end
   return body
end

-- Items of a decoded body: `items` names a field (nil: the body itself when it is a list), or
-- is a function(body) -> list. Each item goes through `item` when given.
local function body_items(body, items, item)
   local list
   if type(items) == "function" then
      list = items(body)
   elseif items == false or (items == nil and body[1] ~= nil) then
      list = body
   else
      list = body[items or "value"]
   end
   if list == nil or list == NULL then return {} end
   if type(list) ~= "table" then
      error(exceptions.DecodeError.new{ message = "the page's items are not a list" }, 0)
   end
   if item then
      local out = {}
      for i = 1, #list do out[i] = item(list[i]) end
      return out
   end
   return list
end

local NEXT_LINK_KEYS = { "nextLink", "odata.nextLink", "@odata.nextLink" }

-- The next link of a decoded body; JSON null and "" mean "no more pages" (as generated code).
local function body_next_link(body, next_link)
   local link
   if type(next_link) == "function" then
      link = next_link(body)
   elseif next_link ~= nil then
      link = body[next_link]
   else
      for _, k in ipairs(NEXT_LINK_KEYS) do
         link = body[k]
         if link ~= nil and link ~= NULL then break end
      end
   end
   if link == NULL or link == "" or link == false then return nil end
   return link
end

--- A pager over the standard Azure list shape: a JSON object whose `value` holds the items and
-- whose `nextLink` (or `odata.nextLink`, `@odata.nextLink`) is the URL of the next page.
-- Relative links are resolved against the client (`client:format_url`).
-- @param client a PipelineClient
-- @param first the first page: a URL or path (GET, with `opts.params`), an HttpRequest (copied
-- for each traversal), or `function() -> HttpRequest`
-- @tparam[opt] table opts
-- `items` (field name, default "value"; or `function(body) -> list`),
-- `next_link` (field name; default: nextLink, then odata.nextLink, then @odata.nextLink; or
-- `function(body) -> link`),
-- `item` (`function(raw_item) -> value`, to deserialize each item),
-- `next_request` (`function(link) -> HttpRequest`; default: `client:get(link)`),
-- `params` (query of the first request), `headers` (added to every request),
-- `request_options` (per-call options for every send), `error_map` (status -> error class),
-- `continuation_token` (the next link to start from)
-- @return ItemPaged
function M.next_link_paged(client, first, opts)
   if type(client) ~= "table" or type(client.send_request) ~= "function" then
      error("next_link_paged: client must be a PipelineClient", 2)
   end
   opts = opts or {}
   if type(first) ~= "string" and type(first) ~= "function" and not is_request(first) then
      error("next_link_paged: the first page must be a URL, an HttpRequest or a function", 2)
   end
   local function get_next(link)
      local req
      if link == nil then
         req = first_request(client, first, opts)
      elseif opts.next_request then
         req = opts.next_request(link)
      else
         req = client:get(link)
         if opts.headers then req.headers:update(opts.headers) end
      end
      return send_checked(client, req, opts)
   end
   local function extract_data(res)
      local body, err = json_body(res)
      if not body then return nil, err end
      return body_next_link(body, opts.next_link), body_items(body, opts.items, opts.item)
   end
   return ItemPaged.new(get_next, extract_data, { continuation_token = opts.continuation_token })
end

--- A pager whose continuation token comes in a response header and goes back in a query
-- parameter or a request header of the same request (Cosmos DB, Tables, ... style).
-- @param client a PipelineClient
-- @param first as for next_link_paged
-- @tparam table opts
-- `header` (the response header holding the token, required),
-- `query_param` (send the token back as this query parameter) or `request_header` (as this
-- request header; default: the same name as `header` when `query_param` is not given),
-- `items` (field name, default "value"; false = the body is the list; or a function(body)),
-- `item`, `params`, `headers`, `request_options`, `error_map`, `continuation_token` (as for
-- next_link_paged)
-- @return ItemPaged
function M.continuation_header_paged(client, first, opts)
   if type(client) ~= "table" or type(client.send_request) ~= "function" then
      error("continuation_header_paged: client must be a PipelineClient", 2)
   end
   if type(opts) ~= "table" or type(opts.header) ~= "string" then
      error("continuation_header_paged: opts.header (the response header name) is required", 2)
   end
   if type(first) ~= "string" and type(first) ~= "function" and not is_request(first) then
      error("continuation_header_paged: the first page must be a URL, an HttpRequest or a "
         .. "function", 2)
   end
   local request_header = opts.request_header
   if request_header == nil and opts.query_param == nil then request_header = opts.header end
   local function get_next(token)
      local req = first_request(client, first, opts, token)
      if token ~= nil then
         if opts.query_param then
            req:format_parameters({ [opts.query_param] = tostring(token) })
         else
            req.headers[request_header] = tostring(token)
         end
      end
      return send_checked(client, req, opts)
   end
   local function extract_data(res)
      local body, err = json_body(res)
      if not body then return nil, err end
      local token = res.headers[opts.header]
      if token == "" then token = nil end
      return token, body_items(body, opts.items, opts.item)
   end
   return ItemPaged.new(get_next, extract_data, { continuation_token = opts.continuation_token })
end

return M
