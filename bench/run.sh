#!/bin/sh
# Benchmark: sequential keep-alive GETs of a small body against one local nginx, in one run:
# raw libcurl (../shared/bench/curl_raw.c, the ceiling), raw libcurl sending the headers
# azure-core sends (bench/curl_headers.c: libcurl's own cost of those headers), the library's C
# pipeline with no Lua (bench/c_pipeline.c), the default PipelineClient with the native driver,
# and the same with the Lua driver. Rounds are interleaved; medians are reported as ratios to raw
# libcurl (req/s, and CPU per request from each client's own loop timing), both as ratios of
# medians and as medians of the per-round ratios (drift between rounds cancels), the latter with
# a 95% bootstrap interval: a target inside the interval is not settled by the run.
#   sh bench/run.sh                 # N=20000 RUNS=5
#   N=5000 RUNS=3 sh bench/run.sh   # quicker
#   INSTR=1 sh bench/run.sh         # also instructions per request under callgrind
# CPU time on a shared VM drifts by tens of percent between minutes; instruction counts do not,
# so INSTR=1 adds them (each client's cost of 2500 requests minus that of 500, over 2000: start-up
# cancels out). They leave out cache misses, which CPU time includes.
# Scratch files go to $BENCH_WORK (default a temp dir); nginx is started here and stopped by pid.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
SHARED=${BENCH_SHARED:-$ROOT/../shared/bench}
N=${N:-20000}
RUNS=${RUNS:-5}
WORK=${BENCH_WORK:-$(mktemp -d /tmp/azure-core-bench.XXXXXX)}
chmod 755 "$WORK" # nginx workers (nobody when started as root) must read www/
[ -f "$SHARED/nginx.conf" ] && [ -f "$SHARED/curl_raw.c" ] ||
  { echo "needs $SHARED/nginx.conf and curl_raw.c (set BENCH_SHARED)" >&2; exit 1; }
sh spec/support/deps.sh test || exit 1
make -j2 all build/bench/c_pipeline >/dev/null || exit 1
mkdir -p "$WORK/prefix/www" "$WORK/prefix/tmp" "$WORK/bin"
printf '{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","name":"small","ok":true,"count":42,"tags":["a","b"]}\n' \
  >"$WORK/prefix/www/small"
cc -O2 -o "$WORK/bin/curl_raw" "$SHARED/curl_raw.c" -lcurl || exit 1
cc -O2 -o "$WORK/bin/curl_headers" bench/curl_headers.c -lcurl || exit 1
cp build/bench/c_pipeline "$WORK/bin/c_pipeline" || exit 1
if curl -s -o /dev/null http://127.0.0.1:18080/; then echo "port 18080 is busy" >&2; exit 1; fi
nginx -p "$WORK/prefix/" -c "$SHARED/nginx.conf" -e "$WORK/prefix/error.log" >/dev/null 2>&1 &
NGINX=$!
trap 'kill $NGINX 2>/dev/null; wait $NGINX 2>/dev/null' EXIT INT TERM
i=0
until curl -sf -o /dev/null http://127.0.0.1:18080/small; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "nginx did not start (port 18080 busy?)" >&2; exit 1; }
  sleep 0.05
done
URL=http://127.0.0.1:18080/small
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;" LUA_CPATH="$ROOT/build/lua5.4/?.so;;"
RES="$WORK/runs.tsv"
: >"$RES"
measure() { # name cmd... (round $r)
  name=$1; shift
  out=$("$@" 2>"$WORK/err.txt") || { echo "$name failed: $(cat "$WORK/err.txt")" >&2; return; }
  echo "$name round=$r $out" >>"$RES"
}
curl -s -o /dev/null "$URL?[1-200]"
for r in $(seq "$RUNS"); do
  measure curl_raw "$WORK/bin/curl_raw" seq "$URL" "$N"
  measure curl_headers "$WORK/bin/curl_headers" "$URL" "$N"
  measure c_pipeline "$WORK/bin/c_pipeline" "$URL" "$N"
  measure native env BENCH_DRIVER=native lua5.4 bench/bench.lua "$URL" "$N"
  measure lua env BENCH_DRIVER=lua lua5.4 bench/bench.lua "$URL" "$N"
  [ -n "${WITH_LOGGING:-}" ] && measure native_logging env BENCH_DRIVER=native BENCH_LOGGING=1 lua5.4 bench/bench.lua "$URL" "$N"
  echo "round $r/$RUNS done" >&2
done
lua5.4 bench/report.lua "$RES" "$N"
if [ -n "${INSTR:-}" ]; then
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "INSTR=1 needs valgrind" >&2
  else
    instr() { # cmd... COUNT -> instructions of the whole process
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*refs: *//p' | tr -d ,
    }
    per_request() { a=$(instr "$@" 500) && b=$(instr "$@" 2500) && echo $(((b - a) / 2000)); }
    raw=$(per_request "$WORK/bin/curl_raw" seq "$URL")
    hdr=$(per_request "$WORK/bin/curl_headers" "$URL")
    cpl=$(per_request "$WORK/bin/c_pipeline" "$URL")
    export BENCH_DRIVER=native
    nat=$(per_request lua5.4 bench/bench.lua "$URL")
    export BENCH_DRIVER=lua
    lua=$(per_request lua5.4 bench/bench.lua "$URL")
    echo
    echo "| client | instructions/req | x libcurl |"
    echo "|---|---|---|"
    for pair in "curl_raw $raw" "curl_headers $hdr" "c_pipeline $cpl" "native $nat" "lua $lua"; do
      set -- $pair
      awk -v n="$1" -v v="$2" -v b="$raw" 'BEGIN { printf "| %s | %d | %.2f |\n", n, v, v / b }'
    done
  fi
fi
