#!/usr/bin/env bash
# The deployment code must not see the simulator: files in src/deploy/ may
# include only toposim/deploy.h (and its deploy_*.h parts), toposim/runtime.h, toposim/qos.h, toposim/error.h,
# toposim/alloc.h and the C standard library. Prints each offending line
# and exits 1 when any include reaches further.
# usage: tools/check-deploy-includes.sh [DIR]   (default: src/deploy)
set -u
dir=${1:-src/deploy}
allowed='^(toposim/(deploy(_[a-z]+)?|runtime|qos|error|alloc)\.h|assert\.h|ctype\.h|errno\.h|float\.h|inttypes\.h|limits\.h|math\.h|stdarg\.h|stdbool\.h|stddef\.h|stdint\.h|stdio\.h|stdlib\.h|string\.h)$'
bad=0
shopt -s nullglob
for f in "$dir"/*.c "$dir"/*.h; do
  while IFS= read -r hit; do
    line=${hit%%:*}
    header=$(printf '%s\n' "${hit#*:}" | sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/p')
    if [ -z "$header" ] || ! printf '%s\n' "$header" | grep -qE "$allowed"; then
      echo "$f:$line: src/deploy may include only deploy.h, runtime.h, qos.h, error.h, alloc.h and libc, not '${header:-${hit#*:}}'"
      bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f")
done
for f in "$dir"/*.c; do
  [ "$(basename "$f")" = component_state.c ] && continue
  while IFS= read -r hit; do
    echo "$f:${hit%%:*}: only component_state.c may call ts_rt_apply_component (tell the controller instead)"
    bad=1
  done < <(grep -n 'ts_rt_apply_component' "$f")
done
exit $bad
