#!/usr/bin/env bash
# macOS: build GuideCode.app (the onedir build wrapped by the spec's BUNDLE) and put it in a .dmg.
#
#   bash packaging/macos/build_dmg.sh            -> dist/GuideCode.app, dist/GuideCode-<version>.dmg
#
# The .dmg holds GuideCode.app and an /Applications link (drag to install; no admin rights needed when
# dragged to ~/Applications). Optional signing: GUIDECODE_CODESIGN_IDENTITY="Developer ID Application: ..."
# signs every binary through PyInstaller, then the .app and the .dmg here; notarization additionally needs
# GUIDECODE_NOTARY_PROFILE (a `xcrun notarytool store-credentials` keychain profile). Without them the app
# is ad-hoc signed: it runs where it was built and in CI, but Gatekeeper will warn users. macOS only
# (hdiutil); not run on the Linux CI host, see .github/workflows/release.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = Darwin ] || { echo "build_dmg.sh: macOS only (needs hdiutil)" >&2; exit 1; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py)"
APP=dist/GuideCode.app
DMG="dist/GuideCode-$VERSION.dmg"
STAGE=build/dmg

bash packaging/build.sh onedir
[ -x "$APP/Contents/MacOS/GuideCode" ] || { echo "build_dmg.sh: $APP was not built" >&2; exit 1; }
/usr/bin/plutil -lint "$APP/Contents/Info.plist"

if [ -n "${GUIDECODE_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --options runtime --timestamp --sign "$GUIDECODE_CODESIGN_IDENTITY" "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
fi

rm -rf "$STAGE" && mkdir -p "$STAGE"
ditto "$APP" "$STAGE/GuideCode.app"            # ditto keeps the framework symlinks (cp -r would not)
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "GuideCode $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
hdiutil verify "$DMG"

if [ -n "${GUIDECODE_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$GUIDECODE_CODESIGN_IDENTITY" "$DMG"
  if [ -n "${GUIDECODE_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$GUIDECODE_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
  fi
fi
echo "build_dmg.sh: $DMG ($(stat -f %z "$DMG") B)"
