#!/bin/sh
# Memory-safety lanes (`make asan`, `make valgrind`): the C unit tests against the real test
# servers, under ASan+UBSan or valgrind, then the busted specs with the instrumented module
# (ASan lane). Last line: "N passed, N failed".
#   sh spec/support/run_lane.sh asan      (expects `make BUILD=build/asan ...` done)
#   sh spec/support/run_lane.sh valgrind  (expects `make all ctest` done)
set -u
cd "$(dirname "$0")/../.." || exit 1
lane=${1:?asan or valgrind}
passed=0
failed=0
WORK=$(mktemp -d /tmp/azure-core-lane.XXXXXX)
finish() {
  sh spec/support/servers.sh stop "$WORK" >/dev/null 2>&1
  rm -rf "$WORK"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
trap finish INT TERM
sh spec/support/servers.sh start "$WORK" || { failed=1; finish; }
set -a
. "$WORK/env.sh"
set +a
case "$lane" in
asan) bin=build/asan/ctest; run="" ;;
valgrind) bin=build/ctest; run="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect" ;;
*) echo "unknown lane $lane"; failed=1; finish ;;
esac
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$bin"/test_*; do
  out=$($run "$t" 2>&1)
  rc=$?
  line=$(echo "$out" | grep -E '^ctest .*: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  p=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/p')
  f=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/p')
  if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then f=1; echo "$out" | tail -n 30; fi
  echo "$t: ${p:-0} passed, ${f:-0} failed (exit $rc)"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$lane" = asan ]; then
  # the busted specs with the instrumented module; the interpreter itself is not instrumented,
  # so leaks are not checked here (the C lane above checks them), only memory errors
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
  # support_spec.lua checks the servers with the curl CLI, which must not run with our
  # preloaded sanitizer runtime; every other spec runs
  specs=$(ls spec/*_spec.lua | grep -v support_spec)
  # shellcheck disable=SC2086
  # AZURE_CORE_TEST_LANE tells the memory-bound spec that ASan's quarantine inflates RSS
  AZURE_CORE_TEST_LANE=asan LUA_CPATH="build/asan/lua5.4/?.so;;" timeout 900 busted --cpath="build/asan/lua5.4/?.so" $specs \
    >"$WORK/busted.log" 2>&1
  unset LD_PRELOAD
  grep -E "success|Failure|Error ->" -A6 "$WORK/busted.log" | tail -n 40
  s=$(grep -oE '[0-9]+ success' "$WORK/busted.log" | tail -n 1 | grep -oE '[0-9]+')
  fl=$(grep -oE '[0-9]+ failure' "$WORK/busted.log" | tail -n 1 | grep -oE '[0-9]+')
  er=$(grep -oE '[0-9]+ error' "$WORK/busted.log" | tail -n 1 | grep -oE '[0-9]+')
  if grep -q "ERROR: AddressSanitizer\|runtime error:" "$WORK/busted.log"; then er=$(( ${er:-0} + 1 )); fi
  passed=$((passed + ${s:-0}))
  failed=$((failed + ${fl:-0} + ${er:-0}))
  [ -n "$s" ] || failed=$((failed + 1))
fi
finish
