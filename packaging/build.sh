#!/usr/bin/env bash
# Build GuideCode's frozen executables from a clean, pinned virtual environment.
#
#   bash packaging/build.sh            # Linux: onefile + onedir + .deb; elsewhere: onefile + onedir
#   bash packaging/build.sh onefile    # dist/guidecode            (dist/GuideCode.exe on Windows)
#   bash packaging/build.sh onedir     # dist/guidecode-onedir/    (+ dist/GuideCode.app on macOS)
#   bash packaging/build.sh deb        # onedir, then dist/guidecode_<version>_<arch>.deb (Linux)
#   bash packaging/build.sh venv       # only (re)create the build venv
#
# The build venv lives in build/venv-build. It never sees a system or user site-packages (Qt's docs warn
# that a system PySide6 gets picked up otherwise; PYTHONNOUSERSITE=1, and a check below), it gets
# exactly packaging/requirements-build.txt (--no-deps, then `pip check`), and it is recreated whenever
# that file changes or with GUIDECODE_CLEAN_VENV=1. PYTHON picks the interpreter (default python3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WHAT="${1:-all}"
PY="${PYTHON:-python3.11}"
VENV="$ROOT/build/venv-build"
REQ="$ROOT/packaging/requirements-build.txt"
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP VIRTUAL_ENV
export PYTHONNOUSERSITE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

case "$(uname -s)" in
  Linux*) OS=linux ;; Darwin*) OS=macos ;; MINGW*|MSYS*|CYGWIN*) OS=windows ;; *) OS=other ;;
esac
if [ "$OS" = windows ]; then VBIN="$VENV/Scripts"; EXE_SUFFIX=.exe; else VBIN="$VENV/bin"; EXE_SUFFIX=; fi

now() { date +%s.%N 2>/dev/null | sed 's/N$/0/'; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "build.sh: $*"; }

hash256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1; }
size_of() { "$VBIN/python" -c 'import os, sys
p = sys.argv[1]
print(os.path.getsize(p) if os.path.isfile(p) else sum(os.path.getsize(os.path.join(d, f))
      for d, _, fs in os.walk(p) for f in fs if not os.path.islink(os.path.join(d, f))))' "$1"; }

version() { sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py; }

check_pins() {
  # The frozen app must run the same Qt and PyYAML the tests ran against.
  local pkg pin_req pin_proj
  for pkg in PySide6-Essentials PyYAML; do
    pin_req="$(grep -i "^$pkg==" "$REQ" | head -1 | cut -d= -f3 | tr -d ' ')"
    pin_proj="$(grep -io "\"$pkg==[^\"]*\"" pyproject.toml | head -1 | tr -d '"' | cut -d= -f3)"
    if [ -z "$pin_req" ] || [ "$pin_req" != "$pin_proj" ]; then
      say "pin mismatch for $pkg: requirements-build.txt '$pin_req' vs pyproject.toml '$pin_proj'" >&2
      exit 1
    fi
  done
}

make_venv() {
  local t0 want have
  t0="$(now)"
  check_pins
  want="$( (cat "$REQ"; "$PY" -VV) | hash256)"
  have="$(cat "$VENV/.guidecode-build-req" 2>/dev/null || true)"
  if [ "${GUIDECODE_CLEAN_VENV:-0}" = 1 ] || [ "$want" != "$have" ] || [ ! -x "$VBIN/python$EXE_SUFFIX" ]; then
    "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || {
      say "need CPython 3.11 (PySide6-Essentials 6.11.3 pin); set PYTHON=" >&2; exit 1; }
    say "creating a fresh build venv in ${VENV#"$ROOT"/} with $("$PY" -V)"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VBIN/python" -m pip install -q --require-virtualenv --no-deps -r "$REQ"
    "$VBIN/python" -m pip check
    echo "$want" > "$VENV/.guidecode-build-req"
  fi
  # Exactly the pinned set, nothing from outside the venv.
  "$VBIN/python" - "$REQ" <<'PY'
import re, sys, importlib.metadata as md, PySide6, yaml, PyInstaller
prefix = sys.prefix
for mod in (PySide6, yaml, PyInstaller):
    if not mod.__file__.startswith(prefix):
        sys.exit(f"build.sh: {mod.__name__} comes from {mod.__file__}, outside the build venv {prefix}")
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#")[0].strip()
    if not line:
        continue
    spec, _, marker = line.partition(";")
    name, _, ver = spec.strip().partition("==")
    if marker.strip():
        from packaging.markers import Marker
        if not Marker(marker).evaluate():
            continue
    got = md.version(name)
    if got != ver.strip():
        sys.exit(f"build.sh: {name} {got} installed, {ver} pinned")
PY
  say "build venv ok ($("$VBIN/python" -c 'import PySide6, PyInstaller; print("PySide6", PySide6.__version__, "PyInstaller", PyInstaller.__version__)')) in $(elapsed "$t0") s"
}

pyinstaller_build() {   # $1 = onefile|onedir
  local t0 variant="$1" envs=()
  t0="$(now)"
  [ "$variant" = onedir ] && envs=(GUIDECODE_ONEDIR=1)
  say "pyinstaller $variant ..."
  env ${envs[@]+"${envs[@]}"} "$VBIN/python" -m PyInstaller --noconfirm --log-level "${PYI_LOG_LEVEL:-WARN}" \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyi-$variant" "$ROOT/packaging/guidecode.spec" \
    > "$ROOT/build/pyi-$variant.log" 2>&1 || { tail -40 "$ROOT/build/pyi-$variant.log" >&2; exit 1; }
  grep '^guidecode.spec: version' "$ROOT/build/pyi-$variant.log" || true
  if [ "$variant" = onefile ]; then
    local out="dist/guidecode$EXE_SUFFIX"; [ "$OS" = windows ] && out=dist/GuideCode.exe
    [ "$OS" = macos ] && out=dist/GuideCode
    say "$variant -> $out ($(size_of "$out") B) in $(elapsed "$t0") s"
  else
    say "$variant -> dist/guidecode-onedir/ ($(size_of dist/guidecode-onedir) B) in $(elapsed "$t0") s"
  fi
}

mkdir -p build dist
T0="$(now)"
make_venv
case "$WHAT" in
  venv) ;;
  onefile) pyinstaller_build onefile ;;
  onedir) pyinstaller_build onedir ;;
  deb)
    [ "$OS" = linux ] || { say ".deb packages are built on Linux only" >&2; exit 1; }
    pyinstaller_build onedir
    bash packaging/linux/build_deb.sh "$(version)"
    ;;
  all)
    pyinstaller_build onefile
    pyinstaller_build onedir
    if [ "$OS" = linux ]; then bash packaging/linux/build_deb.sh "$(version)"; fi
    ;;
  *) say "unknown target '$WHAT' (onefile|onedir|deb|venv|all)" >&2; exit 2 ;;
esac
say "done in $(elapsed "$T0") s"
