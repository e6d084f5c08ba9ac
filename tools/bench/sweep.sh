#!/usr/bin/env bash
# The sweep's process pool: one 12-variant sweep (fleet.count 2..24 of the
# edge-rack test scenario, 5 simulated seconds a run) at -j 1 and at -j 2,
# alternated A/B for ROUNDS rounds so that a slow moment of a shared
# machine hits both; prints each median wall time and the speedup. With
# MPI=1 (a binary built with `make MPI=1`), also the same sweep over one
# MPI rank against two (`mpirun -np 1` / `-np 2`), alternated the same way.
# usage: tools/bench/sweep.sh TOPOSIM [ROUNDS [MPI]]   (default 3, 0)
set -u
bin=$1
rounds=${2:-3}
mpi=${3:-0}
tmp=$(mktemp -d /tmp/toposim-bench-sweep-XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
args=(sweep tests/e2e/sweep-edge-rack.xml --set fleet.count=2..24:2 --duration 5s -q)
if [ "$(id -u)" = 0 ]; then   # Open MPI refuses root unless told twice
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
wall() {   # label command... -> seconds of wall time on stdout
  local label=$1 t0 t1 rc; shift
  rm -rf "$tmp/out"
  t0=$(date +%s.%N)
  "$@" -o "$tmp/out" >/dev/null 2>"$tmp/err"
  rc=$?
  t1=$(date +%s.%N)
  # 0 or 1: every variant judged (1: some fail, as the rack runs out).
  if [ $rc -gt 1 ]; then echo "sweep ($label) exited $rc: $(cat "$tmp/err")" >&2; return 1; fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
a=(); b=()
for ((r = 0; r < rounds; r++)); do
  a+=("$(wall "-j 1" "$bin" "${args[@]}" -j 1)") || exit 1
  b+=("$(wall "-j 2" "$bin" "${args[@]}" -j 2)") || exit 1
done
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
printf 'sweep, 12 variants (fleet.count 2..24:2, 5 s simulated each): -j 1 %.2f s, -j 2 %.2f s (medians of %d A/B rounds), speedup %sx\n' \
  "$ma" "$mb" "$rounds" "$(ratio "$ma" "$mb")"
[ "$mpi" = 1 ] || exit 0
a=(); b=()
for ((r = 0; r < rounds; r++)); do
  a+=("$(wall "1 rank" mpirun -np 1 "$bin" "${args[@]}")") || exit 1
  b+=("$(wall "2 ranks" mpirun -np 2 "$bin" "${args[@]}")") || exit 1
done
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
printf 'sweep over MPI, the same 12 variants: mpirun -np 1 %.2f s, -np 2 %.2f s (medians of %d A/B rounds), speedup %sx\n' \
  "$ma" "$mb" "$rounds" "$(ratio "$ma" "$mb")"
