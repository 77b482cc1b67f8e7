#!/bin/sh
# Starts and stops the test servers (see docs/testing.md), all on 127.0.0.1.
#
#   sh spec/support/servers.sh start DIR [WATCH_PID]
#   sh spec/support/servers.sh stop DIR
#
# start: writes TLS material into DIR (certs.sh), starts the scripted test server (server.lua),
# nginx (TLS, mutual TLS, HTTP/2) and two tinyproxy instances (open, and Basic auth user:pass),
# waits until each accepts connections, then writes DIR/env.sh (`. DIR/env.sh` exports the
# TEST_* variables) and DIR/pids. With WATCH_PID, a small watcher process stops everything when
# that process is gone (and removes DIR if DIR/.autoremove exists), so a crashed test run leaves
# nothing behind.
# stop: kills exactly the pids in DIR/pids (and the watcher) and waits for them to exit.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}

usage() {
  echo "usage: sh $0 start DIR [WATCH_PID] | stop DIR" >&2
  exit 2
}

if [ -z "$cmd" ] || [ -z "$dir" ]; then usage; fi

# True while process $1 exists and is not a zombie (a container's pid 1 may never reap it).
alive() {
  state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}

port_open() {
  AZC_PORT=$1 lua5.4 -e '
    local s = require("socket").tcp4()
    s:settimeout(0.2)
    local ok = s:connect("127.0.0.1", tonumber(os.getenv("AZC_PORT")))
    s:close()
    os.exit(ok and 0 or 1)'
}

# wait_port NAME PORT PID LOG: up to ~10 s, failing early if the process died.
wait_port() {
  i=0
  while ! port_open "$2"; do
    if ! alive "$3"; then
      echo "servers.sh: $1 (pid $3) exited during start-up; $4:" >&2
      tail -n 20 "$4" >&2
      return 1
    fi
    i=$((i + 1))
    if [ "$i" -gt 200 ]; then
      echo "servers.sh: $1 is not listening on port $2 after 10 s; see $4" >&2
      return 1
    fi
    sleep 0.05
  done
}

