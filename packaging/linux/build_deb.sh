#!/usr/bin/env bash
# Package the onedir build (dist/guidecode-onedir) as dist/guidecode_<version>_<arch>.deb.
#
#   bash packaging/linux/build_deb.sh <version>        (packaging/build.sh deb calls this)
#
# Layout: /opt/guidecode/ (the whole onedir build), /usr/bin/guidecode (a two-line wrapper),
# /usr/share/applications/guidecode.desktop, hicolor icons 16..512 px, /usr/share/doc/guidecode/copyright.
# Depends/Recommends come from what the bundle really links to (deb_depends.py). No maintainer scripts:
# Debian's desktop-file-utils and hicolor icon-cache triggers pick up the .desktop file and the icons.
# Built with `dpkg-deb --root-owner-group`, so no fakeroot and every file is root:root in the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VERSION="${1:?usage: build_deb.sh <version>}"
SRC="$ROOT/dist/guidecode-onedir"
ARCH="$(dpkg --print-architecture)"
PKG="guidecode_${VERSION}_${ARCH}"
STAGE="$ROOT/build/deb/$PKG"
OUT="$ROOT/dist/$PKG.deb"
PY="${PYTHON:-python3}"
[ -x "$SRC/guidecode" ] || { echo "build_deb.sh: $SRC/guidecode missing; run packaging/build.sh onedir" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build_deb.sh: dpkg-deb not found (Debian/Ubuntu only)" >&2; exit 1; }

umask 022
rm -rf "$STAGE" && mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/doc/guidecode"
cp -a "$SRC" "$STAGE/opt/guidecode"
install -m 0755 packaging/linux/guidecode.sh "$STAGE/usr/bin/guidecode"
install -m 0644 packaging/linux/guidecode.desktop "$STAGE/usr/share/applications/guidecode.desktop"
for s in 16 24 32 48 64 128 256 512; do
  install -D -m 0644 "resources/icons/guidecode-$s.png" "$STAGE/usr/share/icons/hicolor/${s}x${s}/apps/guidecode.png"
done
cat > "$STAGE/usr/share/doc/guidecode/copyright" <<TXT
GuideCode $VERSION - offline imaging-guidance coding reference.
/opt/guidecode bundles the Python runtime, Qt for Python (PySide6, LGPLv3) and PyYAML (MIT),
frozen with PyInstaller (GPL with a bootloader exception). CPT is a registered trademark of the AMA;
GuideCode quotes no CPT descriptor text.
TXT
chmod 0644 "$STAGE/usr/share/doc/guidecode/copyright"
# Normalise modes: readable by everyone (a non-root user runs it), writable by root only.
chmod -R u+rwX,go+rX,go-w "$STAGE"

deps="$("$PY" packaging/linux/deb_depends.py "$STAGE/opt/guidecode" --recommends libcups.:libcups2)"
DEPENDS="$(sed -n 's/^Depends: //p' <<<"$deps")"
RECOMMENDS="$(sed -n 's/^Recommends: //p' <<<"$deps")"
[ -n "$DEPENDS" ] || { echo "build_deb.sh: could not work out Depends" >&2; exit 1; }
SIZE_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
{
  echo "Package: guidecode"
  echo "Version: $VERSION"
  echo "Architecture: $ARCH"
  echo "Maintainer: GuideCode maintainers <guidecode@localhost>"
  echo "Installed-Size: $SIZE_KB"
  echo "Depends: $DEPENDS"
  [ -n "$RECOMMENDS" ] && echo "Recommends: $RECOMMENDS"
  echo "Section: misc"
  echo "Priority: optional"
  echo "Homepage: https://github.com/guidecode/guidecode"
  echo "Description: offline reference for imaging-guidance codes in pain and spine procedures"
  echo " GuideCode tells a medical billing coder which imaging-guidance code (77002, 77003,"
  echo " 77012, 76942, 77021) to report with an injection, or why none is reported, with the"
  echo " sources behind each answer. It never uses the network."
} > "$STAGE/DEBIAN/control"
chmod 0644 "$STAGE/DEBIAN/control"

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
rm -f "$OUT"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$OUT" >/dev/null
echo "build_deb.sh: $OUT ($(stat -c %s "$OUT") B, installed $SIZE_KB KiB)"
echo "build_deb.sh: Depends: $DEPENDS${RECOMMENDS:+; Recommends: $RECOMMENDS}"
