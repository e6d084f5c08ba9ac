#!/usr/bin/env bash
# Runs every example scenario with two toposim binaries and compares the
# traces with h5diff; the only differences allowed are the /meta
# attributes that name the build and the command line (git_revision,
# command_line) and the root's format_version (a newer format adds tables
# and attributes, which h5diff does not count as differences, and keeps
# the older ones' content). Prints one line per scenario and exits 1 when
# any differ.
# usage: tools/compare-traces.sh OLD_BINARY NEW_BINARY [SCENARIO...]
set -u
old=$1 new=$2
shift 2
[ $# -gt 0 ] || set -- scenarios/*.xml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0
for sc in "$@"; do
  name=$(basename "$sc" .xml)
  if ! "$old" run "$sc" -o "$work/$name.old.h5" >/dev/null 2>"$work/err" ||
     ! "$new" run "$sc" -o "$work/$name.new.h5" >/dev/null 2>>"$work/err"; then
    echo "$name: run failed: $(tail -1 "$work/err")"; bad=1; continue
  fi
  # h5diff -c prints each object that differs ("dataset: ..." or
  # "attribute: ..." then "N differences found"); only the attributes that
  # name the build and its command line may differ. "Not comparable" on
  # an empty dataset is checked by its size: both must be empty.
  h5diff -c "$work/$name.old.h5" "$work/$name.new.h5" >"$work/diff" 2>&1
  unexpected=$(awk '/^(dataset|attribute|group):/ { what = $0; next }
                    /^[0-9]+ differences? found/ { if ($1 > 0 && what !~ /<(git_revision|command_line|format_version) of/) print what; next }
                    /^Not comparable/ && !/is an empty dataset/ { print }' "$work/diff")
  for d in $(sed -nE 's/^Not comparable: <([^>]+)> or .* is an empty dataset$/\1/p' "$work/diff"); do
    a=$(h5ls "$work/$name.old.h5$d" 2>&1 | sed 's/^[^ ]* *//'); b=$(h5ls "$work/$name.new.h5$d" 2>&1 | sed 's/^[^ ]* *//')
    [ "$a" = "$b" ] || unexpected="$unexpected
$d: $a versus $b"
  done
  unexpected=$(printf '%s' "$unexpected" | sed '/^$/d')
  others=$(grep -cE '^attribute: <(git_revision|command_line|format_version) of' "$work/diff")
  if [ -n "$unexpected" ]; then
    echo "$name: DIFFERS"; printf '%s\n' "$unexpected" | head -5; bad=1
  else
    echo "$name: identical (but for $others meta attribute(s))"
  fi
done
exit $bad
