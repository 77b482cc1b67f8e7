#!/bin/sh
# The README's test command (`make test`): install what is missing, build, run the C unit tests,
# the busted specs under Lua 5.4, the LuaJIT load check and the offline luarocks build, against
# real servers on 127.0.0.1 started here and stopped by pid. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
passed=0
failed=0
note() { echo "== $*"; }
count() { passed=$((passed + $1)); failed=$((failed + $2)); }
finish() {
  [ -n "${WORK:-}" ] && [ -d "$WORK" ] && sh spec/support/servers.sh stop "$WORK" >/dev/null 2>&1
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

sh spec/support/deps.sh test || { echo "dependency installation failed"; count 0 1; finish; }

note "build (Lua 5.4, C core, C tests)"
if ! make -j2 all ctest; then count 0 1; finish; fi

note "build for Lua 5.1 and LuaJIT (same sources, warning-free)"
for v in "LUA_VERSION=5.1" "LUA=luajit"; do
  if make -j2 $v native WARN_EXTRA=-Werror >/dev/null 2>build/compat.log; then count 1 0; else
    echo "build with $v failed:"; cat build/compat.log; count 0 1; fi
done

WORK=$(mktemp -d /tmp/azure-core-test.XXXXXX)
trap finish INT TERM
note "servers"
if ! sh spec/support/servers.sh start "$WORK"; then echo "servers failed to start"; count 0 1; finish; fi
. "$WORK/env.sh"
export TEST_SERVER_URL TEST_BLACKHOLE_PORT TEST_TLS_URL TEST_MTLS_URL TEST_H2_URL TEST_CA \
  TEST_CA_OTHER TEST_CLIENT_CERT TEST_CLIENT_KEY TEST_CLIENT_COMBINED TEST_PROXY_URL \
  TEST_AUTH_PROXY_URL

note "C unit tests"
for t in build/ctest/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1)
  echo "$out" | tail -n 20
  line=$(echo "$out" | grep -E '^ctest .*: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -z "$line" ]; then echo "$t: no result line"; count 0 1; continue; fi
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
  f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
  count "$p" "$f"
done

note "LuaJIT loads the 5.1 build"
if luajit -e "package.cpath='$ROOT/build/luajit/?.so;'..package.cpath
  package.path='$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;'..package.path
  local rest = require('azure.core.rest')
  local r = rest.HttpRequest.new('GET', 'http://127.0.0.1/x', {params = {a = '1'}})
  assert(r.url == 'http://127.0.0.1/x?a=1', r.url)
  local t = require('azure.core.pipeline.transport').CurlTransport.new()
  local res = assert(t:send(rest.HttpRequest.new('GET', os.getenv('TEST_SERVER_URL') .. '/json')))
  assert(res.status_code == 200 and res:json().hello == 'world')
  t:close()"; then count 1 0; else echo "luajit load check failed"; count 0 1; fi

note "busted (Lua 5.4)"
export LUA_CPATH="$ROOT/build/lua5.4/?.so;;"
busted --lua=lua5.4 -o utfTerminal spec >"$WORK/busted.log" 2>&1
cat "$WORK/busted.log" | tail -n 60
sline=$(grep -E '[0-9]+ success' "$WORK/busted.log" | tail -n 1)
if [ -z "$sline" ]; then echo "busted printed no summary"; count 0 1; else
  s=$(echo "$sline" | grep -oE '[0-9]+ success' | grep -oE '[0-9]+')
  fl=$(echo "$sline" | grep -oE '[0-9]+ failure' | grep -oE '[0-9]+')
  er=$(echo "$sline" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
  count "${s:-0}" $(( ${fl:-0} + ${er:-0} ))
fi

note "luarocks make (offline, local tree)"
# built from a copy: luarocks' builtin backend writes objects next to the sources
mkdir -p "$WORK/rocksrc" && cp -r src lua rockspec "$WORK/rocksrc/"
if (cd "$WORK/rocksrc" && luarocks --lua-version 5.4 --tree "$WORK/rocks" make --deps-mode=none \
    rockspec/azure-core-scm-1.rockspec) >"$WORK/rocks.log" 2>&1 &&
  lua5.4 -e "package.cpath='$WORK/rocks/lib/lua/5.4/?.so;'..package.cpath
    package.path='$WORK/rocks/share/lua/5.4/?.lua;$WORK/rocks/share/lua/5.4/?/init.lua;'..package.path
    local n = require('azure.core.native'); assert(n.VERSION)
    assert(package.searchpath('azure.core.native', package.cpath):find('$WORK/rocks', 1, true))
    require('azure.core.rest'); require('azure.core.pipeline.transport')"; then
  count 1 0
else
  tail -n 30 "$WORK/rocks.log"; echo "luarocks make failed"; count 0 1
fi

finish