# Prints N distinct free ports. They are taken below the kernel's ephemeral range when possible,
# so an outgoing connection cannot grab one between this check and the server's bind.
pick_ports() {
  AZC_COUNT=$1 lua5.4 -e '
    local socket = require("socket")
    local n = tonumber(os.getenv("AZC_COUNT"))
    local low = 32768
    local f = io.open("/proc/sys/net/ipv4/ip_local_port_range")
    if f then
      low = tonumber(f:read("n")) or low
      f:close()
    end
    local held, out = {}, {}
    math.randomseed(os.time() + math.floor(socket.gettime() * 1e6 % 1e6))
    for _ = 1, 2000 do
      if #out == n then break end
      local port = 0
      if low > 11000 then port = math.random(10000, low - 1) end
      local s = assert(socket.tcp4())
      if s:bind("127.0.0.1", port) and s:listen(1) then
        local _, p = s:getsockname()
        held[#held + 1] = s
        out[#out + 1] = p
      else
        s:close()
      end
    end
    for _, s in ipairs(held) do s:close() end
    assert(#out == n, "no free ports")
    print(table.concat(out, " "))'
}

start_bg() { # LOG COMMAND...: runs COMMAND in the background, records its pid
  log=$1
  shift
  "$@" < /dev/null > "$log" 2>&1 &
  echo $! >> "$dir/pids"
  last_pid=$!
}

tinyproxy_conf() { # PORT NAME [BasicAuth line]
  {
    echo "Port $1"
    echo "Listen 127.0.0.1"
    echo "Timeout 60"
    echo "MaxClients 100"
    echo "Allow 127.0.0.1"
    echo "LogFile \"$dir/$2.log\""
    echo "LogLevel Connect"
    echo "PidFile \"$dir/$2.pid\""
    # No ConnectPort line: CONNECT is allowed to every port.
    if [ -n "${3:-}" ]; then echo "$3"; fi
  } > "$dir/$2.conf"
}

fail_start() {
  sh "$here/servers.sh" stop "$dir" >&2
  exit 1
}

do_start() {
  mkdir -p "$dir/nginx-tmp" || exit 1
  dir=$(cd "$dir" && pwd)
  if [ -s "$dir/pids" ]; then
    echo "servers.sh: $dir/pids exists: servers already started there" >&2
    exit 1
  fi
  : > "$dir/pids"
  rm -f "$dir/env.sh"
  sh "$here/certs.sh" "$dir" || fail_start

  # The scripted server picks its own ports and prints them.
  AZC_TEST_SERVER_LOG=${AZC_TEST_SERVER_LOG:-1} lua5.4 "$here/server.lua" \
    < /dev/null > "$dir/server.out" 2> "$dir/server.log" &
  server_pid=$!
  echo "$server_pid" >> "$dir/pids"
  i=0
  while ! grep -q '^BLACKHOLE ' "$dir/server.out" 2>/dev/null; do
    i=$((i + 1))
    if ! alive "$server_pid" || [ "$i" -gt 200 ]; then
      echo "servers.sh: server.lua did not start; $dir/server.log:" >&2
      tail -n 20 "$dir/server.log" >&2
      fail_start
    fi
    sleep 0.05
  done
  server_port=$(sed -n 's/^PORT //p' "$dir/server.out")
  blackhole_port=$(sed -n 's/^BLACKHOLE //p' "$dir/server.out")

  ports=$(pick_ports 5) || fail_start
  # shellcheck disable=SC2086 # split the port list on purpose
  set -- $ports
  tls_port=$1 mtls_port=$2 h2_port=$3 proxy_port=$4 auth_proxy_port=$5

  sed -e "s|@DIR@|$dir|g" -e "s|@TLS_PORT@|$tls_port|g" -e "s|@MTLS_PORT@|$mtls_port|g" \
    -e "s|@H2_PORT@|$h2_port|g" -e "s|@SERVER_PORT@|$server_port|g" \
    "$here/nginx.conf.in" > "$dir/nginx.conf" || fail_start
  start_bg "$dir/nginx.out" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" \
    -g 'daemon off;'
  nginx_pid=$last_pid

  tinyproxy_conf "$proxy_port" tinyproxy
  start_bg "$dir/tinyproxy.out" tinyproxy -d -c "$dir/tinyproxy.conf"
  proxy_pid=$last_pid
  tinyproxy_conf "$auth_proxy_port" tinyproxy-auth "BasicAuth user pass"
  start_bg "$dir/tinyproxy-auth.out" tinyproxy -d -c "$dir/tinyproxy-auth.conf"
  auth_proxy_pid=$last_pid

  wait_port server "$server_port" "$server_pid" "$dir/server.log" || fail_start
  for p in "$tls_port" "$mtls_port" "$h2_port"; do
    wait_port nginx "$p" "$nginx_pid" "$dir/nginx-error.log" || fail_start
  done
  wait_port tinyproxy "$proxy_port" "$proxy_pid" "$dir/tinyproxy.log" || fail_start
  wait_port tinyproxy-auth "$auth_proxy_port" "$auth_proxy_pid" "$dir/tinyproxy-auth.log" \
    || fail_start

  pids=$(tr '\n' ' ' < "$dir/pids" | sed 's/ *$//')
  cat > "$dir/env.sh.tmp" <<EOF
# Written by spec/support/servers.sh; source it: . $dir/env.sh
export TEST_SERVERS_DIR='$dir'
export TEST_SERVER_URL='http://127.0.0.1:$server_port'
export TEST_BLACKHOLE_PORT='$blackhole_port'
export TEST_TLS_URL='https://localhost:$tls_port'
export TEST_MTLS_URL='https://localhost:$mtls_port'
export TEST_H2_URL='https://localhost:$h2_port'
export TEST_CA='$dir/ca.pem'
export TEST_CA_OTHER='$dir/ca-other.pem'
export TEST_CLIENT_CERT='$dir/client.pem'
export TEST_CLIENT_KEY='$dir/client.key'
export TEST_CLIENT_COMBINED='$dir/client-combined.pem'
export TEST_PROXY_URL='http://127.0.0.1:$proxy_port'
export TEST_AUTH_PROXY_URL='http://127.0.0.1:$auth_proxy_port'
export TEST_AUTH_PROXY_USER='user'
export TEST_AUTH_PROXY_PASS='pass'
export TEST_PIDS='$pids'
EOF
  mv "$dir/env.sh.tmp" "$dir/env.sh"

  if [ -n "$watch_pid" ]; then
    # Poll the watched process; when it is gone, stop the servers (and drop DIR if asked to).
    AZC_WATCH_PID=$watch_pid AZC_DIR=$dir AZC_HERE=$here lua5.4 -e '
      local socket = require("socket")
      local pid, dir, here = os.getenv("AZC_WATCH_PID"), os.getenv("AZC_DIR"), os.getenv("AZC_HERE")
      local function alive()
        local f = io.open("/proc/" .. pid .. "/stat")
        if not f then return false end
        local s = f:read("*a") or ""
        f:close()
        return s:match("^%d+ %b() (%a)") ~= "Z"
      end
      while alive() do socket.sleep(0.5) end
      os.execute("AZC_FROM_WATCHER=1 sh \"" .. here .. "/servers.sh\" stop \"" .. dir .. "\"")
      if io.open(dir .. "/.autoremove") then os.execute("rm -rf \"" .. dir .. "\"") end
    ' < /dev/null > /dev/null 2>&1 &
    echo $! > "$dir/watcher.pid"
  fi
}

do_stop() {
  [ -d "$dir" ] || exit 0
  if [ "${AZC_FROM_WATCHER:-}" != 1 ] && [ -s "$dir/watcher.pid" ]; then
    w=$(cat "$dir/watcher.pid")
    if alive "$w"; then kill "$w" 2>/dev/null; fi
    rm -f "$dir/watcher.pid"
  fi
  [ -s "$dir/pids" ] || exit 0
  pids=$(cat "$dir/pids")
  for p in $pids; do
    if alive "$p"; then kill "$p" 2>/dev/null; fi
  done
  # Wait up to ~5 s, then SIGKILL whatever is left.
  i=0
  for p in $pids; do
    while alive "$p"; do
      i=$((i + 1))
      if [ "$i" -gt 100 ]; then
        kill -9 "$p" 2>/dev/null
        break
      fi
      sleep 0.05
    done
  done
  rm -f "$dir/pids"
}

case "$cmd" in
start)
  watch_pid=${3:-}
  do_start
  ;;
stop) do_stop ;;
*) usage ;;
esac
