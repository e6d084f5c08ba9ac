#!/usr/bin/env bash
# Fails when the #include graph among a module's private files has a cycle.
# A node is a file's name without its extension, so foo.c and foo.h are one
# node (a .c file stands for its header); an edge runs from a file to each
# private header of the same folder it includes ("foo.h" or "sim/foo.h").
# Prints "FOLDER: include cycle: a -> b -> a" naming every cycle's first
# closing path and exits 1 when there is any.
# usage: tools/check-include-cycles.sh [ROOT] FOLDER...  (e.g. . src/sim)
set -u
root=${1:-.}
shift || true
cd "$root" || exit 2
bad=0
for dir in "$@"; do
  [ -d "$dir" ] || continue
  mod=${dir#src/}
  edges=$(
    for f in "$dir"/*.c "$dir"/*.h; do
      [ -e "$f" ] || continue
      from=$(basename "$f"); from=${from%.*}
      sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f" |
      while IFS= read -r h; do
        case $h in
          "$mod"/*) h=${h#"$mod"/} ;;
          */*) continue ;;
        esac
        [ -e "$dir/$h" ] || continue
        to=${h%.h}
        [ "$to" = "$from" ] || printf '%s %s\n' "$from" "$to"
      done
    done | sort -u)
  # Depth-first search; nodes and edges visited in name order, so the
  # cycle named is the same on every run.
  out=$(printf '%s\n' "$edges" | awk -v dir="$dir" '
    NF == 2 { adj[$1] = adj[$1] " " $2
             if (!($1 in seen)) { seen[$1]; order[++n] = $1 } }
    function visit(n,    i, j, k, m, list, path) {
      state[n] = 1; stack[++depth] = n
      k = split(adj[n], list, " ")
      for (i = 1; i <= k; i++) {
        m = list[i]
        if (state[m] == 1) {
          for (j = depth; j >= 1 && stack[j] != m; j--) ;
          path = ""
          for (; j <= depth; j++) path = path stack[j] " -> "
          print dir ": include cycle: " path m
          found = 1
        } else if (!state[m]) visit(m)
      }
      depth--; state[n] = 2
    }
    END {
      for (i = 1; i <= n; i++) if (!state[order[i]]) visit(order[i])
      exit found
    }')
  if [ -n "$out" ]; then printf '%s\n' "$out"; bad=1; fi
done
exit $bad
