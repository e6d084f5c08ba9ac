#!/usr/bin/env bash
# Enforces the module table of src/README.md: every #include in src/<module>/
# and in the public headers a module owns must name the module itself, a
# module its "may include" column lists, or a library that column lists.
# The table's columns are: folder | what lives there | headers | may include.
#   headers:     the public headers in include/toposim/ the module owns
#                (`deploy_*.h` style globs allowed)
#   may include: other modules by folder name (`util`), and libraries:
#                libc (the C11 standard headers), POSIX (any other system
#                header), GSL, libxml2, HDF5, CMocka
# A private header reached by path ("sim/world_internal.h") belongs to the
# folder it names; a bare name ("loader.h") to the includer's own folder.
# Within src/sim, the composition root's subsystems must not include each
# other in a cycle (tools/check-include-cycles.sh says which).
# Prints one line per offending include and exits 1 when there is any.
# usage: tools/check-layers.sh [ROOT]   (ROOT: the top folder, default .)
set -u
tools=$(cd "$(dirname "$0")" && pwd)
cd "${1:-.}" || exit 2
readme=src/README.md
[ -r "$readme" ] || { echo "$readme: cannot read the module table" >&2; exit 2; }

# The C11 standard library's headers (ISO/IEC 9899:2011, clause 7).
c11='assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads time uchar wchar wctype'

declare -A allowed owner_of_glob
modules=()
while IFS='|' read -r _ folder _ headers may _; do
  folder=$(printf '%s' "$folder" | tr -d ' `/')
  [ -n "$folder" ] && [ -d "src/$folder" ] || continue
  modules+=("$folder")
  allowed[$folder]=" $folder $(printf '%s' "$may" | tr -d '`,' ) "
  for h in $(printf '%s' "$headers" | tr -d '`,'); do
    [ "$h" = "-" ] || owner_of_glob[$h]=$folder
  done
done < <(grep -E '^\| *`[a-z_]+/`' "$readme")
[ ${#modules[@]} -gt 0 ] || { echo "$readme: no module rows found" >&2; exit 2; }

owner_of_header() {   # toposim/X.h -> module, or "" when no row claims it
  local base=$1 g
  for g in "${!owner_of_glob[@]}"; do
    # shellcheck disable=SC2053
    [[ $base == $g ]] && { printf '%s' "${owner_of_glob[$g]}"; return; }
  done
}

library_of() {        # a <system> header -> its library name
  local h=$1
  case $h in
    gsl/*) echo GSL ;;
    libxml/*) echo libxml2 ;;
    hdf5.h|hdf5_hl.h|H5*) echo HDF5 ;;
    cmocka.h|setjmp.h) [ "$h" = cmocka.h ] && echo CMocka || echo libc ;;
    *) if [[ " $c11 " == *" ${h%.h} "* ]]; then echo libc; else echo POSIX; fi ;;
  esac
}

bad=0
check_file() {        # file module
  local f=$1 mod=$2 hit line spec header target
  while IFS= read -r hit; do
    line=${hit%%:*}
    spec=$(printf '%s\n' "${hit#*:}" | sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"][^>"]+[>"]).*/\1/p')
    header=${spec:1:${#spec}-2}
    if [ "${spec:0:1}" = "<" ]; then
      target=$(library_of "$header")
    elif [[ $header == toposim/* ]]; then
      target=$(owner_of_header "${header#toposim/}")
      if [ -z "$target" ]; then
        echo "$f:$line: '$header' is in no module's headers column of $readme"; bad=1; continue
      fi
    elif [[ $header == */* ]]; then
      target=${header%%/*}
    else
      target=$mod
    fi
    if [[ ${allowed[$mod]} != *" $target "* ]]; then
      echo "$f:$line: module $mod may not include '$header' (module $target); see $readme"
      bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f")
}

shopt -s nullglob
for mod in "${modules[@]}"; do
  for f in src/"$mod"/*.c src/"$mod"/*.h; do check_file "$f" "$mod"; done
done
for f in include/toposim/*.h; do
  mod=$(owner_of_header "$(basename "$f")")
  if [ -z "$mod" ]; then echo "$f: in no module's headers column of $readme"; bad=1; continue; fi
  check_file "$f" "$mod"
done
bash "$tools/check-include-cycles.sh" . src/sim || bad=1
exit $bad
