#!/bin/sh
# The README's demo command: installs what is missing (Debian packages), builds, starts the
# project's local test server on 127.0.0.1, runs examples/quickstart.lua against it, stops it.
set -u
cd "$(dirname "$0")/.." || exit 1
sh spec/support/deps.sh demo || exit 1
make -j2 >/dev/null || exit 1
out=$(mktemp)
lua5.4 spec/support/server.lua >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$out"' EXIT INT TERM
i=0
port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
  port=$(sed -n 's/^PORT //p' "$out")
  [ -n "$port" ] || sleep 0.05
  i=$((i + 1))
done
[ -n "$port" ] || { echo "the demo server did not start" >&2; exit 1; }
LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" \
  lua5.4 examples/quickstart.lua "http://127.0.0.1:$port"
