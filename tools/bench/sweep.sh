#!/usr/bin/env bash
# The sweep's process pool: one 12-variant sweep (fleet.count 2..24 of the
# edge-rack test scenario, 5 simulated seconds a run) at -j 1 and at -j 2,
# alternated A/B for ROUNDS rounds so that a slow moment of a shared
# machine hits both; prints each median wall time and the speedup.
# usage: tools/bench/sweep.sh TOPOSIM [ROUNDS]   (default 3)
set -u
bin=$1
rounds=${2:-3}
tmp=$(mktemp -d /tmp/toposim-bench-sweep-XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
args=(sweep tests/e2e/sweep-edge-rack.xml --set fleet.count=2..24:2 --duration 5s -q)
wall() {   # jobs -> seconds of wall time on stdout
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" "${args[@]}" -j "$1" -o "$tmp/j$1" >/dev/null 2>"$tmp/err"
  local rc=$?
  t1=$(date +%s.%N)
  # 0 or 1: every variant judged (1: some fail, as the rack runs out).
  if [ $rc -gt 1 ]; then echo "sweep -j $1 exited $rc: $(cat "$tmp/err")" >&2; exit 1; fi
  echo "$t1 - $t0" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
a=(); b=()
for ((r = 0; r < rounds; r++)); do
  a+=("$(wall 1)")
  b+=("$(wall 2)")
done
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
printf 'sweep, 12 variants (fleet.count 2..24:2, 5 s simulated each): -j 1 %.2f s, -j 2 %.2f s (medians of %d A/B rounds), speedup %.2fx\n' \
  "$ma" "$mb" "$rounds" "$(echo "$ma / $mb" | bc -l)"
