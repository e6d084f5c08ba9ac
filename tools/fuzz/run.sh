#!/usr/bin/env bash
# Runs each libFuzzer harness for SECONDS of its own, from seed corpora made
# of the project's inputs, and prints per harness: CPU time, executions and
# corpus size. Findings (crash-*, leak-*, timeout-*) land in BUILD/fuzz/out/.
# usage: tools/fuzz/run.sh BUILD SECONDS [HARNESS...]
set -u
build=$1; seconds=$2; shift 2
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(fuzz_scenario fuzz_units fuzz_trace)
corpus=$build/fuzz/corpus
out=$build/fuzz/out
mkdir -p "$out"

# Seeds: scenarios and models (and the malformed ones of tests/bad), the
# quantities those scenarios write, and three small traces.
seed() {
  local name=$1 dir=$corpus/$1
  [ -d "$dir" ] && return
  mkdir -p "$dir"
  case $name in
    fuzz_scenario)
      for src in scenarios tests/bad tests/e2e models; do
        for f in "$src"/*.xml; do cp "$f" "$dir/${src//\//-}-$(basename "$f")"; done
      done ;;
    fuzz_units)
      grep -ohE '="[-+ .0-9]+[^"]{0,6}"' scenarios/*.xml models/*.xml | sort -u |
        sed 's/^="//; s/"$//' | while IFS= read -r q; do
          printf '%s' "$q" > "$dir/$(printf '%s' "$q" | md5sum | cut -c1-16)"
        done ;;
    fuzz_trace)
      for s in humanoid-basic edge-failover wifi-loss-burst; do
        "$build/toposim" run -q --duration 100ms scenarios/$s.xml -o "$dir/$s.h5" || exit 2
      done ;;
  esac
}

dict_of() {
  case $1 in
    fuzz_scenario) echo tools/fuzz/scenario.dict ;;
    fuzz_units) echo tools/fuzz/units.dict ;;
    fuzz_trace) echo tools/fuzz/trace.dict ;;
  esac
}

status=0
for h in "${harnesses[@]}"; do
  seed "$h"
  log=$out/$h.log
  t0=$(date +%s)
  # Leaks would be the loader's; a trace's child processes are expected to
  # die on corrupt input, so -fork is not used.
  /usr/bin/time -f '%U %S' -o "$out/$h.time" \
    "$build/fuzz/$h" -max_total_time="$seconds" -dict="$(dict_of "$h")" \
      -artifact_prefix="$out/$h-" -print_final_stats=1 -rss_limit_mb=4096 \
      -timeout=30 "$corpus/$h" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cpu=$(awk '{printf "%.1f", $1 + $2}' "$out/$h.time" 2>/dev/null | tail -1)
  files=$(find "$corpus/$h" -type f | wc -l)
  bytes=$(du -sb "$corpus/$h" | cut -f1)
  echo "$h: ${cpu:-?} s CPU over $(( $(date +%s) - t0 )) s, ${execs:-?} executions, corpus $files files ($bytes bytes), exit $rc"
  [ $rc -eq 0 ] || { status=1; echo "  findings and log: $out/ ($log)"; }
done
exit $status
