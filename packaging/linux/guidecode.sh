#!/bin/sh
# /usr/bin/guidecode: start GuideCode installed under /opt/guidecode (the PyInstaller onedir build).
exec /opt/guidecode/guidecode "$@"
