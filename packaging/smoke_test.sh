#!/usr/bin/env bash
# Smoke test of the shipped artifacts, run by scripts/test (and so by .ci/run) unless SKIP_FROZEN=1:
#
#   1. build the onefile executable (packaging/build.sh: fresh pinned venv under build/);
#   2. run `dist/guidecode --self-test` offscreen and on a real X server (Xvfb, xcb), plus --version and
#      `resolve -`; fail on a non-zero exit, a missing "SELFTEST ok" line or any stderr line outside
#      packaging/smoke_stderr_allow.txt; check that onefile leaves no _MEI* folder behind;
#   3. build the onedir layout and the .deb, self-test the onedir, start it once to its first paint and check
#      which modules it had imported by then (packaging/check_first_paint.py);
#   4. install the .deb (apt-get, so its Depends are satisfied), run the installed /usr/bin/guidecode
#      --self-test as root and as an unprivileged user, check the .desktop entry and icons, purge it and
#      check nothing is left.
# Works on a clean clone on a fresh Debian/Ubuntu machine: as root (or with passwordless sudo) it installs
# the system packages it needs with apt-get. Prints the time of every step.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="$ROOT/build/smoke"
rm -rf "$OUT" && mkdir -p "$OUT"
export QT_QPA_PLATFORM=offscreen
unset DISPLAY WAYLAND_DISPLAY

now() { date +%s.%N; }
T_START="$(now)"
TIMES=()
lap() { TIMES+=("$(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%6.1f s", b - a }')  $1"); }
fail() { echo "smoke_test: FAIL: $*" >&2; exit 1; }
say() { echo "smoke_test: $*"; }

if [ "$(id -u)" = 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
  fail "needs root or passwordless sudo (apt-get for build dependencies, dpkg for the .deb install test)"; fi

# ---------------------------------------------------------------- 0. system packages
t="$(now)"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
export PYTHON="$PY"
PKGS=(binutils xvfb xauth desktop-file-utils
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libxcb-sync1
  libxcb-xfixes0 libwayland-client0 libwayland-cursor0 fonts-dejavu-core libtcl8.6 libtk8.6)
# Debian's own python3.11 needs its venv module and the shared libpython PyInstaller bundles.
if command -v dpkg-query >/dev/null && dpkg-query -S "$(readlink -f "$(command -v "$PY")")" >/dev/null 2>&1; then
  PKGS+=(python3-venv libpython3.11 python3-tk)   # tk: the onefile's splash screen is built from it
fi
if command -v apt-get >/dev/null; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q >/dev/null
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  fail "apt-get not found: this smoke test builds and installs a .deb (Debian/Ubuntu)"
fi
lap "system packages" "$t"

# ---------------------------------------------------------------- helpers
ALLOW="$OUT/stderr-allow.re"
grep -v -E '^\s*(#|$)' packaging/smoke_stderr_allow.txt > "$ALLOW"
[ -s "$ALLOW" ] || fail "empty stderr allow-list"

check_run() {   # check_run <label> <expect-regex-on-stdout> <command...>: exit 0, stdout match, clean stderr
  local label="$1" expect="$2"; shift 2
  local rc=0 unexpected
  timeout 60 "$@" > "$OUT/$label.out" 2> "$OUT/$label.err" < "${STDIN_FILE:-/dev/null}" || rc=$?
  if [ "$rc" != 0 ]; then
    cat "$OUT/$label.out" "$OUT/$label.err" >&2
    fail "$label: exit status $rc ($*)"
  fi
  grep -q -E "$expect" "$OUT/$label.out" || { cat "$OUT/$label.out" "$OUT/$label.err" >&2;
    fail "$label: stdout does not match /$expect/"; }
  unexpected="$(grep -v -E -f "$ALLOW" "$OUT/$label.err" || true)"
  [ -z "$unexpected" ] || { printf '%s\n' "$unexpected" >&2; fail "$label: unexpected stderr (above)"; }
  say "ok  $label: $(grep -m1 -E "$expect" "$OUT/$label.out" | sed 's/^ *//' | cut -c1-300)"
}

mei_dirs() { find "${TMPDIR:-/tmp}" -maxdepth 1 -name '_MEI*' 2>/dev/null | sort; }

# ---------------------------------------------------------------- 1. onefile
t="$(now)"
bash packaging/build.sh onefile 2>&1 | grep -v '^WARNING: Location' | sed 's/^/  /'
lap "build venv + onefile" "$t"
EXE="$ROOT/dist/guidecode"
[ -x "$EXE" ] || fail "dist/guidecode was not built"

# ---------------------------------------------------------------- 2. frozen onefile checks
t="$(now)"
mei_before="$(mei_dirs)"
check_run onefile-selftest-offscreen '^SELFTEST ok: .*catalog cache verified.*frozen' "$EXE" --self-test
check_run onefile-selftest-xcb '^SELFTEST ok: .*catalog cache verified.*xcb, frozen' \
  xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb "$EXE" --self-test
check_run onefile-version '^GuideCode [0-9.]+, data ' "$EXE" --version
echo '{"date_of_service": "2026-03-02", "procedures": [{"code": "64405"}]}' > "$OUT/encounter.json"
STDIN_FILE="$OUT/encounter.json" check_run onefile-resolve '"code": "77002"' "$EXE" resolve -
# a data pack (checksums need hashlib's sha256 without OpenSSL, which the spec leaves out)
echo '{"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]}' \
  > "$OUT/encounter-us.json"
check_run onefile-resolve-pack '"name": "Example payer notes"' \
  "$EXE" resolve "$OUT/encounter-us.json" --data-dir "$ROOT/resources/samples/packs"
N_SAMPLE_PACKS="$(find "$ROOT/resources/samples/packs" -mindepth 2 -maxdepth 2 -name pack.yaml | wc -l)"
check_run onefile-selftest-pack "^SELFTEST ok: .*[ (]$N_SAMPLE_PACKS data pack.*frozen" \
  "$EXE" --self-test --data-dir "$ROOT/resources/samples/packs"
# an 837P audit: pyx12 and the maps the spec bundles (exit 1: the fixture has error findings)
"$EXE" audit "$ROOT/tests/fixtures/x12/claims-837p.txt" --format json > "$OUT/audit-837p.json" 2> "$OUT/audit-837p.err" \
  && fail "frozen 837P audit: exit 0, expected 1 (findings of severity error)"
grep -q '"format": "837p"' "$OUT/audit-837p.json" && grep -q '"guidance_included"' "$OUT/audit-837p.json" \
  || fail "frozen 837P audit did not give the fixture's findings: $(head -c 400 "$OUT/audit-837p.err")"
say "ok  onefile audit of the 837P fixture (pyx12 maps bundled)"
[ "$(mei_dirs)" = "$mei_before" ] || fail "onefile left _MEI folders behind: $(comm -13 <(echo "$mei_before") <(mei_dirs))"
lap "onefile self-tests (offscreen, xcb, with a data pack), --version, resolve" "$t"

# ---------------------------------------------------------------- 3. onedir + .deb
t="$(now)"
bash packaging/build.sh deb 2>&1 | grep -v '^WARNING: Location' | sed 's/^/  /'
lap "build onedir + .deb" "$t"
t="$(now)"
check_run onedir-selftest '^SELFTEST ok: .*catalog cache verified.*frozen' "$ROOT/dist/guidecode-onedir/guidecode" --self-test
# the plain start a user gets: first paint from the bundled catalog cache, with nothing imported early
SHOME="$OUT/first-paint-home"; mkdir -p "$SHOME"
check_run onedir-first-paint '^STARTUP ' env HOME="$SHOME" XDG_CONFIG_HOME="$SHOME/config" \
  XDG_STATE_HOME="$SHOME/state" XDG_DATA_HOME="$SHOME/data" GUIDECODE_EXIT_AFTER_PAINT=1 \
  "$ROOT/dist/guidecode-onedir/guidecode" --no-error-dialogs
"$PY" packaging/check_first_paint.py "$OUT/onedir-first-paint.out" | sed 's/^/smoke_test: ok  /' \
  || fail "onedir first paint: see above"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py)"
DEB="$ROOT/dist/guidecode_${VERSION}_$(dpkg --print-architecture).deb"
[ -f "$DEB" ] || fail "$DEB was not built"
lap "onedir self-test" "$t"

# ---------------------------------------------------------------- 4. install, run, purge
t="$(now)"
if dpkg-query -W -f='${Status}' guidecode 2>/dev/null | grep -q "install ok installed"; then
  say "a guidecode package is already installed; purging it first"
  "${SUDO[@]}" apt-get purge -y -q guidecode >/dev/null
fi
purge() { "${SUDO[@]}" apt-get purge -y -q guidecode >/dev/null 2>&1 || true; }
trap purge EXIT
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "$DEB" > "$OUT/apt-install.log" 2>&1 || {
  "${SUDO[@]}" apt-get update -q >/dev/null
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$DEB" > "$OUT/apt-install.log" 2>&1 || {
    cat "$OUT/apt-install.log" >&2; fail "apt-get install $DEB"; }
}
[ "$(command -v guidecode)" = /usr/bin/guidecode ] || fail "guidecode is not /usr/bin/guidecode after install"
desktop-file-validate /usr/share/applications/guidecode.desktop || fail "invalid .desktop entry"
for s in 16 48 256 512; do
  [ -f "/usr/share/icons/hicolor/${s}x${s}/apps/guidecode.png" ] || fail "icon ${s}x${s} not installed"
