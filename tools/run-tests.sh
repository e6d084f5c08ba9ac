#!/usr/bin/env bash
# Runs every test binary from the project root, shows CMocka's own output,
# and closes with one line totalling tests passed and failed.
set -u
build=$1; shift
passed=0; failed=0; skipped=0; broken=()
for t in "$@"; do
  echo "== $t"
  export TOPOSIM_BIN="$build/toposim"
  out=$("./$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  k=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
  if [ $rc -ne 0 ] || [ -z "$p" ]; then broken+=("$t (exit $rc)"); fi
done
echo
if [ ${#broken[@]} -gt 0 ]; then
  echo "test binaries that failed or printed no summary: ${broken[*]}"
  [ "$failed" -eq 0 ] && failed=${#broken[@]}
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ ${#broken[@]} -eq 0 ] && [ "$failed" -eq 0 ]
