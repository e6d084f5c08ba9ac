#!/usr/bin/env bash
# Installs the Debian packages toposim needs, only when something is
# missing, and says what it installs and why. Used by `make run`/`make test`.
set -u
pkg_libs=(gsl libxml-2.0 hdf5 cmocka)
debs_for=(libgsl-dev libxml2-dev libhdf5-dev libcmocka-dev)
missing=()
why=()
if ! command -v pkg-config >/dev/null 2>&1; then
  missing+=(pkg-config); why+=("pkg-config is not installed")
fi
for i in "${!pkg_libs[@]}"; do
  if ! pkg-config --exists "${pkg_libs[$i]}" 2>/dev/null; then
    missing+=("${debs_for[$i]}"); why+=("pkg-config cannot find ${pkg_libs[$i]}")
  fi
done
command -v gnuplot >/dev/null 2>&1 || { missing+=(gnuplot-nox); why+=("gnuplot is not on PATH (reports)"); }
command -v h5dump >/dev/null 2>&1 || { missing+=(hdf5-tools); why+=("h5dump is not on PATH (trace inspection)"); }
command -v xmllint >/dev/null 2>&1 || { missing+=(libxml2-utils); why+=("xmllint is not on PATH (JUnit schema checks in the tests)"); }
if [ "${1:-}" = mpi ]; then
  command -v mpicc >/dev/null 2>&1 || { missing+=(libopenmpi-dev); why+=("mpicc is not on PATH (make MPI=1)"); }
  command -v mpirun >/dev/null 2>&1 || { missing+=(openmpi-bin); why+=("mpirun is not on PATH (make MPI=1)"); }
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "toposim: installing missing Debian packages: ${missing[*]}"
for w in "${why[@]}"; do echo "  because $w"; done
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1; then
  run=(sudo)
else
  echo "toposim: not root and no sudo; please install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq || { echo "toposim: apt-get update failed" >&2; exit 1; }
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  || { echo "toposim: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
echo "toposim: packages installed"