done
check_run installed-selftest '^SELFTEST ok: .*catalog cache verified.*frozen' /usr/bin/guidecode --self-test
check_run installed-version "^GuideCode $VERSION, data " guidecode --version
if command -v runuser >/dev/null && [ "$(id -u)" = 0 ]; then
  UHOME="$(mktemp -d)"; chown nobody "$UHOME"
  check_run installed-selftest-unprivileged '^SELFTEST ok: .*catalog cache verified.*frozen' \
    runuser -u nobody -- env HOME="$UHOME" QT_QPA_PLATFORM=offscreen /usr/bin/guidecode --self-test
  rm -rf "$UHOME"
fi
"${SUDO[@]}" apt-get purge -y -q guidecode > "$OUT/apt-purge.log" 2>&1 || { cat "$OUT/apt-purge.log" >&2; fail "purge"; }
trap - EXIT
[ ! -e /opt/guidecode ] || fail "/opt/guidecode left behind after purge"
[ ! -e /usr/bin/guidecode ] || fail "/usr/bin/guidecode left behind after purge"
[ ! -e /usr/share/applications/guidecode.desktop ] || fail ".desktop entry left behind after purge"
say "ok  .deb installed, self-tested from /usr/bin (root and nobody), purged cleanly"
lap ".deb install + installed self-tests + purge" "$t"

# ---------------------------------------------------------------- summary
size() { stat -c %s "$1"; }
say "sizes: dist/guidecode $(size "$EXE") B; $(basename "$DEB") $(size "$DEB") B; dist/guidecode-onedir $(du -sb dist/guidecode-onedir | cut -f1) B"
say "timings:"
printf '  %s\n' "${TIMES[@]}"
say "PASS in $(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
